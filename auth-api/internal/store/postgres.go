package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Postgres is a Store in a PostgreSQL database, which any number of auth-api
// replicas can share. Every check-then-write runs in one transaction that
// locks what it decides on, so concurrent requests on different replicas
// see the same outcomes as on the single SQLite writer.
type Postgres struct {
	pool *pgxpool.Pool
}

var _ Store = (*Postgres)(nil)

// OpenPostgres connects to the database named by url (postgres://… or
// postgresql://…, with pgx's options such as sslmode and pool_max_conns) and
// applies any pending migrations. Replicas starting together take turns
// migrating under a PostgreSQL advisory lock.
func OpenPostgres(ctx context.Context, url string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx leaves any password out of its parse errors.
		return nil, fmt.Errorf("open database: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open database %s: %w", describe(cfg.ConnConfig), err)
	}
	p := &Postgres{pool: pool}
	if err := p.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open database %s: %w", describe(cfg.ConnConfig), err)
	}
	return p, nil
}

// describe names a database without its password.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

func (p *Postgres) migrate(ctx context.Context) error {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return err
	}
	// Closing this *sql.DB leaves the pool open.
	db := stdlib.OpenDBFromPool(p.pool)
	defer db.Close()
	return migrate(ctx, goose.DialectPostgres, db, "migrations/postgres", goose.WithSessionLocker(locker))
}

// Close closes the pool.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}

// Ping checks that the database answers a query on the migrated schema.
func (p *Postgres) Ping(ctx context.Context) error {
	var one int
	return p.pool.QueryRow(ctx, `SELECT 1 FROM `+versionTable+` LIMIT 1`).Scan(&one)
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

const (
	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

// inTx runs fn in a transaction and commits when fn returns nil. PostgreSQL
// may abort one of two transactions that lock the same family's rows in
// different orders (a logout racing a reuse); that transaction is run
// again, a few times at most.
func (p *Postgres) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, p.pool, fn)
		if code := pgCode(err); attempt < 5 && (code == pgDeadlockDetected || code == pgSerializationFailure) {
			continue
		}
		return err
	}
}

