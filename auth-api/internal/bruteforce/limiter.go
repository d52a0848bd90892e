// Package bruteforce limits password guessing and refresh floods: attempts
// are counted per username and per client address in fixed windows, in
// counters that live in the database (Counters), so the limits hold across
// every auth-api replica.
package bruteforce

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"time"
)

// Limits are the limits: how many failed password checks one username, and
// one client address, may have within Window before further attempts are
// refused until the window ends; and how many refreshes one client address
// may make within RefreshWindow.
type Limits struct {
	PerUsername int
	PerAddress  int
	Window      time.Duration
	// RefreshPerAddress bounds POST /refresh per client address; a negative
	// value turns the limit off.
	RefreshPerAddress int
	RefreshWindow     time.Duration
}

// DefaultLimits returns the limits used where Limits are zero: five wrong
// passwords per account and thirty per client address in fifteen minutes;
// 600 refreshes per client address a minute (a browser refreshes once per
// ACCESS_TOKEN_TTL, so that is hundreds of users behind one NAT, and a loop
// is held to ten a second).
func DefaultLimits() Limits {
	return Limits{PerUsername: 5, PerAddress: 30, Window: 15 * time.Minute, RefreshPerAddress: 600, RefreshWindow: time.Minute}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.PerUsername > 0 {
		d.PerUsername = l.PerUsername
	}
	if l.PerAddress > 0 {
		d.PerAddress = l.PerAddress
	}
	if l.Window > 0 {
		d.Window = l.Window
	}
	if l.RefreshPerAddress != 0 {
		d.RefreshPerAddress = l.RefreshPerAddress
	}
	if l.RefreshWindow > 0 {
		d.RefreshWindow = l.RefreshWindow
	}
	return d
}

// Counters keep attempt counters in fixed windows, shared by every replica
// (internal/store implements them on SQLite and PostgreSQL).
type Counters interface {
	// AddAttempt counts one attempt under every key of limits, atomically:
	// when any key is at its limit in a window that has not ended, nothing
	// at all is written and the result is when the last such window ends.
	// A key whose window has ended starts a new one of length window. The
	// zero time means the attempt was counted.
	AddAttempt(ctx context.Context, limits map[string]int, window time.Duration, now time.Time) (time.Time, error)
	// ForgetAttempts deletes the counter of key.
	ForgetAttempts(ctx context.Context, key string) error
	// GiveBackAttempt takes one attempt off key's live counter, if any.
	GiveBackAttempt(ctx context.Context, key string, now time.Time) error
	// DeleteStaleAttempts deletes the counters whose window ended by now.
	DeleteStaleAttempts(ctx context.Context, now time.Time) (int64, error)
}

// Limiter applies Limits with Counters. Attempts are counted before the
// password is checked, and only a success gives them back, so a burst of
// parallel guesses cannot slip past the limit. A refused attempt writes
// nothing, so a flood of cheap 429s costs no storage and cannot push a lock
// out. It is safe for concurrent use.
type Limiter struct {
	limits   Limits
	counters Counters
}

// New returns a Limiter with l on c; zero fields of l take DefaultLimits.
func New(c Counters, l Limits) (*Limiter, error) {
	if c == nil {
		return nil, errors.New("bruteforce: New needs counters")
	}
	return &Limiter{limits: l.withDefaults(), counters: c}, nil
}

func userKey(username string) string { return "u:" + strings.ToLower(username) }

// AddressKey is the counter key part of a client address: an IPv4 address
// as it is, an IPv6 address by its /64 (one subscriber's usual allocation,
// so rotating through the addresses of one network gains nothing).
// Anything that does not parse is used as it is.
func AddressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}

func addrKey(ip string) string    { return "a:" + AddressKey(ip) }
func refreshKey(ip string) string { return "r:" + AddressKey(ip) }

// Begin records a password attempt for username from address. When either
// is over its limit the attempt is not recorded, and wait says how long
// until it would be allowed.
func (l *Limiter) Begin(ctx context.Context, username, address string, now time.Time) (wait time.Duration, ok bool, err error) {
	until, err := l.counters.AddAttempt(ctx, map[string]int{userKey(username): l.limits.PerUsername, addrKey(address): l.limits.PerAddress},
		l.limits.Window, now)
	return waitFor(until, now, err)
}

func waitFor(until, now time.Time, err error) (time.Duration, bool, error) {
	if err != nil {
		return 0, false, err
	}
	if until.IsZero() {
		return 0, true, nil
	}
	if wait := until.Sub(now); wait > 0 {
		return wait, false, nil
	}
	return time.Millisecond, false, nil
}

// Succeeded gives back the attempt of a correct password: the username's
// failures are forgiven; the address keeps the others it made.
func (l *Limiter) Succeeded(ctx context.Context, username, address string, now time.Time) error {
	return errors.Join(l.counters.ForgetAttempts(ctx, userKey(username)), l.counters.GiveBackAttempt(ctx, addrKey(address), now))
}

// BeginRefresh records a refresh from address; when the address is over its
// refresh limit it is not recorded, and wait says how long until it would
// be allowed.
func (l *Limiter) BeginRefresh(ctx context.Context, address string, now time.Time) (wait time.Duration, ok bool, err error) {
	if l.limits.RefreshPerAddress < 0 {
		return 0, true, nil
	}
	until, err := l.counters.AddAttempt(ctx, map[string]int{refreshKey(address): l.limits.RefreshPerAddress}, l.limits.RefreshWindow, now)
	return waitFor(until, now, err)
}

// Sweep deletes the counters whose window ended by now.
func (l *Limiter) Sweep(ctx context.Context, now time.Time) error {
	_, err := l.counters.DeleteStaleAttempts(ctx, now)
	return err
}
