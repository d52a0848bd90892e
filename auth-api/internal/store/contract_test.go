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
		{"AddRefreshToken", testAddRefreshToken},
		{"Rotation", testRotation},
		{"RotationKeepsFamilyExpiry", testRotationKeepsFamilyExpiry},
		{"Expiry", testExpiry},
		{"RevokeFamily", testRevokeFamily},
		{"DeleteExpired", testDeleteExpired},
		{"ConcurrentRotation", testConcurrentRotation},
		{"ConcurrentRotationTwoStores", testConcurrentRotationTwoStores},
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

// newToken is the first token of family fam-NAME for alice.
func newToken(name string, exp time.Time) RefreshToken {
	return RefreshToken{Hash: hashOf(name), Family: "fam-" + name, Username: "alice", CreatedAt: t0, ExpiresAt: exp}
}

func addToken(tb testing.TB, s Store, t RefreshToken) {
	tb.Helper()
	if err := s.AddRefreshToken(context.Background(), t); err != nil {
		tb.Fatal(err)
	}
}

// rotate presents the token called present and offers next as its
// successor.
func rotate(s Store, present, next string, now time.Time) (RefreshToken, error) {
	return s.RotateRefreshToken(context.Background(), hashOf(present), newToken(next, t0.Add(time.Hour)), now)
}

func wantRotate(tb testing.TB, s Store, present, next string, now time.Time, want error) {
	tb.Helper()
	if _, err := rotate(s, present, next, now); !errors.Is(err, want) || (want == nil && err != nil) {
		tb.Errorf("rotate %s: got %v, want %v", present, err, want)
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
	addToken(t, s, newToken("a1", t0.Add(time.Hour)))
	addToken(t, s, newToken("a2", t0.Add(time.Hour)))
	bobs := newToken("b1", t0.Add(time.Hour))
	bobs.Username = "bob"
	addToken(t, s, bobs)
	if _, err := rotate(s, "a2", "a3", t0); err != nil {
		t.Fatal(err)
	}

	if err := s.DeleteUser(ctx, "ALICE"); err != nil {
		t.Fatalf("delete in another case: %v", err)
	}
	if err := s.DeleteUser(ctx, "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: got %v, want ErrNotFound", err)
	}
	if _, err := s.User(ctx, "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("User after delete: got %v, want ErrNotFound", err)
	}
	// Every token of the user goes, used or not; other users keep theirs.
	for _, name := range []string{"a1", "a2", "a3"} {
		wantRotate(t, s, name, name+"-next", t0, ErrNotFound)
		if err := s.RevokeRefreshFamily(ctx, hashOf(name), t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("revoke %s after delete: got %v, want ErrNotFound", name, err)
		}
	}
	wantRotate(t, s, "b1", "b2", t0, nil)
	// A new account with the same name does not inherit anything.
	addUser(t, s, "Alice", "user")
	wantRotate(t, s, "a3", "a4", t0, ErrNotFound)
}

