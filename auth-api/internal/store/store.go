// Package store keeps users and refresh tokens: SQLite (modernc.org/sqlite,
// pure Go, one file: the embedded default) and Postgres (jackc/pgx, shared by
// any number of replicas) implement the account.Store interface that the
// account domain defines, with the same behaviour, checked by one contract
// test suite. The types and errors are the account package's, under the
// names this package has always had.
package store

import (
	"context"

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

// RefreshToken is a stored refresh token (account.RefreshToken).
type RefreshToken = account.RefreshToken

// Store is a complete storage backend: what the account domain needs, and
// what running it needs besides (readiness, shutdown).
type Store interface {
	account.Store
	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}