// CreateUser adds u.
func (p *Postgres) CreateUser(ctx context.Context, u User) error {
	_, err := p.pool.Exec(ctx, `INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4)`,
		u.Username, u.PasswordHash, u.Role, u.CreatedAt)
	if pgCode(err) == pgUniqueViolation {
		return fmt.Errorf("user %q: %w", u.Username, ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// CreateFirstUser adds u when the store has no users. Replicas bootstrapping
// the same admin at once queue on a lock of the users table, so only the
// first of them creates it.
func (p *Postgres) CreateFirstUser(ctx context.Context, u User) (bool, error) {
	var created bool
	err := p.inTx(ctx, func(tx pgx.Tx) error {
		created = false
		// EXCLUSIVE blocks other writers of users (and other
		// CreateFirstUser calls), not readers.
		if _, err := tx.Exec(ctx, `LOCK TABLE users IN EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock users: %w", err)
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&exists); err != nil {
			return fmt.Errorf("count users: %w", err)
		}
		if exists {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4)`,
			u.Username, u.PasswordHash, u.Role, u.CreatedAt); err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		created = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return created, nil
}

// User returns one user.
func (p *Postgres) User(ctx context.Context, username string) (User, error) {
	var u User
	err := p.pool.QueryRow(ctx, `SELECT username, password_hash, role, created_at FROM users WHERE user_key = lower($1)`, username).
		Scan(&u.Username, &u.PasswordHash, &u.Role, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("read user: %w", err)
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return u, nil
}

// Users lists all users, ordered by name regardless of case (byte order of
// the lower-case names, as SQLite's NOCASE orders them).
func (p *Postgres) Users(ctx context.Context) ([]User, error) {
	rows, err := p.pool.Query(ctx, `SELECT username, role, created_at FROM users ORDER BY user_key COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (User, error) {
		var u User
		err := row.Scan(&u.Username, &u.Role, &u.CreatedAt)
		u.CreatedAt = u.CreatedAt.UTC()
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if users == nil {
		users = []User{}
	}
	return users, nil
}

// DeleteUser removes a user; its refresh tokens go with it (ON DELETE CASCADE).
func (p *Postgres) DeleteUser(ctx context.Context, username string) error {
	tag, err := p.pool.Exec(ctx, `DELETE FROM users WHERE user_key = lower($1)`, username)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	return nil
}

// SetPassword replaces a password hash and revokes the user's refresh tokens.
func (p *Postgres) SetPassword(ctx context.Context, username string, hash []byte) error {
	return p.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1 WHERE user_key = lower($2)`, hash, username)
		if err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("user %q: %w", username, ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE user_key = lower($1)`, username); err != nil {
			return fmt.Errorf("revoke refresh tokens: %w", err)
		}
		return nil
	})
}

// AddRefreshToken stores t.
func (p *Postgres) AddRefreshToken(ctx context.Context, t RefreshToken) error {
	_, err := p.pool.Exec(ctx, `INSERT INTO refresh_tokens (hash, family, username, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		t.Hash, t.Family, t.Username, t.CreatedAt, t.ExpiresAt)
	if err != nil {
		return fmt.Errorf("add refresh token: %w", err)
	}
	return nil
}

// RotateRefreshToken implements Store. The presented token's row is locked
// (SELECT … FOR UPDATE) for the whole decision: of concurrent rotations of
// one token, on any number of replicas, the first marks it used and adds
// the successor; the others wait for it, then see a used token and revoke
// the family. The family never forks.
func (p *Postgres) RotateRefreshToken(ctx context.Context, oldHash []byte, next RefreshToken, now time.Time) (RefreshToken, error) {
	var old RefreshToken
	var outcome error
	err := p.inTx(ctx, func(tx pgx.Tx) error {
		old, outcome = RefreshToken{}, nil
		var used, revoked bool
		err := tx.QueryRow(ctx, `SELECT hash, family, username, created_at, expires_at, used_at IS NOT NULL, revoked_at IS NOT NULL
			FROM refresh_tokens WHERE hash = $1 FOR UPDATE`, oldHash).
			Scan(&old.Hash, &old.Family, &old.Username, &old.CreatedAt, &old.ExpiresAt, &used, &revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			outcome = ErrNotFound
			return nil
		}
		if err != nil {
			return fmt.Errorf("read refresh token: %w", err)
		}
		old.CreatedAt, old.ExpiresAt = old.CreatedAt.UTC(), old.ExpiresAt.UTC()
		switch {
		case revoked:
			outcome = ErrTokenRevoked
			return nil
		case used:
			if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL`,
				now, old.Family); err != nil {
				return fmt.Errorf("revoke family: %w", err)
			}
			outcome = ErrTokenReused
			return nil
		case !now.Before(old.ExpiresAt):
			outcome = ErrTokenExpired
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = $1 WHERE hash = $2`, now, oldHash); err != nil {
			return fmt.Errorf("mark refresh token used: %w", err)
		}
		// The family keeps the expiry of its login: rotation never extends it.
		if _, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (hash, family, username, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			next.Hash, old.Family, old.Username, next.CreatedAt, old.ExpiresAt); err != nil {
			return fmt.Errorf("add refresh token: %w", err)
		}
		return nil
	})
	if err != nil {
		return old, fmt.Errorf("rotate refresh token: %w", err)
	}
	if errors.Is(outcome, ErrNotFound) {
		return RefreshToken{}, outcome
	}
	return old, outcome
}

// RevokeRefreshFamily implements Store.
func (p *Postgres) RevokeRefreshFamily(ctx context.Context, hash []byte, now time.Time) error {
	return p.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $1
			WHERE revoked_at IS NULL AND family = (SELECT family FROM refresh_tokens WHERE hash = $2)`, now, hash)
		if err != nil {
			return fmt.Errorf("revoke refresh tokens: %w", err)
		}
		if tag.RowsAffected() > 0 {
			return nil
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE hash = $1)`, hash).Scan(&exists); err != nil {
			return fmt.Errorf("revoke refresh tokens: %w", err)
		}
		if !exists {
			return ErrNotFound
		}
		return nil
	})
}

// DeleteExpiredRefreshTokens implements Store.
func (p *Postgres) DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int64, error) {
	tag, err := p.pool.Exec(ctx, `DELETE FROM refresh_tokens WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("delete expired refresh tokens: %w", err)
	}
	return tag.RowsAffected(), nil
}
