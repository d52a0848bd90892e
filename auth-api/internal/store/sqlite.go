package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"runtime"
	"slices"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite is a Store in one SQLite database file. Writes go through a pool of
// one connection with IMMEDIATE transactions, so they are serialised without
// SQLITE_BUSY upgrades; reads use a separate read-only pool and, thanks to
// WAL mode, never wait for writers.
type SQLite struct {
	w *sql.DB
	r *sql.DB
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens (creating when missing) the database file at path and
// applies any pending migrations.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	pragmas := url.Values{}
	for _, p := range []string{
		"busy_timeout(10000)",
		"journal_mode(WAL)",
		"foreign_keys(1)",
		// In WAL mode NORMAL keeps every committed transaction across a
		// crash or kill -9 of the process and never corrupts the file; only
		// an OS crash or power loss can lose the last commits. FULL would
		// add an fsync (~10 ms here) to every login and refresh.
		"synchronous(NORMAL)",
		// Never spill to temporary files: the container's root is read-only.
		"temp_store(MEMORY)",
	} {
		pragmas.Add("_pragma", p)
	}
	wq := url.Values{"_txlock": {"immediate"}}
	for k, v := range pragmas {
		wq[k] = v
	}
	w, err := sql.Open("sqlite", path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	s := &SQLite{w: w}
	// The writer opens the file first: it creates it and switches it to WAL
	// before any reader looks at it.
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, explainOpen(err))
	}
	rq := url.Values{}
	for k, v := range pragmas {
		rq[k] = v
	}
	rq.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	s.r = r
	if err := r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open database %s: %w", path, explainOpen(err))
	}
	return s, nil
}

func explainOpen(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CANTOPEN || se.Code() == sqlite3.SQLITE_READONLY) {
		return fmt.Errorf("%w (check that the directory exists and is writable by this user)", err)
	}
	return err
}

// migrate brings the schema up to date with goose, after adopting a
// database made by the runner that came before it.
func (s *SQLite) migrate(ctx context.Context) error {
	if err := adoptLegacy(ctx, s.w); err != nil {
		return fmt.Errorf("adopt schema_migrations: %w", err)
	}
	return migrate(ctx, goose.DialectSQLite3, s.w, "migrations/sqlite")
}

