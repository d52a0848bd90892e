package pgtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestFindBin(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	root := t.TempDir()
	if _, err := findBin(root); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("nothing installed: got %v, want not installed", err)
	}
	install := func(version string, files ...string) string {
		dir := filepath.Join(root, version, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	install("9.6", "initdb", "postgres")
	want := install("15", "initdb", "postgres")
	install("16", "initdb") // a broken install: no server binary
	if got, err := findBin(root); err != nil || got != want {
		t.Errorf("got %q, %v; want %q (the newest complete version)", got, err, want)
	}
	onPath := t.TempDir()
	for _, f := range []string{"initdb", "postgres"} {
		if err := os.WriteFile(filepath.Join(onPath, f), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", onPath)
	if got, err := findBin(root); err != nil || got != onPath {
		t.Errorf("got %q, %v; want %q from PATH", got, err, onPath)
	}
}

// The server accepts connections and gives each test its own database.
func TestStart(t *testing.T) {
	srv := Start(t)
	a, b := srv.NewDatabase(t), srv.NewDatabase(t)
	if a == b || !strings.HasPrefix(a, "postgres://postgres@127.0.0.1:") {
		t.Errorf("got %q and %q, want two different loopback URLs", a, b)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var name string
	if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&name); err != nil || !strings.HasSuffix(b, "/"+name+"?sslmode=disable") {
		t.Errorf("connected to %q (%v), want the database of %s", name, err, b)
	}
}
