package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
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
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open database %s: %w (check that the directory exists and is writable by this user)", path, err)
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
	if _, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE username = ?`, username); err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return tx.Commit()
}

// AddRefreshToken stores t.
func (s *SQLite) AddRefreshToken(ctx context.Context, t RefreshToken) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO refresh_tokens (hash, family, username, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		t.Hash, t.Family, t.Username, t.CreatedAt.Unix(), t.ExpiresAt.Unix())
	if err != nil {
		return fmt.Errorf("add refresh token: %w", err)
	}
	return nil
}

// RotateRefreshToken implements Store.
func (s *SQLite) RotateRefreshToken(ctx context.Context, oldHash []byte, next RefreshToken, now time.Time) (RefreshToken, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return RefreshToken{}, err
	}
	defer tx.Rollback()
	var old RefreshToken
	var created, expires int64
	var used, revoked sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT hash, family, username, created_at, expires_at, used_at, revoked_at
		FROM refresh_tokens WHERE hash = ?`, oldHash).
		Scan(&old.Hash, &old.Family, &old.Username, &created, &expires, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return RefreshToken{}, ErrNotFound
	}
	if err != nil {
		return RefreshToken{}, fmt.Errorf("read refresh token: %w", err)
	}
	old.CreatedAt, old.ExpiresAt = time.Unix(created, 0).UTC(), time.Unix(expires, 0).UTC()
	switch {
	case revoked.Valid:
		return old, ErrTokenRevoked
	case used.Valid:
		if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL`,
			now.Unix(), old.Family); err != nil {
			return old, fmt.Errorf("revoke family: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return old, fmt.Errorf("revoke family: %w", err)
		}
		return old, ErrTokenReused
	case !now.Before(old.ExpiresAt):
		return old, ErrTokenExpired
	}
	if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = ? WHERE hash = ?`, now.Unix(), oldHash); err != nil {
		return old, fmt.Errorf("mark refresh token used: %w", err)
	}
	// The family keeps the expiry of its login: rotation never extends it.
	if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (hash, family, username, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		next.Hash, old.Family, old.Username, next.CreatedAt.Unix(), old.ExpiresAt.Unix()); err != nil {
		return old, fmt.Errorf("add refresh token: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return old, fmt.Errorf("rotate refresh token: %w", err)
	}
	return old, nil
}

// RevokeRefreshFamily implements Store.
func (s *SQLite) RevokeRefreshFamily(ctx context.Context, hash []byte, now time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = ?
		WHERE revoked_at IS NULL AND family = (SELECT family FROM refresh_tokens WHERE hash = ?)`, now.Unix(), hash)
	if err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	var one int
	err = s.w.QueryRowContext(ctx, `SELECT 1 FROM refresh_tokens WHERE hash = ?`, hash).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// DeleteExpiredRefreshTokens implements Store.
func (s *SQLite) DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE expires_at <= ?`, now.Unix())
	if err != nil {
		return 0, fmt.Errorf("delete expired refresh tokens: %w", err)
	}
	return res.RowsAffected()
}

// createPrivate creates the database file readable by its owner only
// (0600), when it does not exist yet: it holds password hashes and refresh
// token hashes. SQLite gives the -wal and -shm files it creates next to it
// the database file's mode, so they are private too. An existing file
// keeps its mode: whoever made it chose it.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}
