package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestSQLiteOpenErrors(t *testing.T) {
	_, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "missing-dir", "auth.db"))
	if err == nil {
		t.Fatal("got no error for a file in a missing directory")
	}
	if !strings.Contains(err.Error(), "writable") {
		t.Errorf("got %v, want a hint about the directory", err)
	}
}

// Issue 14 item 7: the database and the -wal and -shm files SQLite makes
// next to it hold password and token hashes: owner only, whatever the umask.
func TestSQLiteFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "auth.db")
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A write makes sure the WAL and its index exist.
	if _, err := s.w.Exec(`CREATE TABLE probe (x)`); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: got mode %04o, want 0600", filepath.Base(name), mode)
		}
	}
}

// legacyDB creates a database the way the runner before goose did: its
// schema_migrations table, 0001_init.sql (goose's 00001 without the goose
// annotations) and the versions it recorded.
func legacyDB(tb testing.TB, versions ...int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "auth.db")
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	initSQL, err := migrationFiles.ReadFile("migrations/sqlite/00001_init.sql")
	if err != nil {
		tb.Fatal(err)
	}
	up, _, _ := strings.Cut(string(initSQL), "-- +goose Down")
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`,
		up,
		`INSERT INTO users (username, password_hash, role, created_at) VALUES ('Alice', X'68', 'admin', 1767323045)`,
		fmt.Sprintf(`INSERT INTO refresh_tokens (hash, family, username, created_at, expires_at) VALUES (X'%x', 'fam-legacy', 'Alice', 1767323045, 1767326645)`, hashOf("legacy")),
	}
	for _, v := range versions {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, '%04d_x.sql', 1767323045)`, v, v))
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
	return path
}

// A database made before goose keeps its users and tokens and is then
// migrated by goose alone.
func TestSQLiteAdoptsLegacyDatabase(t *testing.T) {
	ctx := context.Background()
	path := legacyDB(t, 1)
	for round := range 2 {
		s, err := OpenSQLite(ctx, path)
		if err != nil {
			t.Fatalf("open %d: %v", round, err)
		}
		if u, err := s.User(ctx, "alice"); err != nil || u.Username != "Alice" || u.Role != "admin" {
			t.Errorf("open %d: got %+v, %v; want Alice/admin", round, u, err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("open %d: ping: %v", round, err)
		}
		var legacy int
		var versions string
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'schema_migrations'`).Scan(&legacy); err != nil {
			t.Fatal(err)
		}
		if err := s.r.QueryRowContext(ctx, `SELECT group_concat(version_id, ',') FROM (SELECT version_id FROM goose_db_version ORDER BY id)`).Scan(&versions); err != nil {
			t.Fatal(err)
		}
		if want := "0," + embeddedVersions(t, "migrations/sqlite"); legacy != 0 || versions != want {
			t.Errorf("open %d: got schema_migrations %d, goose versions %s; want 0 and %s", round, legacy, versions, want)
		}
		s.Close()
	}
	s := sqliteBackend().openAt(t, path)
	svc := newAccounts(t, s, nil, 0, 0, &testClock{now: t0})
	if _, _, _, err := svc.Refresh(ctx, "legacy"); err != nil {
		t.Errorf("rotate the legacy token: %v", err)
	}
}

func TestSQLiteRefusesUnknownLegacyVersions(t *testing.T) {
	for _, versions := range [][]int{{}, {1, 2}, {2}} {
		path := legacyDB(t, versions...)
		_, err := OpenSQLite(context.Background(), path)
		if err == nil || !strings.Contains(err.Error(), "can be adopted") {
			t.Errorf("versions %v: got %v, want a refusal", versions, err)
		}
	}
}

// embeddedVersions lists the versions of the migrations in dir, in order
// and comma-separated: the ones every opened database must have applied.
func embeddedVersions(tb testing.TB, dir string) string {
	tb.Helper()
	files, err := fs.Glob(migrationFiles, dir+"/*.sql")
	if err != nil || len(files) == 0 {
		tb.Fatalf("migrations in %s: %v, %d files", dir, err, len(files))
	}
	var vs []string
	for _, f := range files {
		n, _, _ := strings.Cut(path.Base(f), "_")
		v, err := strconv.Atoi(n)
		if err != nil {
			tb.Fatalf("migration %s: %v", f, err)
		}
		vs = append(vs, strconv.Itoa(v))
	}
	return strings.Join(vs, ",")
}
