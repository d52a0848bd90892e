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

// backend is one Store implementation under the contract tests.
type backend struct {
	// fresh returns where a new, empty database lives (a file path or URL);
	// it is removed when tb ends.
	fresh func(tb testing.TB) string
	// open opens (and migrates) the database at loc.
	open func(ctx context.Context, loc string) (Store, error)
	// postgres: loc is a PostgreSQL URL (else a SQLite file).
	postgres bool
}

func sqliteBackend() backend {
	return backend{
		fresh: func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "auth.db") },
		open: func(ctx context.Context, loc string) (Store, error) {
			return OpenSQLite(ctx, loc)
		},
	}
}

func TestSQLiteContract(t *testing.T) { runContract(t, sqliteBackend()) }

// openAt opens the database at loc, closed when tb ends.
func (b backend) openAt(tb testing.TB, loc string) Store {
	tb.Helper()
	s, err := b.open(context.Background(), loc)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// openNew opens a new, empty database.
func (b backend) openNew(tb testing.TB) Store {
	tb.Helper()
	return b.openAt(tb, b.fresh(tb))
}

// runContract runs every contract test against b, in parallel subtests.
func runContract(t *testing.T, b backend) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, backend)
	}{
		{"Users", testUsers},
		{"CreateFirstUser", testCreateFirstUser},
		{"CreateFirstUserConcurrent", testCreateFirstUserConcurrent},
		{"DeleteUser", testDeleteUser},
		{"SetPassword", testSetPassword},
		{"CreateRefreshFamily", testCreateRefreshFamily},
		{"UpdateRefreshFamily", testUpdateRefreshFamily},
		{"UpdateRefreshFamilyConcurrent", testUpdateRefreshFamilyConcurrent},
		{"UpdateRefreshFamilyTwoStores", testUpdateRefreshFamilyTwoStores},
		{"DeleteExpired", testDeleteExpired},
		{"Refresh", testRefresh},
		{"RefreshConcurrentTwoStores", testRefreshConcurrentTwoStores},
		{"RefreshRowsStayFlat", testRefreshRowsStayFlat},
		{"Attempts", testAttempts},
		{"AttemptsConcurrentTwoStores", testAttemptsConcurrentTwoStores},
		{"UpgradeFromVersion1", testUpgradeFromVersion1},
		{"ReopenKeepsData", testReopenKeepsData},
		{"Revocations", testRevocations},
		{"RevocationsConcurrent", testRevocationsConcurrent},
		{"Families", testFamilies},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, b)
		})
	}
}

