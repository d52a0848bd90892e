package account

import (
	"context"
	"errors"
	"time"

	"github.com/jwt-micro-system/shared/revocation"
)

// Errors a Store returns; callers test them with errors.Is.
var (
	// ErrNotFound: there is no such user or refresh family.
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

// RefreshFamily is one login's refresh-token session, stored as one row
// however often it is rotated: the generation of its current token, the
// SHA-256 hashes of the current token and of the one it replaced, and when
// that rotation happened (for the reuse interval). No token is stored, only
// hashes.
type RefreshFamily struct {
	ID        string
	Username  string
	CreatedAt time.Time
	// ExpiresAt is REFRESH_TOKEN_TTL after the login; rotation never
	// extends it.
	ExpiresAt time.Time
	// Generation counts the rotations since the login (1: the login's
	// token); 0 means the current token predates self-describing tokens.
	Generation   int64
	CurrentHash  []byte
	PreviousHash []byte    // nil before the first rotation
	RotatedAt    time.Time // zero before the first rotation
	RevokedAt    time.Time // zero while the family is live
	// WindowEnd and WindowCount count the family's rotations in a fixed
	// window, for the per-family refresh limit.
	WindowEnd   time.Time
	WindowCount int
}

// FamilyLookup names a refresh family: by ID when it is set, otherwise as
// the family whose current or previous token has Hash.
type FamilyLookup struct {
	ID   string
	Hash []byte
}

// Store is what the account service needs from storage. internal/store
// implements it (SQLite and PostgreSQL); any implementation must pass the same tests.
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
	// DeleteUser removes the user and its refresh families; ErrNotFound.
	DeleteUser(ctx context.Context, username string) error
	// SetPassword replaces the user's password hash and deletes all of its
	// refresh families; ErrNotFound.
	SetPassword(ctx context.Context, username string, hash []byte) error

	// CreateRefreshFamily stores a new family (a login).
	CreateRefreshFamily(ctx context.Context, f RefreshFamily) error
	// UpdateRefreshFamily finds the family that find names, holds it
	// locked against every other update (on any replica) for the rest of
	// the call, and passes it to decide. When decide returns a family, its
	// Generation, hashes, RotatedAt, RevokedAt and window are written (ID,
	// Username, CreatedAt and ExpiresAt never change); decide's error is
	// returned after that write. decide may be called again when the
	// database asks for a retry, so it must not have side effects.
	// ErrNotFound, without calling decide, when there is no such family.
	UpdateRefreshFamily(ctx context.Context, find FamilyLookup, decide func(RefreshFamily) (*RefreshFamily, error)) error
	// DeleteExpiredRefreshTokens removes the families that expired before
	// now (or at now).
	DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int64, error)
	// RevokeUserRefreshTokens revokes every refresh family of the user
	// (any case); a user without families is not an error.
	RevokeUserRefreshTokens(ctx context.Context, username string, now time.Time) error
	// Families lists the ids of the user's (any case) stored refresh
	// families, in order.
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
