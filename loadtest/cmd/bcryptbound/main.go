// Command bcryptbound prints the upper bound on logins per second that
// bcrypt alone allows on this machine: cores divided by the time of one
// bcrypt.CompareHashAndPassword at the given cost, as "ms-per-check
// logins-per-second cores". make load (loadtest/cmd/load) measures the
// same bound itself and compares auth-api's login rate with it.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/jwt-micro-system/loadtest/internal/bound"
)

func main() {
	cost := flag.Int("cost", 12, "bcrypt cost")
	n := flag.Int("n", 8, "comparisons to time")
	flag.Parse()
	b, err := bound.MeasureBcrypt(*cost, *n)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bcryptbound: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%.3f %.1f %d\n", b.PerCheck.Seconds()*1000, b.PerSecond, b.Cores)
}
