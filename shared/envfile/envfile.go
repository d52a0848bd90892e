// Package envfile reads a .env file (KEY=value lines, as python-dotenv and
// docker compose write them) for both services. The real environment always
// wins over the file, and a missing file is not an error: the file is a
// convenience for local runs, never a requirement. WithFiles adds the
// X_FILE convention of Docker secrets: a variable's value read from a file.
package envfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/joho/godotenv"
)

// Read parses the file at path. A missing file gives an empty map and no
// error; a malformed one gives an error that names the file.
func Read(path string) (map[string]string, error) {
	m, err := godotenv.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return m, nil
}

// Load reads the file at path into the process environment, setting only
// the variables the environment does not already have.
func Load(path string) error {
	m, err := Read(path)
	if err != nil {
		return err
	}
	for k, v := range m {
		if _, set := os.LookupEnv(k); set {
			continue
		}
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("read %s: set %s: %w", path, k, err)
		}
	}
	return nil
}

// Getenv reads the file at path and returns a getenv that answers from
// getenv first and from the file for variables getenv leaves empty. The
// process environment is not changed, so tests that pass their own getenv
// can run in parallel.
func Getenv(path string, getenv func(string) string) (func(string) string, error) {
	m, err := Read(path)
	if err != nil {
		return nil, err
	}
	return Overlay(getenv, m), nil
}

// Overlay returns a getenv that answers from getenv first and from file for
// variables getenv leaves empty.
func Overlay(getenv func(string) string, file map[string]string) func(string) string {
	return func(key string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return file[key]
	}
}
