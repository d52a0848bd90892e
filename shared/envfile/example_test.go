package envfile_test

import (
	"fmt"

	"github.com/jwt-micro-system/shared/envfile"
)

func ExampleOverlay() {
	// What docker compose or the shell set wins; .env fills the gaps.
	env := map[string]string{"PORT": "8080"}
	file := map[string]string{"PORT": "9999", "LOG_LEVEL": "debug"}
	getenv := envfile.Overlay(func(k string) string { return env[k] }, file)
	fmt.Println(getenv("PORT"), getenv("LOG_LEVEL"))
	// Output: 8080 debug
}
