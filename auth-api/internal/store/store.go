// Package store keeps users, refresh families and attempt counters: SQLite (modernc.org/sqlite,
// pure Go, one file: the embedded default) and Postgres (jackc/pgx, shared by
// any number of replicas) implement the account.Store interface that the
// account domain defines, with the same behaviour, checked by one contract
// test suite. The types and errors are the account package's, under the
// names this package has always had.
package store

import (
	"context"
	"time"

	"github.com/jwt-micro-system/auth-api/internal/account"
)

// Errors a Store returns; callers test them with errors.Is. They are the
// account package's errors.
var (
	ErrNotFound     = account.ErrNotFound
	ErrDuplicate    = account.ErrDuplicate
	ErrTokenReused  = account.ErrTokenReused
	ErrTokenRevoked = account.ErrTokenRevoked
	ErrTokenExpired = account.ErrTokenExpired
)

// User is a stored account (account.User).
type User = account.User

// RefreshFamily is a stored refresh family (account.RefreshFamily).
type RefreshFamily = account.RefreshFamily

// FamilyLookup names a refresh family (account.FamilyLookup).
type FamilyLookup = account.FamilyLookup

// Store is a complete storage backend: what the account domain needs, and
// what running it needs besides (readiness, shutdown).
type Store interface {
	account.Store
	// The brute-force and refresh-rate counters (bruteforce.Counters).
	AddAttempt(ctx context.Context, limits map[string]int, window time.Duration, now time.Time) (time.Time, error)
	ForgetAttempts(ctx context.Context, key string) error
	GiveBackAttempt(ctx context.Context, key string, now time.Time) error
	DeleteStaleAttempts(ctx context.Context, now time.Time) (int64, error)
	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}