// adoptLegacy hands a database made by the pre-goose runner over to goose.
// That runner recorded the migrations it applied in schema_migrations; the
// only one it ever had, 0001_init.sql, is goose's version 1 byte for byte.
// So when schema_migrations lists exactly version 1 and goose has no table
// yet, this records versions 0 and 1 the way goose would have and drops
// schema_migrations, all in one transaction. A schema_migrations with any
// other content is refused rather than guessed at.
func adoptLegacy(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var legacy, adopted int
	if err := tx.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'),
		(SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?)`, versionTable).Scan(&legacy, &adopted); err != nil {
		return err
	}
	if legacy == 0 {
		return nil
	}
	if adopted > 0 {
		return fmt.Errorf("both schema_migrations and %s exist: remove the one that is stale", versionTable)
	}
	var versions string
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(group_concat(version, ','), '') FROM
		(SELECT version FROM schema_migrations ORDER BY version)`).Scan(&versions); err != nil {
		return err
	}
	if versions != "1" {
		return fmt.Errorf("schema_migrations lists versions [%s]; only [1] (0001_init.sql) can be adopted", versions)
	}
	gs, err := database.NewStore(database.DialectSQLite3, versionTable)
	if err != nil {
		return err
	}
	if err := gs.CreateVersionTable(ctx, tx); err != nil {
		return err
	}
	for _, v := range []int64{0, 1} {
		if err := gs.Insert(ctx, tx, database.InsertRequest{Version: v}); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE schema_migrations`); err != nil {
		return err
	}
	return tx.Commit()
}

// Close closes both pools.
func (s *SQLite) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

// Ping checks that the database answers a query.
func (s *SQLite) Ping(ctx context.Context) error {
	var one int
	return s.r.QueryRowContext(ctx, `SELECT 1 FROM `+versionTable+` LIMIT 1`).Scan(&one)
}

func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE)
}

// CreateUser adds u.
func (s *SQLite) CreateUser(ctx context.Context, u User) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)`,
		u.Username, u.PasswordHash, u.Role, u.CreatedAt.Unix())
	if isConstraint(err) {
		return fmt.Errorf("user %q: %w", u.Username, ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// CreateFirstUser adds u when the store has no users.
func (s *SQLite) CreateFirstUser(ctx context.Context, u User) (bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return false, fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)`,
		u.Username, u.PasswordHash, u.Role, u.CreatedAt.Unix()); err != nil {
		return false, fmt.Errorf("create user: %w", err)
	}
	return true, tx.Commit()
}

// User returns one user.
func (s *SQLite) User(ctx context.Context, username string) (User, error) {
	var u User
	var created int64
	err := s.r.QueryRowContext(ctx, `SELECT username, password_hash, role, created_at FROM users WHERE username = ?`, username).
		Scan(&u.Username, &u.PasswordHash, &u.Role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("read user: %w", err)
	}
	u.CreatedAt = time.Unix(created, 0).UTC()
	return u, nil
}

// Users lists all users, ordered by name.
func (s *SQLite) Users(ctx context.Context) ([]User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT username, role, created_at FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	users := []User{}
	for rows.Next() {
		var u User
		var created int64
		if err := rows.Scan(&u.Username, &u.Role, &created); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.CreatedAt = time.Unix(created, 0).UTC()
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// DeleteUser removes a user; its refresh tokens go with it (ON DELETE CASCADE).
func (s *SQLite) DeleteUser(ctx context.Context, username string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM users WHERE username = ?`, username)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	return nil
}

// SetPassword replaces a password hash and revokes the user's refresh tokens.
func (s *SQLite) SetPassword(ctx context.Context, username string, hash []byte) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE username = ?`, hash, username)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM refresh_families WHERE username = ?`, username); err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return tx.Commit()
}

// ms is t in unix milliseconds, 0 for the zero time; fromMS reverses it.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func nullMS(t time.Time) sql.NullInt64 {
	return sql.NullInt64{Int64: ms(t), Valid: !t.IsZero()}
}

// CreateRefreshFamily implements Store.
func (s *SQLite) CreateRefreshFamily(ctx context.Context, f RefreshFamily) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO refresh_families (family, username, created_at, expires_at, generation, current_hash)
		VALUES (?, ?, ?, ?, ?, ?)`, f.ID, f.Username, ms(f.CreatedAt), ms(f.ExpiresAt), f.Generation, f.CurrentHash)
	if err != nil {
		return fmt.Errorf("add refresh family: %w", err)
	}
	return nil
}

const familyColumns = `family, username, created_at, expires_at, generation, current_hash, previous_hash,
	rotated_at, revoked_at, window_end, window_count`

// UpdateRefreshFamily implements Store. The write transaction is IMMEDIATE
// on the only writer connection, so the family cannot change between the
// read and the write, in this process or any other on the same file.
func (s *SQLite) UpdateRefreshFamily(ctx context.Context, find FamilyLookup, decide func(RefreshFamily) (*RefreshFamily, error)) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var row *sql.Row
	if find.ID != "" {
		row = tx.QueryRowContext(ctx, `SELECT `+familyColumns+` FROM refresh_families WHERE family = ?`, find.ID)
	} else {
		row = tx.QueryRowContext(ctx, `SELECT `+familyColumns+` FROM refresh_families
			WHERE current_hash = ?1 OR previous_hash = ?1 LIMIT 1`, find.Hash)
	}
	var f RefreshFamily
	var created, expires, windowEnd int64
	var rotated, revoked sql.NullInt64
	err = row.Scan(&f.ID, &f.Username, &created, &expires, &f.Generation, &f.CurrentHash, &f.PreviousHash,
		&rotated, &revoked, &windowEnd, &f.WindowCount)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("read refresh family: %w", err)
	}
	f.CreatedAt, f.ExpiresAt, f.WindowEnd = fromMS(created), fromMS(expires), fromMS(windowEnd)
	f.RotatedAt, f.RevokedAt = fromMS(rotated.Int64), fromMS(revoked.Int64)
	next, outcome := decide(f)
	if next == nil {
		return outcome
	}
	if _, err := tx.ExecContext(ctx, `UPDATE refresh_families SET generation = ?, current_hash = ?, previous_hash = ?,
		rotated_at = ?, revoked_at = ?, window_end = ?, window_count = ? WHERE family = ?`,
		next.Generation, next.CurrentHash, next.PreviousHash, nullMS(next.RotatedAt), nullMS(next.RevokedAt),
		ms(next.WindowEnd), next.WindowCount, f.ID); err != nil {
		return fmt.Errorf("update refresh family: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update refresh family: %w", err)
	}
	return outcome
}

// DeleteExpiredRefreshTokens implements Store.
func (s *SQLite) DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM refresh_families WHERE expires_at <= ?`, ms(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired refresh families: %w", err)
	}
	return res.RowsAffected()
}