func testSetPassword(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	addUser(t, s, "bob", "user")
	addToken(t, s, newToken("p", t0.Add(time.Hour)))
	bobs := newToken("bp", t0.Add(time.Hour))
	bobs.Username = "bob"
	addToken(t, s, bobs)

	if err := s.SetPassword(ctx, "nobody", []byte("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: got %v, want ErrNotFound", err)
	}
	if err := s.SetPassword(ctx, "Alice", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if u, err := s.User(ctx, "alice"); err != nil || string(u.PasswordHash) != "new" {
		t.Errorf("got %q, %v; want hash new", u.PasswordHash, err)
	}
	wantRotate(t, s, "p", "p2", t0, ErrNotFound)
	wantRotate(t, s, "bp", "bp2", t0, nil)
}

func testAddRefreshToken(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	if err := s.AddRefreshToken(ctx, RefreshToken{Hash: hashOf("x"), Family: "f", Username: "nobody", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err == nil {
		t.Error("token of an unknown user: got no error")
	}
	addToken(t, s, newToken("x", t0.Add(time.Hour)))
	if err := s.AddRefreshToken(ctx, newToken("x", t0.Add(time.Hour))); err == nil {
		t.Error("the same hash twice: got no error")
	}
	// The name in another case still belongs to the user: deleting it takes
	// the token along.
	upper := newToken("upper", t0.Add(time.Hour))
	upper.Username = "ALICE"
	addToken(t, s, upper)
	if err := s.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	wantRotate(t, s, "upper", "upper2", t0, ErrNotFound)
}

func testRotation(t *testing.T, b backend) {
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	addToken(t, s, newToken("a", t0.Add(time.Hour)))
	addToken(t, s, newToken("other", t0.Add(time.Hour)))
	old, err := rotate(s, "a", "b", t0)
	if err != nil {
		t.Fatal(err)
	}
	want := newToken("a", t0.Add(time.Hour))
	if string(old.Hash) != string(want.Hash) || old.Username != "alice" || old.Family != "fam-a" ||
		!old.CreatedAt.Equal(t0) || !old.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("got %+v, want %+v", old, want)
	}
	wantRotate(t, s, "b", "c", t0.Add(time.Minute), nil)
	for _, tt := range []struct {
		name    string
		present string
		next    string
		wantErr error
	}{
		{"unknown", "zzz", "x1", ErrNotFound},
		{"reuse of a rotated token", "a", "x2", ErrTokenReused},
		{"its successor is revoked with the family", "b", "x3", ErrTokenRevoked},
		{"the newest too", "c", "x4", ErrTokenRevoked},
		{"reuse again", "a", "x5", ErrTokenRevoked},
		{"no successor was stored on failure", "x2", "x6", ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantRotate(t, s, tt.present, tt.next, t0.Add(2*time.Minute), tt.wantErr)
		})
	}
	// Another family of the same user is untouched.
	wantRotate(t, s, "other", "other2", t0, nil)
}

// next.Family, next.Username and next.ExpiresAt come from the old token.
func testRotationKeepsFamilyExpiry(t *testing.T, b backend) {
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	addUser(t, s, "mallory", "user")
	addToken(t, s, newToken("a", t0.Add(time.Hour)))
	next := RefreshToken{Hash: hashOf("b"), Family: "fam-mallory", Username: "mallory", CreatedAt: t0, ExpiresAt: t0.Add(100 * time.Hour)}
	if _, err := s.RotateRefreshToken(context.Background(), hashOf("a"), next, t0); err != nil {
		t.Fatal(err)
	}
	old, err := rotate(s, "b", "c", t0.Add(time.Hour-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if old.Family != "fam-a" || old.Username != "alice" || !old.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("successor: got %+v, want family fam-a, alice, expiring %v", old, t0.Add(time.Hour))
	}
	wantRotate(t, s, "c", "d", t0.Add(time.Hour), ErrTokenExpired)
	// mallory's account is not where the token went.
	if err := s.DeleteUser(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	wantRotate(t, s, "c", "d", t0, ErrNotFound)
}

func testExpiry(t *testing.T, b backend) {
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	exp := t0.Add(time.Minute)
	addToken(t, s, newToken("x", exp))
	addToken(t, s, newToken("y", exp))
	for _, tt := range []struct {
		name    string
		present string
		now     time.Time
		wantErr error
	}{
		{"at its expiry", "x", exp, ErrTokenExpired},
		{"after it", "x", exp.Add(time.Hour), ErrTokenExpired},
		// An expired token was not marked used: presenting it again is
		// no reuse.
		{"again", "x", exp, ErrTokenExpired},
		{"just before", "y", exp.Add(-time.Second), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantRotate(t, s, tt.present, tt.present+"-next", tt.now, tt.wantErr)
		})
	}
}

func testRevokeFamily(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	addToken(t, s, newToken("p", t0.Add(time.Hour)))
	addToken(t, s, newToken("q", t0.Add(time.Hour)))
	wantRotate(t, s, "p", "p2", t0, nil)
	wantRotate(t, s, "p2", "p3", t0, nil)

	// Presenting any token of the family, even a used one, revokes it all.
	if err := s.RevokeRefreshFamily(ctx, hashOf("p"), t0); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeRefreshFamily(ctx, hashOf("p3"), t0); err != nil {
		t.Errorf("revoking a revoked family: got %v, want nil", err)
	}
	if err := s.RevokeRefreshFamily(ctx, hashOf("nope"), t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke unknown: got %v, want ErrNotFound", err)
	}
	wantRotate(t, s, "p3", "p4", t0, ErrTokenRevoked)
	wantRotate(t, s, "p", "p4", t0, ErrTokenRevoked)
	wantRotate(t, s, "q", "q2", t0, nil)
}

func testDeleteExpired(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	addToken(t, s, newToken("early", t0.Add(time.Minute)))
	addToken(t, s, newToken("boundary", t0.Add(2*time.Minute)))
	addToken(t, s, newToken("late", t0.Add(time.Hour)))
	wantRotate(t, s, "early", "early2", t0, nil) // early2 inherits the minute
	n, err := s.DeleteExpiredRefreshTokens(ctx, t0.Add(2*time.Minute))
	if err != nil || n != 3 {
		t.Errorf("cleanup: got %d, %v; want 3, nil", n, err)
	}
	for _, name := range []string{"early", "early2", "boundary"} {
		wantRotate(t, s, name, name+"-next", t0, ErrNotFound)
	}
	wantRotate(t, s, "late", "late2", t0, nil)
	if n, err := s.DeleteExpiredRefreshTokens(ctx, t0.Add(2*time.Minute)); err != nil || n != 0 {
		t.Errorf("second cleanup: got %d, %v; want 0, nil", n, err)
	}
}

// concurrentRotation presents one token from 16 goroutines at once, spread
// over stores (one each, or two "replicas" on the same database).
func concurrentRotation(t *testing.T, stores []Store) {
	ctx := context.Background()
	addUser(t, stores[0], "alice", "user")
	addToken(t, stores[0], newToken("start", t0.Add(time.Hour)))
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = stores[i%len(stores)].RotateRefreshToken(ctx, hashOf("start"), newToken(fmt.Sprint("next", i), t0.Add(time.Hour)), t0)
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	var reused, revoked int
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("rotations %d and %d both succeeded", winner, i)
			}
			winner = i
		case errors.Is(err, ErrTokenReused):
			reused++
		case errors.Is(err, ErrTokenRevoked):
			revoked++
		default:
			t.Errorf("rotation %d: unexpected error: %v", i, err)
		}
	}
	// The first loser detects the reuse and revokes the family; the others
	// find it revoked.
	if winner < 0 || reused != 1 || revoked != n-2 {
		t.Fatalf("got winner %d, %d reused, %d revoked; want one winner, 1 reused, %d revoked", winner, reused, revoked, n-2)
	}
	// The family did not fork: only the winner's successor was stored, and
	// the reuse revoked it.
	for i := range n {
		want := ErrNotFound
		if i == winner {
			want = ErrTokenRevoked
		}
		wantRotate(t, stores[0], fmt.Sprint("next", i), fmt.Sprint("after", i), t0, want)
	}
}

func testConcurrentRotation(t *testing.T, b backend) {
	concurrentRotation(t, []Store{b.openNew(t)})
}

func testConcurrentRotationTwoStores(t *testing.T, b backend) {
	loc := b.fresh(t)
	concurrentRotation(t, []Store{b.openAt(t, loc), b.openAt(t, loc)})
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
	addToken(t, s, newToken("a", t0.Add(time.Hour)))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = b.openAt(t, loc)
	if _, err := s.User(ctx, "alice"); err != nil {
		t.Errorf("after reopen: %v", err)
	}
	wantRotate(t, s, "a", "b", t0, nil)
	if err := s.Ping(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}
}