func hashOf(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func addUser(tb testing.TB, s Store, name, role string) {
	tb.Helper()
	if err := s.CreateUser(context.Background(), User{Username: name, PasswordHash: []byte("h-" + name), Role: role, CreatedAt: t0}); err != nil {
		tb.Fatal(err)
	}
}

func testUsers(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	list, err := s.Users(ctx)
	if err != nil || list == nil || len(list) != 0 {
		t.Errorf("Users of an empty store: got %#v, %v; want an empty, non-nil list", list, err)
	}
	addUser(t, s, "Alice", "admin")
	addUser(t, s, "bob", "user")

	for _, tt := range []struct {
		name    string
		user    string
		wantErr error
	}{
		{"duplicate in another case", "alice", ErrDuplicate},
		{"duplicate in upper case", "ALICE", ErrDuplicate},
		{"duplicate exact", "bob", ErrDuplicate},
		{"new lower case", "carol", nil},
		{"new upper case", "Dave", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := s.CreateUser(ctx, User{Username: tt.user, PasswordHash: []byte("h"), Role: "user", CreatedAt: t0})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
	if err := s.CreateUser(ctx, User{Username: "eve", PasswordHash: []byte("h"), Role: "root", CreatedAt: t0}); err == nil {
		t.Error("CreateUser with role root: got no error")
	}

	for _, name := range []string{"Alice", "alice", "ALICE", "aLiCe"} {
		u, err := s.User(ctx, name)
		if err != nil {
			t.Fatalf("User(%q): %v", name, err)
		}
		if u.Username != "Alice" || u.Role != "admin" || string(u.PasswordHash) != "h-Alice" || !u.CreatedAt.Equal(t0) || u.CreatedAt.Location() != time.UTC {
			t.Errorf("User(%q): got %+v, want Alice/admin/h-Alice/%v UTC", name, u, t0)
		}
	}
	if _, err := s.User(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
	list, err = s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Ordered regardless of case: Dave after carol.
	var got []string
	for _, u := range list {
		got = append(got, u.Username+"/"+u.Role)
		if u.PasswordHash != nil {
			t.Errorf("Users returned the password hash of %s", u.Username)
		}
		if !u.CreatedAt.Equal(t0) {
			t.Errorf("Users: %s created %v, want %v", u.Username, u.CreatedAt, t0)
		}
	}
	if want := "[Alice/admin bob/user carol/user Dave/user]"; fmt.Sprint(got) != want {
		t.Errorf("Users: got %v, want %s", got, want)
	}
}

func testCreateFirstUser(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	created, err := s.CreateFirstUser(ctx, User{Username: "root", PasswordHash: []byte("h"), Role: "admin", CreatedAt: t0})
	if err != nil || !created {
		t.Fatalf("on an empty store: got %v, %v; want true, nil", created, err)
	}
	for _, name := range []string{"root", "other"} {
		created, err := s.CreateFirstUser(ctx, User{Username: name, PasswordHash: []byte("h"), Role: "admin", CreatedAt: t0})
		if err != nil || created {
			t.Errorf("%s on a non-empty store: got %v, %v; want false, nil", name, created, err)
		}
	}
	if u, err := s.User(ctx, "root"); err != nil || u.Role != "admin" {
		t.Errorf("got %+v, %v; want root/admin", u, err)
	}
}

// Replicas starting together each try to bootstrap an admin: one does.
func testCreateFirstUserConcurrent(t *testing.T, b backend) {
	ctx := context.Background()
	loc := b.fresh(t)
	stores := []Store{b.openAt(t, loc), b.openAt(t, loc)}
	const n = 8
	created := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			created[i], errs[i] = stores[i%2].CreateFirstUser(ctx, User{Username: fmt.Sprint("admin", i), PasswordHash: []byte("h"), Role: "admin", CreatedAt: t0})
		})
	}
	wg.Wait()
	count := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("CreateFirstUser %d: %v", i, errs[i])
		}
		if created[i] {
			count++
		}
	}
	list, err := stores[0].Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if count != 1 || len(list) != 1 {
		t.Errorf("got %d created and %d users, want 1 and 1", count, len(list))
	}
}

func testDeleteUser(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	addUser(t, s, "bob", "user")
	addFamily(t, s, "a1", "alice", t0.Add(time.Hour))
	addFamily(t, s, "a2", "ALICE", t0.Add(time.Hour))
	addFamily(t, s, "b1", "bob", t0.Add(time.Hour))

	if err := s.DeleteUser(ctx, "ALICE"); err != nil {
		t.Fatalf("delete in another case: %v", err)
	}
	if err := s.DeleteUser(ctx, "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: got %v, want ErrNotFound", err)
	}
	if _, err := s.User(ctx, "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("User after delete: got %v, want ErrNotFound", err)
	}
	// Every family of the user goes; other users keep theirs.
	wantFamily(t, s, FamilyLookup{ID: "a1"}, ErrNotFound)
	wantFamily(t, s, FamilyLookup{Hash: hashOf("a2")}, ErrNotFound)
	wantFamily(t, s, FamilyLookup{ID: "b1"}, nil)
	// A new account with the same name does not inherit anything.
	addUser(t, s, "Alice", "user")
	wantFamily(t, s, FamilyLookup{ID: "a1"}, ErrNotFound)
}

func testSetPassword(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	addUser(t, s, "bob", "user")
	addFamily(t, s, "p", "alice", t0.Add(time.Hour))
	addFamily(t, s, "bp", "bob", t0.Add(time.Hour))

	if err := s.SetPassword(ctx, "nobody", []byte("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: got %v, want ErrNotFound", err)
	}
	if err := s.SetPassword(ctx, "Alice", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if u, err := s.User(ctx, "alice"); err != nil || string(u.PasswordHash) != "new" {
		t.Errorf("got %q, %v; want hash new", u.PasswordHash, err)
	}
	wantFamily(t, s, FamilyLookup{ID: "p"}, ErrNotFound)
	wantFamily(t, s, FamilyLookup{ID: "bp"}, nil)
}

func testReopenKeepsData(t *testing.T, b backend) {
	ctx := context.Background()
	loc := b.fresh(t)
	s, err := b.open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}
	addUser(t, s, "alice", "user")
	addFamily(t, s, "a", "alice", t0.Add(time.Hour))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = b.openAt(t, loc)
	if _, err := s.User(ctx, "alice"); err != nil {
		t.Errorf("after reopen: %v", err)
	}
	wantFamily(t, s, FamilyLookup{ID: "a"}, nil)
	if err := s.Ping(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}
}
