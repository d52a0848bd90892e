package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openTest(tb testing.TB) *SQLite {
	tb.Helper()
	s, err := OpenSQLite(context.Background(), filepath.Join(tb.TempDir(), "auth.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func hashOf(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func addUser(tb testing.TB, s *SQLite, name, role string) {
	tb.Helper()
	if err := s.CreateUser(context.Background(), User{Username: name, PasswordHash: []byte("h"), Role: role, CreatedAt: t0}); err != nil {
		tb.Fatal(err)
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addUser(t, s, "Alice", "admin")
	addUser(t, s, "bob", "user")

	for _, tt := range []struct {
		name    string
		user    string
		wantErr error
	}{
		{"duplicate in another case", "alice", ErrDuplicate},
		{"duplicate exact", "bob", ErrDuplicate},
		{"new", "carol", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := s.CreateUser(ctx, User{Username: tt.user, PasswordHash: []byte("h"), Role: "user", CreatedAt: t0})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}

	u, err := s.User(ctx, "ALICE")
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "Alice" || u.Role != "admin" || !u.CreatedAt.Equal(t0) {
		t.Errorf("got %+v, want Alice/admin/%v", u, t0)
	}
	if _, err := s.User(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
	list, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintln(len(list), list[0].Username, list[2].Username); got != "3 Alice carol\n" {
		t.Errorf("got %q, want %q", got, "3 Alice carol\n")
	}
	if created, err := s.CreateFirstUser(ctx, User{Username: "dave", PasswordHash: []byte("h"), Role: "admin", CreatedAt: t0}); err != nil || created {
		t.Errorf("CreateFirstUser on a non-empty store: got %v, %v; want false, nil", created, err)
	}
	if err := s.DeleteUser(ctx, "BOB"); err != nil {
		t.Errorf("delete: %v", err)
	}
	if err := s.DeleteUser(ctx, "bob"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: got %v, want ErrNotFound", err)
	}
	if err := s.SetPassword(ctx, "nobody", []byte("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetPassword of unknown user: got %v, want ErrNotFound", err)
	}
}

func TestCreateFirstUser(t *testing.T) {
	s := openTest(t)
	created, err := s.CreateFirstUser(context.Background(), User{Username: "root", PasswordHash: []byte("h"), Role: "admin", CreatedAt: t0})
	if err != nil || !created {
		t.Fatalf("got %v, %v; want true, nil", created, err)
	}
}

func newToken(name string, exp time.Time) RefreshToken {
	return RefreshToken{Hash: hashOf(name), Family: "fam-" + name, Username: "alice", CreatedAt: t0, ExpiresAt: exp}
}

func TestRefreshRotation(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addUser(t, s, "alice", "user")
	if err := s.AddRefreshToken(ctx, newToken("a", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	old, err := s.RotateRefreshToken(ctx, hashOf("a"), newToken("b", t0.Add(time.Hour)), t0)
	if err != nil {
		t.Fatal(err)
	}
	if old.Username != "alice" || old.Family != "fam-a" {
		t.Errorf("got %+v, want alice in fam-a", old)
	}
	for _, tt := range []struct {
		name    string
		present string
		next    string
		now     time.Time
		wantErr error
	}{
		{"unknown", "zzz", "c", t0, ErrNotFound},
		{"reuse of a", "a", "d", t0, ErrTokenReused},
		{"b is revoked with its family", "b", "e", t0, ErrTokenRevoked},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.RotateRefreshToken(ctx, hashOf(tt.present), newToken(tt.next, t0.Add(time.Hour)), tt.now)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}

	if err := s.AddRefreshToken(ctx, newToken("x", t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateRefreshToken(ctx, hashOf("x"), newToken("y", t0.Add(time.Hour)), t0.Add(time.Minute)); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("expired: got %v, want ErrTokenExpired", err)
	}
	n, err := s.DeleteExpiredRefreshTokens(ctx, t0.Add(2*time.Minute))
	if err != nil || n != 1 {
		t.Errorf("cleanup: got %d, %v; want 1, nil", n, err)
	}
}

func TestRevokeAndCascade(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addUser(t, s, "alice", "user")
	for _, name := range []string{"p", "q", "r"} {
		if err := s.AddRefreshToken(ctx, newToken(name, t0.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeRefreshFamily(ctx, hashOf("p"), t0); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeRefreshFamily(ctx, hashOf("nope"), t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke unknown: got %v, want ErrNotFound", err)
	}
	if _, err := s.RotateRefreshToken(ctx, hashOf("p"), newToken("p2", t0.Add(time.Hour)), t0); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("after logout: got %v, want ErrTokenRevoked", err)
	}
	if err := s.SetPassword(ctx, "alice", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateRefreshToken(ctx, hashOf("q"), newToken("q2", t0.Add(time.Hour)), t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("after password change: got %v, want ErrNotFound", err)
	}
	if err := s.AddRefreshToken(ctx, newToken("s", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateRefreshToken(ctx, hashOf("s"), newToken("s2", t0.Add(time.Hour)), t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("after user deletion: got %v, want ErrNotFound", err)
	}
}

// Many goroutines present the same refresh token at once: exactly one wins.
func TestConcurrentRotation(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addUser(t, s, "alice", "user")
	if err := s.AddRefreshToken(ctx, newToken("start", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	const n = 32
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.RotateRefreshToken(ctx, hashOf("start"), newToken(fmt.Sprint("next", i), t0.Add(time.Hour)), t0)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrTokenReused), errors.Is(err, ErrTokenRevoked):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("got %d successful rotations, want exactly 1", ok)
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auth.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	addUser(t, s, "alice", "user")
	s.Close()
	s, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.User(ctx, "alice"); err != nil {
		t.Errorf("after reopen: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "missing-dir", "auth.db"))
	if err == nil {
		t.Fatal("got no error for a file in a missing directory")
	}
	t.Log(err)
}