// AddAttempt implements bruteforce.Counters: in one IMMEDIATE transaction,
// each key's counter is incremented unless it is at its limit in a live
// window; if any is, the transaction is rolled back and nothing is written.
func (s *SQLite) AddAttempt(ctx context.Context, limits map[string]int, window time.Duration, now time.Time) (time.Time, error) {
	keys := slices.Sorted(maps.Keys(limits))
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return time.Time{}, err
	}
	defer tx.Rollback()
	refused := false
	for _, k := range keys {
		var n int
		err := tx.QueryRowContext(ctx, `INSERT INTO attempt_counters (key, count, window_end) VALUES (?1, 1, ?2)
			ON CONFLICT (key) DO UPDATE SET
				count = CASE WHEN window_end <= ?3 THEN 1 ELSE count + 1 END,
				window_end = CASE WHEN window_end <= ?3 THEN ?2 ELSE window_end END
			WHERE window_end <= ?3 OR count < ?4
			RETURNING count`, k, ms(now.Add(window)), ms(now), limits[k]).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			refused = true
			break
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("count attempt: %w", err)
		}
	}
	if !refused {
		return time.Time{}, tx.Commit()
	}
	var until time.Time
	for _, k := range keys {
		var end int64
		err := tx.QueryRowContext(ctx, `SELECT window_end FROM attempt_counters WHERE key = ? AND window_end > ? AND count >= ?`,
			k, ms(now), limits[k]).Scan(&end)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("read attempt counter: %w", err)
		}
		if t := fromMS(end); t.After(until) {
			until = t
		}
	}
	return until, nil
}

// ForgetAttempts implements bruteforce.Counters.
func (s *SQLite) ForgetAttempts(ctx context.Context, key string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM attempt_counters WHERE key = ?`, key); err != nil {
		return fmt.Errorf("forget attempts: %w", err)
	}
	return nil
}

// GiveBackAttempt implements bruteforce.Counters.
func (s *SQLite) GiveBackAttempt(ctx context.Context, key string, now time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE attempt_counters SET count = count - 1 WHERE key = ? AND count > 0 AND window_end > ?`,
		key, ms(now)); err != nil {
		return fmt.Errorf("give back attempt: %w", err)
	}
	return nil
}

// DeleteStaleAttempts implements bruteforce.Counters.
func (s *SQLite) DeleteStaleAttempts(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM attempt_counters WHERE window_end <= ?`, ms(now))
	if err != nil {
		return 0, fmt.Errorf("delete stale attempts: %w", err)
	}
	return res.RowsAffected()
}
