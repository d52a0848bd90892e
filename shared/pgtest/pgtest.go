// Package pgtest starts a throw-away PostgreSQL server for tests, from the
// binaries of Debian's postgresql package (or any initdb and postgres on
// PATH): initdb into a temporary directory, postgres on a free loopback
// port with its socket in that directory, one fresh database per test, and
// everything stopped and removed when the test that started it ends.
//
// When PostgreSQL is not installed, Start skips the test, unless the
// environment has REQUIRE_POSTGRES=1 (as CI does), which makes it fail.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running throw-away PostgreSQL server.
type Server struct {
	port  int
	dbs   atomic.Int64
	admin string // URL of the maintenance database "postgres"
}

// superuser is the role initdb creates; trust authentication on loopback
// only, so it needs no password.
const superuser = "postgres"

// Start initialises and starts a server that lives until tb ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := findBin("/usr/lib/postgresql")
	if err != nil {
		if os.Getenv("REQUIRE_POSTGRES") == "1" {
			tb.Fatalf("pgtest: %v (REQUIRE_POSTGRES=1)", err)
		}
		tb.Skipf("pgtest: %v; skipping the PostgreSQL tests (install Debian's postgresql package to run them, set REQUIRE_POSTGRES=1 to make this a failure)", err)
	}
	// Not tb.TempDir: its parents are private to the current user, and
	// when that is root the server runs as another user.
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			tb.Errorf("pgtest: remove %s: %v", dir, err)
		}
	})
	attr, err := runAs(dir)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", superuser, "--auth=trust",
		"--encoding=UTF8", "--no-locale", "--no-sync")
	initdb.SysProcAttr = attr
	if out, err := initdb.CombinedOutput(); err != nil {
		tb.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	// A port picked free can be taken again before postgres binds it; then
	// postgres exits and another port is tried.
	for attempt := 1; ; attempt++ {
		s, err := start(tb, bin, dir, attr)
		if err == nil {
			return s
		}
		if attempt == 3 {
			tb.Fatalf("pgtest: %v", err)
		}
		tb.Logf("pgtest: %v; trying another port", err)
	}
}

// findBin returns the directory with initdb and postgres: PATH first, then
// the newest root/N/bin (Debian's layout).
func findBin(root string) (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	found, _ := filepath.Glob(filepath.Join(root, "*", "bin", "initdb"))
	// Newest major version first: 15 before 9.6.
	version := func(p string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(filepath.Dir(p))), 64)
		return v
	}
	slices.SortFunc(found, func(a, b string) int {
		switch va, vb := version(a), version(b); {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	for _, p := range found {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	return "", errors.New("PostgreSQL is not installed (no initdb and postgres on PATH or in /usr/lib/postgresql/*/bin)")
}

// runAs returns how to run the server's processes: as the current user,
// or, since postgres refuses to run as root, as the postgres user when the
// current user is root; dir is handed over to that user.
func runAs(dir string) (*syscall.SysProcAttr, error) {
	attr := sysProcAttr()
	if os.Geteuid() != 0 {
		return attr, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses to: %v (the postgresql package creates a postgres user)", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		return nil, err
	}
	attr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return attr, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs postgres on a free port and waits until it accepts
// connections; the server is stopped when tb ends.
func start(tb testing.TB, bin, dir string, attr *syscall.SysProcAttr) (*Server, error) {
	tb.Helper()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// The log goes to a file, written by postgres itself, so that reading
	// it here races with nothing.
	logPath := filepath.Join(dir, fmt.Sprintf("postgres-%d.log", port))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	logText := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(dir, "data"),
		"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-k", dir,
		// A throw-away server: durability buys nothing.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200")
	cmd.SysProcAttr = attr
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		// SIGINT is PostgreSQL's fast shutdown: it ends the sessions of
		// tests that forgot to close their pool.
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	s := &Server{port: port, admin: fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable", superuser, port)}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, s.admin)
		if err == nil {
			conn.Close(ctx)
			tb.Cleanup(stop)
			return s, nil
		}
		select {
		case werr := <-exited:
			exited <- werr
			return nil, fmt.Errorf("postgres exited (%v):\n%s", werr, logText())
		case <-ctx.Done():
			stop()
			return nil, fmt.Errorf("postgres did not accept connections within 60s: %v\n%s", err, logText())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// URL returns the connection URL of the named database on s.
func (s *Server) URL(database string) string {
	u := url.URL{Scheme: "postgres", User: url.User(superuser), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path: "/" + database, RawQuery: "sslmode=disable"}
	return u.String()
}

// NewDatabase creates an empty database that is dropped when tb ends and
// returns its URL.
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("test_%d", s.dbs.Add(1))
	ctx := context.Background()
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, s.admin)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(`CREATE DATABASE ` + pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		if err := exec(`DROP DATABASE ` + pgx.Identifier{name}.Sanitize() + ` WITH (FORCE)`); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.URL(name)
}
