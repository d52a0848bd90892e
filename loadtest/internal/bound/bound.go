// Package bound asks auth-api for the login rate its password check allows
// on this machine (auth-api hashrate: cores divided by the time of one
// check, as logins make it), so that make load can compare the measured
// login rate with it. auth-api's own code is timed, so the bound follows
// whatever the account package does; bcrypt is not imported here.
package bound

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"time"
)

// Bcrypt is the measured bound.
type Bcrypt struct {
	Cost      int
	PerCheck  time.Duration // one password check
	Cores     int
	PerSecond float64 // Cores / PerCheck
}

// Measure runs "authAPI hashrate -cost cost -duration d" and reads its
// answer.
func Measure(ctx context.Context, authAPI string, cost int, d time.Duration) (Bcrypt, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, authAPI, "hashrate", "-cost", strconv.Itoa(cost), "-duration", d.String())
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Bcrypt{}, fmt.Errorf("auth-api hashrate: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return parse(stdout.Bytes())
}

// parse reads the JSON object auth-api hashrate prints.
func parse(out []byte) (Bcrypt, error) {
	var r struct {
		Cost      int     `json:"cost"`
		PerCheck  int64   `json:"per_check_ns"`
		Cores     int     `json:"cores"`
		PerSecond float64 `json:"checks_per_second"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return Bcrypt{}, fmt.Errorf("auth-api hashrate printed %q: %w", bytes.TrimSpace(out), err)
	}
	if r.PerCheck <= 0 || r.Cores < 1 || r.PerSecond <= 0 {
		return Bcrypt{}, fmt.Errorf("auth-api hashrate printed %q: want positive figures", bytes.TrimSpace(out))
	}
	return Bcrypt{Cost: r.Cost, PerCheck: time.Duration(r.PerCheck), Cores: r.Cores, PerSecond: r.PerSecond}, nil
}
