// Package bound computes the login rate bcrypt alone allows on this
// machine: cores divided by the time of one CompareHashAndPassword.
package bound

import (
	"fmt"
	"runtime"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Bcrypt is the measured bound.
type Bcrypt struct {
	Cost      int
	PerCheck  time.Duration // one CompareHashAndPassword
	Cores     int
	PerSecond float64 // Cores / PerCheck
}

// MeasureBcrypt times n comparisons at cost.
func MeasureBcrypt(cost, n int) (Bcrypt, error) {
	if n < 1 {
		return Bcrypt{}, fmt.Errorf("n must be at least 1, got %d", n)
	}
	password := []byte("load-test-password")
	hash, err := bcrypt.GenerateFromPassword(password, cost)
	if err != nil {
		return Bcrypt{}, err
	}
	start := time.Now()
	for range n {
		if err := bcrypt.CompareHashAndPassword(hash, password); err != nil {
			return Bcrypt{}, err
		}
	}
	per := time.Since(start) / time.Duration(n)
	cores := runtime.NumCPU()
	return Bcrypt{Cost: cost, PerCheck: per, Cores: cores, PerSecond: float64(cores) / per.Seconds()}, nil
}
