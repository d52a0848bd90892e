package account

import (
	"errors"
	"runtime"
	"time"
)

// HashRate is how many password checks per second this machine can do at a
// bcrypt cost: the most logins per second auth-api can ever answer there,
// since each login costs one check (make load compares the login rate with
// it).
type HashRate struct {
	Cost      int           `json:"cost"`
	PerCheck  time.Duration `json:"per_check_ns"` // one check, as logins make it
	Cores     int           `json:"cores"`
	PerSecond float64       `json:"checks_per_second"` // Cores / PerCheck
}

// MeasureHashRate times the password check logins use (the one
// Authenticate makes) at cost, over and over for at least d and at least
// once, and returns the rate the machine's cores allow.
func MeasureHashRate(cost int, d time.Duration) (HashRate, error) {
	const password = "hash-rate-password"
	hash, err := HashPassword(password, cost)
	if err != nil {
		return HashRate{}, err
	}
	start := time.Now()
	n := 0
	for n == 0 || time.Since(start) < d {
		if !passwordMatches(hash, password) {
			return HashRate{}, errors.New("hash rate: the password does not match its own hash")
		}
		n++
	}
	per := time.Since(start) / time.Duration(n)
	cores := runtime.NumCPU()
	return HashRate{Cost: cost, PerCheck: per, Cores: cores, PerSecond: float64(cores) / per.Seconds()}, nil
}
