// Command bcryptbound prints the upper bound on logins per second that
// bcrypt alone allows on this machine: cores divided by the time of one
// bcrypt.CompareHashAndPassword at the given cost. scripts/load.sh compares
// auth-api's measured login rate against it.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	cost := flag.Int("cost", 12, "bcrypt cost")
	n := flag.Int("n", 8, "comparisons to time")
	flag.Parse()
	if err := run(*cost, *n); err != nil {
		fmt.Fprintf(os.Stderr, "bcryptbound: %v\n", err)
		os.Exit(1)
	}
}

func run(cost, n int) error {
	if n < 1 {
		return fmt.Errorf("-n must be at least 1, got %d", n)
	}
	password := []byte("load-test-password")
	hash, err := bcrypt.GenerateFromPassword(password, cost)
	if err != nil {
		return err
	}
	start := time.Now()
	for range n {
		if err := bcrypt.CompareHashAndPassword(hash, password); err != nil {
			return err
		}
	}
	per := time.Since(start) / time.Duration(n)
	cores := runtime.NumCPU()
	fmt.Printf("%.3f %.1f %d\n", per.Seconds()*1000, float64(cores)/per.Seconds(), cores)
	return nil
}
