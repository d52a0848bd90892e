package account

import (
	"context"
	"errors"
	"time"

	"github.com/jwt-micro-system/shared/revocation"
)

// Errors a Store returns; callers test them with errors.Is.
var (
	// ErrNotFound: there is no such user or refresh token.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate: a user with this name (in any case) exists.
	ErrDuplicate = errors.New("already exists")
	// ErrTokenReused: a refresh token was presented after it had been used;
	// its whole family is now revoked.
	ErrTokenReused = errors.New("refresh token reused")
	// ErrTokenRevoked: the token (or its family) was revoked.
	ErrTokenRevoked = errors.New("refresh token revoked")
	// ErrTokenExpired: the token is past its expiry.
	ErrTokenExpired = errors.New("refresh token expired")
)

// User is a stored account.
type User struct {
	Username     string
	PasswordHash []byte
	Role         string
	CreatedAt    time.Time
}

// RefreshToken is a stored refresh token. Only the SHA-256 hash of the token
// is ever stored.
type RefreshToken struct {
	Hash      []byte
	Family    string
	Username  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Store is what the account service needs from storage. internal/store
// implements it (SQLite); any implementation must pass the same tests.
type Store interface {
	// CreateUser adds u; ErrDuplicate when the name is taken in any case.
	CreateUser(ctx context.Context, u User) error
	// CreateFirstUser adds u only when there are no users at all; it
	// reports whether it did.
	CreateFirstUser(ctx context.Context, u User) (bool, error)
	// User returns the user with this name in any case; ErrNotFound.
	User(ctx context.Context, username string) (User, error)
	// Users lists every user by name.
	Users(ctx context.Context) ([]User, error)
	// DeleteUser removes the user and its refresh tokens; ErrNotFound.
	DeleteUser(ctx context.Context, username string) error
	// SetPassword replaces the user's password hash and revokes all of its
	// refresh tokens; ErrNotFound.
	SetPassword(ctx context.Context, username string, hash []byte) error

	// AddRefreshToken stores a new token (the first of a family at login).
	AddRefreshToken(ctx context.Context, t RefreshToken) error
	// RotateRefreshToken marks the token with oldHash used and stores next in
	// its family, atomically; it returns the stored old token. A token that
	// was already used revokes its family and gives ErrTokenReused; also
	// ErrNotFound, ErrTokenRevoked, ErrTokenExpired. next.Family,
	// next.Username and next.ExpiresAt are taken from the old token: a
	// family expires REFRESH_TOKEN_TTL after its login, however often it
	// is rotated.
	RotateRefreshToken(ctx context.Context, oldHash []byte, next RefreshToken, now time.Time) (RefreshToken, error)
	// RevokeRefreshFamily revokes the family of the token with this hash;
	// ErrNotFound when there is no such token.
	RevokeRefreshFamily(ctx context.Context, hash []byte, now time.Time) error
	// DeleteExpiredRefreshTokens removes tokens that expired before now.
	DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int64, error)
	// Family returns the family of the refresh token with this hash;
	// ErrNotFound.
	Family(ctx context.Context, hash []byte) (string, error)
	// RevokeUserRefreshTokens revokes every refresh token of the user (any
	// case); a user without tokens is not an error.
	RevokeUserRefreshTokens(ctx context.Context, username string, now time.Time) error
	// Families lists the refresh families of the user (any case) that still
	// have a stored token.
	Families(ctx context.Context, username string) ([]string, error)

	// AddRevocations records revoked sessions, each under a new cursor
	// value greater than every one committed before it.
	AddRevocations(ctx context.Context, entries []revocation.Entry) error
	// Revocations returns, in cursor order, up to limit revocations
	// recorded after cursor (0: from the first), leaving out those that
	// expired by now; next is the cursor to continue from (lower than
	// cursor when cursor is beyond every revocation recorded, as after a
	// restore from a backup), and more says whether the limit cut the
	// answer short.
	Revocations(ctx context.Context, cursor int64, now time.Time, limit int) (entries []revocation.Entry, next int64, more bool, err error)
	// DeleteExpiredRevocations removes revocations that expired by now.
	DeleteExpiredRevocations(ctx context.Context, now time.Time) (int64, error)
}
