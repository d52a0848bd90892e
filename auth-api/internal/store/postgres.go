package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
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
		if _, err := tx.Exec(ctx, `DELETE FROM refresh_families WHERE user_key = lower($1)`, username); err != nil {
			return fmt.Errorf("revoke refresh tokens: %w", err)
		}
		return nil
	})
}

// CreateRefreshFamily implements Store.
func (p *Postgres) CreateRefreshFamily(ctx context.Context, f RefreshFamily) error {
	_, err := p.pool.Exec(ctx, `INSERT INTO refresh_families (family, username, created_at, expires_at, generation, current_hash)
		VALUES ($1, $2, $3, $4, $5, $6)`, f.ID, f.Username, f.CreatedAt, f.ExpiresAt, f.Generation, f.CurrentHash)
	if err != nil {
		return fmt.Errorf("add refresh family: %w", err)
	}
	return nil
}

// pgTime is t for a nullable column: NULL for the zero time.
func pgTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func fromPG(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// UpdateRefreshFamily implements Store. The family's row is locked (SELECT
// … FOR UPDATE) from the read to the commit: of concurrent updates of one
// family, on any number of replicas, each waits for the one before and
// then decides on what it wrote. The family never forks.
func (p *Postgres) UpdateRefreshFamily(ctx context.Context, find FamilyLookup, decide func(RefreshFamily) (*RefreshFamily, error)) error {
	var outcome error
	err := p.inTx(ctx, func(tx pgx.Tx) error {
		outcome = nil
		const cols = `family, username, created_at, expires_at, generation, current_hash, previous_hash,
			rotated_at, revoked_at, window_end, window_count`
		var row pgx.Row
		if find.ID != "" {
			row = tx.QueryRow(ctx, `SELECT `+cols+` FROM refresh_families WHERE family = $1 FOR UPDATE`, find.ID)
		} else {
			row = tx.QueryRow(ctx, `SELECT `+cols+` FROM refresh_families
				WHERE current_hash = $1 OR previous_hash = $1 LIMIT 1 FOR UPDATE`, find.Hash)
		}
		var f RefreshFamily
		var rotated, revoked *time.Time
		err := row.Scan(&f.ID, &f.Username, &f.CreatedAt, &f.ExpiresAt, &f.Generation, &f.CurrentHash, &f.PreviousHash,
			&rotated, &revoked, &f.WindowEnd, &f.WindowCount)
		if errors.Is(err, pgx.ErrNoRows) {
			outcome = ErrNotFound
			return nil
		}
		if err != nil {
			return fmt.Errorf("read refresh family: %w", err)
		}
		f.CreatedAt, f.ExpiresAt, f.WindowEnd = f.CreatedAt.UTC(), f.ExpiresAt.UTC(), f.WindowEnd.UTC()
		if f.WindowEnd.Unix() == 0 {
			f.WindowEnd = time.Time{}
		}
		f.RotatedAt, f.RevokedAt = fromPG(rotated), fromPG(revoked)
		next, err := decide(f)
		outcome = err
		if next == nil {
			return nil
		}
		windowEnd := next.WindowEnd
		if windowEnd.IsZero() {
			windowEnd = time.Unix(0, 0)
		}
		if _, err := tx.Exec(ctx, `UPDATE refresh_families SET generation = $1, current_hash = $2, previous_hash = $3,
			rotated_at = $4, revoked_at = $5, window_end = $6, window_count = $7 WHERE family = $8`,
			next.Generation, next.CurrentHash, next.PreviousHash, pgTime(next.RotatedAt), pgTime(next.RevokedAt),
			windowEnd, next.WindowCount, f.ID); err != nil {
			return fmt.Errorf("update refresh family: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update refresh family: %w", err)
	}
	return outcome
}

// DeleteExpiredRefreshTokens implements Store.
func (p *Postgres) DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int64, error) {
	tag, err := p.pool.Exec(ctx, `DELETE FROM refresh_families WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("delete expired refresh families: %w", err)
	}
	return tag.RowsAffected(), nil
}

// AddAttempt implements bruteforce.Counters: in one transaction, each key's
// counter is incremented unless it is at its limit in a live window (the
// upsert locks the row, so concurrent attempts on any replica take turns);
// if any is, the transaction is rolled back and nothing is written. Keys are
// taken in sorted order, so two attempts never wait for each other in a
// circle.
func (p *Postgres) AddAttempt(ctx context.Context, limits map[string]int, window time.Duration, now time.Time) (time.Time, error) {
	keys := slices.Sorted(maps.Keys(limits))
	errRefused := errors.New("refused")
	err := p.inTx(ctx, func(tx pgx.Tx) error {
		for _, k := range keys {
			var n int
			err := tx.QueryRow(ctx, `INSERT INTO attempt_counters AS c (key, count, window_end) VALUES ($1, 1, $2)
				ON CONFLICT (key) DO UPDATE SET
					count = CASE WHEN c.window_end <= $3 THEN 1 ELSE c.count + 1 END,
					window_end = CASE WHEN c.window_end <= $3 THEN excluded.window_end ELSE c.window_end END
				WHERE c.window_end <= $3 OR c.count < $4
				RETURNING count`, k, now.Add(window), now, limits[k]).Scan(&n)
			if errors.Is(err, pgx.ErrNoRows) {
				return errRefused
			}
			if err != nil {
				return fmt.Errorf("count attempt: %w", err)
			}
		}
		return nil
	})
	if err == nil {
		return time.Time{}, nil
	}
	if !errors.Is(err, errRefused) {
		return time.Time{}, err
	}
	var until *time.Time
	if err := p.pool.QueryRow(ctx, `SELECT max(window_end) FROM attempt_counters c
		JOIN unnest($1::text[], $2::int[]) AS l(key, lim) ON l.key = c.key
		WHERE c.window_end > $3 AND c.count >= l.lim`, keys, limitsOf(keys, limits), now).Scan(&until); err != nil {
		return time.Time{}, fmt.Errorf("read attempt counters: %w", err)
	}
	if until == nil {
		// The window ended between the refusal and this read.
		return now.Add(time.Second), nil
	}
	return until.UTC(), nil
}

func limitsOf(keys []string, limits map[string]int) []int32 {
	out := make([]int32, len(keys))
	for i, k := range keys {
		out[i] = int32(limits[k])
	}
	return out
}

// ForgetAttempts implements bruteforce.Counters.
func (p *Postgres) ForgetAttempts(ctx context.Context, key string) error {
	if _, err := p.pool.Exec(ctx, `DELETE FROM attempt_counters WHERE key = $1`, key); err != nil {
		return fmt.Errorf("forget attempts: %w", err)
	}
	return nil
}

// GiveBackAttempt implements bruteforce.Counters.
func (p *Postgres) GiveBackAttempt(ctx context.Context, key string, now time.Time) error {
	if _, err := p.pool.Exec(ctx, `UPDATE attempt_counters SET count = count - 1 WHERE key = $1 AND count > 0 AND window_end > $2`,
		key, now); err != nil {
		return fmt.Errorf("give back attempt: %w", err)
	}
	return nil
}

// DeleteStaleAttempts implements bruteforce.Counters.
func (p *Postgres) DeleteStaleAttempts(ctx context.Context, now time.Time) (int64, error) {
	tag, err := p.pool.Exec(ctx, `DELETE FROM attempt_counters WHERE window_end <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("delete stale attempts: %w", err)
	}
	return tag.RowsAffected(), nil
}
