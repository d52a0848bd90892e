package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/shared/servicetest"
	"github.com/pressly/goose/v3"

	"github.com/jwt-micro-system/auth-api/internal/account"
)

// contractSecret is fresh for every run, as the secret policy wants it.
var contractSecret = servicetest.NewSecret()

// addFamily stores the family id of user, its current token's hash being
// hashOf(id).
func addFamily(tb testing.TB, s Store, id, user string, exp time.Time) {
	tb.Helper()
	if err := s.CreateRefreshFamily(context.Background(), RefreshFamily{ID: id, Username: user, CreatedAt: t0, ExpiresAt: exp,
		Generation: 1, CurrentHash: hashOf(id)}); err != nil {
		tb.Fatal(err)
	}
}

// readFamily returns the family find names, writing nothing.
func readFamily(s Store, find FamilyLookup) (RefreshFamily, error) {
	var got RefreshFamily
	err := s.UpdateRefreshFamily(context.Background(), find, func(f RefreshFamily) (*RefreshFamily, error) {
		got = f
		return nil, nil
	})
	return got, err
}

func wantFamily(tb testing.TB, s Store, find FamilyLookup, want error) {
	tb.Helper()
	if _, err := readFamily(s, find); !errors.Is(err, want) || (want == nil && err != nil) {
		tb.Errorf("family %+v: got %v, want %v", find, err, want)
	}
}

func testCreateRefreshFamily(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	if err := s.CreateRefreshFamily(ctx, RefreshFamily{ID: "x", Username: "nobody", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
		Generation: 1, CurrentHash: hashOf("x")}); err == nil {
		t.Error("family of an unknown user: got no error")
	}
	addFamily(t, s, "f", "ALICE", t0.Add(time.Hour))
	for _, dup := range []RefreshFamily{
		{ID: "f", Username: "alice", CreatedAt: t0, ExpiresAt: t0, Generation: 1, CurrentHash: hashOf("other")},
		{ID: "g", Username: "alice", CreatedAt: t0, ExpiresAt: t0, Generation: 1, CurrentHash: hashOf("f")},
	} {
		if err := s.CreateRefreshFamily(ctx, dup); err == nil {
			t.Errorf("duplicate %s: got no error", dup.ID)
		}
	}
	created := t0.Add(1234 * time.Millisecond)
	if err := s.CreateRefreshFamily(ctx, RefreshFamily{ID: "ms", Username: "alice", CreatedAt: created, ExpiresAt: created.Add(time.Hour),
		Generation: 7, CurrentHash: hashOf("ms")}); err != nil {
		t.Fatal(err)
	}
	for _, find := range []FamilyLookup{{ID: "ms"}, {Hash: hashOf("ms")}, {ID: "ms", Hash: hashOf("anything")}} {
		f, err := readFamily(s, find)
		want := RefreshFamily{ID: "ms", Username: "alice", CreatedAt: created, ExpiresAt: created.Add(time.Hour), Generation: 7, CurrentHash: hashOf("ms")}
		if err != nil || fmt.Sprint(f) != fmt.Sprint(want) || f.CreatedAt.Location() != time.UTC {
			t.Errorf("lookup %+v: got %+v, %v; want %+v in UTC", find, f, err, want)
		}
	}
	wantFamily(t, s, FamilyLookup{ID: "nope"}, ErrNotFound)
	wantFamily(t, s, FamilyLookup{Hash: hashOf("nope")}, ErrNotFound)
}

func testUpdateRefreshFamily(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	addUser(t, s, "mallory", "user")
	addFamily(t, s, "f", "alice", t0.Add(time.Hour))
	addFamily(t, s, "other", "alice", t0.Add(time.Hour))

	// Everything mutable is written; the identity and expiry are not.
	rotated := t0.Add(1500 * time.Millisecond)
	errOutcome := errors.New("outcome")
	err := s.UpdateRefreshFamily(ctx, FamilyLookup{ID: "f"}, func(f RefreshFamily) (*RefreshFamily, error) {
		n := f
		n.ID, n.Username, n.CreatedAt, n.ExpiresAt = "hijack", "mallory", t0.Add(time.Hour), t0.Add(100*time.Hour)
		n.Generation, n.PreviousHash, n.CurrentHash, n.RotatedAt = 2, f.CurrentHash, hashOf("f2"), rotated
		n.WindowEnd, n.WindowCount = rotated.Add(time.Minute), 3
		return &n, errOutcome
	})
	if !errors.Is(err, errOutcome) {
		t.Errorf("got %v, want decide's error after the write", err)
	}
	want := RefreshFamily{ID: "f", Username: "alice", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Generation: 2,
		CurrentHash: hashOf("f2"), PreviousHash: hashOf("f"), RotatedAt: rotated, WindowEnd: rotated.Add(time.Minute), WindowCount: 3}
	for _, find := range []FamilyLookup{{ID: "f"}, {Hash: hashOf("f2")}, {Hash: hashOf("f")}} {
		if got, err := readFamily(s, find); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("lookup %+v: got %+v, %v; want %+v", find, got, err, want)
		}
	}
	wantFamily(t, s, FamilyLookup{ID: "hijack"}, ErrNotFound)

	// Revocation, and a decision to write nothing.
	revoked := t0.Add(2 * time.Second)
	if err := s.UpdateRefreshFamily(ctx, FamilyLookup{Hash: hashOf("f")}, func(f RefreshFamily) (*RefreshFamily, error) {
		n := f
		n.RevokedAt = revoked
		return &n, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateRefreshFamily(ctx, FamilyLookup{ID: "f"}, func(f RefreshFamily) (*RefreshFamily, error) {
		return nil, errOutcome
	}); !errors.Is(err, errOutcome) {
		t.Errorf("no write: got %v, want decide's error", err)
	}
	if got, _ := readFamily(s, FamilyLookup{ID: "f"}); !got.RevokedAt.Equal(revoked) || got.Generation != 2 {
		t.Errorf("got revoked %v at generation %d, want %v at 2", got.RevokedAt, got.Generation, revoked)
	}
	// decide is not called for an unknown family.
	called := false
	if err := s.UpdateRefreshFamily(ctx, FamilyLookup{ID: "nope"}, func(RefreshFamily) (*RefreshFamily, error) {
		called = true
		return nil, nil
	}); !errors.Is(err, ErrNotFound) || called {
		t.Errorf("unknown: got %v, called %v; want ErrNotFound, not called", err, called)
	}
	if got, _ := readFamily(s, FamilyLookup{ID: "other"}); got.Generation != 1 || !got.RevokedAt.IsZero() {
		t.Errorf("another family changed: %+v", got)
	}
}

// concurrentUpdates bumps one family's generation from 16 goroutines spread
// over stores: every decision sees the write of the one before (the family
// is locked), so the generations seen are 1..16, each once.
func concurrentUpdates(t *testing.T, stores []Store) {
	addUser(t, stores[0], "alice", "user")
	addFamily(t, stores[0], "f", "alice", t0.Add(time.Hour))
	const n = 16
	seen := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = stores[i%len(stores)].UpdateRefreshFamily(context.Background(), FamilyLookup{ID: "f"}, func(f RefreshFamily) (*RefreshFamily, error) {
				seen[i] = f.Generation
				nf := f
				nf.Generation++
				nf.PreviousHash, nf.CurrentHash = f.CurrentHash, hashOf(fmt.Sprint("f", nf.Generation))
				return &nf, nil
			})
		})
	}
	close(start)
	wg.Wait()
	got := map[int64]int{}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("update %d: %v", i, errs[i])
		}
		got[seen[i]]++
	}
	for g := int64(1); g <= n; g++ {
		if got[g] != 1 {
			t.Errorf("generation %d was seen %d times, want once (seen: %v)", g, got[g], got)
		}
	}
	if f, err := readFamily(stores[0], FamilyLookup{ID: "f"}); err != nil || f.Generation != n+1 {
		t.Errorf("got generation %d (%v), want %d", f.Generation, err, n+1)
	}
}

func testUpdateRefreshFamilyConcurrent(t *testing.T, b backend) {
	concurrentUpdates(t, []Store{b.openNew(t)})
}

func testUpdateRefreshFamilyTwoStores(t *testing.T, b backend) {
	loc := b.fresh(t)
	concurrentUpdates(t, []Store{b.openAt(t, loc), b.openAt(t, loc)})
}

func testDeleteExpired(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	addFamily(t, s, "early", "alice", t0.Add(time.Minute))
	addFamily(t, s, "boundary", "alice", t0.Add(2*time.Minute))
	addFamily(t, s, "late", "alice", t0.Add(time.Hour))
	n, err := s.DeleteExpiredRefreshTokens(ctx, t0.Add(2*time.Minute))
	if err != nil || n != 2 {
		t.Errorf("cleanup: got %d, %v; want 2, nil", n, err)
	}
	wantFamily(t, s, FamilyLookup{ID: "early"}, ErrNotFound)
	wantFamily(t, s, FamilyLookup{ID: "boundary"}, ErrNotFound)
	wantFamily(t, s, FamilyLookup{ID: "late"}, nil)
	if n, err := s.DeleteExpiredRefreshTokens(ctx, t0.Add(2*time.Minute)); err != nil || n != 0 {
		t.Errorf("second cleanup: got %d, %v; want 0, nil", n, err)
	}
}

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newAccounts is the account service on s with a fresh SECRET_KEY, a reuse
// interval of reuse and the clock clk.
func newAccounts(tb testing.TB, s Store, keys *secretkey.Keys, reuse time.Duration, limit int, clk *testClock) *account.Service {
	tb.Helper()
	if keys == nil {
		var err error
		if keys, err = secretkey.NewKeys(contractSecret, ""); err != nil {
			tb.Fatal(err)
		}
	}
	svc, err := account.New(s, account.Config{BcryptCost: 4, RefreshTokenTTL: 24 * time.Hour, Keys: keys,
		ReuseInterval: reuse, RefreshLimit: limit, Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

func outcome(err error) string {
	var re *account.RefreshError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &re):
		return re.Outcome
	case errors.Is(err, account.ErrTooManyRefreshes):
		return "rate_limited"
	}
	return err.Error()
}

// The refresh rules on each store: rotation, the reuse interval, reuse
// detection of any older generation, revocation by logout with an old
// token, and the per-family limit.
func testRefresh(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	clk := &testClock{now: t0}
	svc := newAccounts(t, s, nil, 30*time.Second, 3, clk)
	u, _ := s.User(ctx, "alice")
	t1, _, err := svc.StartSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	refresh := func(tok string) (string, string) {
		_, next, _, err := svc.Refresh(ctx, tok)
		return next, outcome(err)
	}
	t2, o := refresh(t1)
	if o != "ok" || t2 == "" || t2 == t1 {
		t.Fatalf("first rotation: got %q, %s", t2, o)
	}
	clk.Advance(29 * time.Second)
	if again, o := refresh(t1); o != "ok" || again != t2 {
		t.Errorf("t1 within the interval: got %q, %s; want the same successor %q", again, o, t2)
	}
	t3, o := refresh(t2)
	if o != "ok" || t3 == t2 {
		t.Fatalf("second rotation: got %q, %s", t3, o)
	}
	// t1 is two generations behind now: reuse, even inside the interval.
	other, _, _ := svc.StartSession(ctx, u)
	if _, o := refresh(t1); o != account.OutcomeReused {
		t.Errorf("t1 after t2 rotated: got %s, want reused", o)
	}
	for _, tok := range []string{t3, t2} {
		if _, o := refresh(tok); o != account.OutcomeRevoked {
			t.Errorf("after the reuse: got %s, want revoked", o)
		}
	}
	// Forged or damaged tokens are unknown and revoke nothing.
	for _, tok := range []string{"nope", other + "x", other[:len(other)-2] + "AA", "fam.1.abc"} {
		if _, o := refresh(tok); o != account.OutcomeUnknown {
			t.Errorf("%q: got %s, want unknown", tok, o)
		}
	}
	// After the interval, the replaced token revokes its family.
	o2, o := refresh(other)
	if o != "ok" {
		t.Fatal(o)
	}
	clk.Advance(30 * time.Second)
	if _, o := refresh(other); o != account.OutcomeReused {
		t.Errorf("after the interval: got %s, want reused", o)
	}
	if _, o := refresh(o2); o != account.OutcomeRevoked {
		t.Errorf("successor after the reuse: got %s, want revoked", o)
	}

	// Logout with an old token of a family revokes it.
	l1, _, _ := svc.StartSession(ctx, u)
	l2, _ := refresh(l1)
	if ok, err := svc.EndSession(ctx, l1); !ok || err != nil {
		t.Errorf("logout with the old token: got %v, %v", ok, err)
	}
	if _, o := refresh(l2); o != account.OutcomeRevoked {
		t.Errorf("after logout: got %s, want revoked", o)
	}

	// Three rotations a minute, then 429 until the window ends; replays
	// within the interval are not rotations.
	r, _, _ := svc.StartSession(ctx, u)
	for i := range 3 {
		prev := r
		if r, o = refresh(r); o != "ok" {
			t.Fatalf("rotation %d: %s", i, o)
		}
		if again, o := refresh(prev); o != "ok" || again != r {
			t.Fatalf("replay %d: %s", i, o)
		}
	}
	_, _, _, err = svc.Refresh(ctx, r)
	var limited *account.TooManyRefreshesError
	if !errors.As(err, &limited) || limited.Wait != time.Minute {
		t.Errorf("fourth rotation: got %v, want a wait of 1m", err)
	}
	clk.Advance(time.Minute)
	if _, o := refresh(r); o != "ok" {
		t.Errorf("next window: got %s", o)
	}
	// Interval 0: reuse revokes at once.
	strict := newAccounts(t, s, nil, 0, 0, clk)
	s1, _, _ := strict.StartSession(ctx, u)
	if _, _, _, err := strict.Refresh(ctx, s1); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := strict.Refresh(ctx, s1); outcome(err) != account.OutcomeReused {
		t.Errorf("interval 0: got %v, want reused", err)
	}
}

// 16 concurrent refreshes of one token through two stores (two replicas):
// one rotation, and every answer is the same successor.
func testRefreshConcurrentTwoStores(t *testing.T, b backend) {
	ctx := context.Background()
	loc := b.fresh(t)
	stores := []Store{b.openAt(t, loc), b.openAt(t, loc)}
	addUser(t, stores[0], "alice", "user")
	clk := &testClock{now: t0}
	keys, _ := secretkey.NewKeys(contractSecret, "")
	svcs := []*account.Service{newAccounts(t, stores[0], keys, 30*time.Second, 0, clk), newAccounts(t, stores[1], keys, 30*time.Second, 0, clk)}
	u, _ := stores[0].User(ctx, "alice")
	tok, _, err := svcs[0].StartSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	nexts := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, nexts[i], _, errs[i] = svcs[i%2].Refresh(ctx, tok)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || nexts[i] != nexts[0] || nexts[0] == "" {
			t.Errorf("refresh %d: got %.12q…, %v; want %.12q…", i, nexts[i], errs[i], nexts[0])
		}
	}
	if f, err := readFamily(stores[0], FamilyLookup{Hash: hashOf(nexts[0])}); err != nil || f.Generation != 2 {
		t.Errorf("got generation %d (%v), want 2: one rotation", f.Generation, err)
	}
}

// rowCount counts the rows of every table but goose's.
func rowCount(tb testing.TB, s Store) int64 {
	tb.Helper()
	ctx := context.Background()
	var n int64
	switch st := s.(type) {
	case *SQLite:
		if err := st.r.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM refresh_families) +
			(SELECT COUNT(*) FROM attempt_counters)`).Scan(&n); err != nil {
			tb.Fatal(err)
		}
	case *Postgres:
		if err := st.pool.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM refresh_families) +
			(SELECT COUNT(*) FROM attempt_counters)`).Scan(&n); err != nil {
			tb.Fatal(err)
		}
	default:
		tb.Fatalf("rowCount: unknown store %T", s)
	}
	return n
}

// Issue 14.2: one user looping POST /refresh filled the disk with a row per
// used token. 1,500 rotations now leave the row count flat.
func testRefreshRowsStayFlat(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	clk := &testClock{now: t0}
	// The per-family limit is not what is measured here.
	svc := newAccounts(t, s, nil, 30*time.Second, -1, clk)
	u, _ := s.User(ctx, "alice")
	tok, _, err := svc.StartSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	before := rowCount(t, s)
	first := tok
	for i := range 1500 {
		if _, tok, _, err = svc.Refresh(ctx, tok); err != nil {
			t.Fatalf("rotation %d: %v", i, err)
		}
	}
	if grown := rowCount(t, s) - before; grown >= 100 {
		t.Errorf("1,500 rotations added %d rows, want fewer than 100", grown)
	}
	// Used tokens are gone from the database, yet still recognised.
	if _, _, _, err := svc.Refresh(ctx, first); outcome(err) != account.OutcomeReused {
		t.Errorf("the login's token after 1,500 rotations: got %v, want reused", err)
	}
}

func testAttempts(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	lim := map[string]int{"u:alice": 2, "a:x": 3}
	add := func(limits map[string]int, at time.Duration) time.Time {
		t.Helper()
		until, err := s.AddAttempt(ctx, limits, time.Minute, t0.Add(at))
		if err != nil {
			t.Fatal(err)
		}
		return until
	}
	for _, at := range []time.Duration{0, time.Second} {
		if until := add(lim, at); !until.IsZero() {
			t.Fatalf("attempt at %s: refused until %v", at, until)
		}
	}
	// u:alice is full: refused until its window (started at t0) ends, and
	// a:x is not counted either.
	if until := add(lim, 10*time.Second); !until.Equal(t0.Add(time.Minute)) {
		t.Errorf("full: got %v, want %v", until, t0.Add(time.Minute))
	}
	if until := add(map[string]int{"a:x": 3}, 10*time.Second); !until.IsZero() {
		t.Errorf("a:x's third attempt: refused until %v; a refused attempt counted", until)
	}
	if until := add(map[string]int{"a:x": 3}, 10*time.Second); !until.Equal(t0.Add(time.Minute)) {
		t.Errorf("a:x full: got %v", until)
	}
	// Giving back and forgetting.
	if err := s.GiveBackAttempt(ctx, "a:x", t0.Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.GiveBackAttempt(ctx, "a:none", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetAttempts(ctx, "u:alice"); err != nil {
		t.Fatal(err)
	}
	if until := add(lim, 20*time.Second); !until.IsZero() {
		t.Errorf("after give-back and forget: refused until %v", until)
	}
	// A window that has ended starts again.
	if until := add(map[string]int{"a:x": 3}, time.Minute); !until.IsZero() {
		t.Errorf("new window: refused until %v", until)
	}
	add(map[string]int{"u:old": 1}, -time.Hour)
	n, err := s.DeleteStaleAttempts(ctx, t0.Add(80*time.Second))
	if err != nil || n != 2 { // u:alice (its window began at 20 s) and u:old
		t.Errorf("stale: deleted %d (%v), want 2", n, err)
	}
	if n := rowCount(t, s); n != 1 {
		t.Errorf("got %d rows, want 1 (a:x)", n)
	}
}

// Parallel guesses through two stores (two replicas) cannot pass a limit.
func testAttemptsConcurrentTwoStores(t *testing.T, b backend) {
	loc := b.fresh(t)
	stores := []Store{b.openAt(t, loc), b.openAt(t, loc)}
	const n = 20
	counted := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			until, err := stores[i%2].AddAttempt(context.Background(), map[string]int{"u:alice": 3, fmt.Sprint("a:", i%3): 30}, time.Minute, t0)
			counted[i], errs[i] = until.IsZero(), err
		})
	}
	close(start)
	wg.Wait()
	got := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("attempt %d: %v", i, errs[i])
		}
		if counted[i] {
			got++
		}
	}
	if got != 3 {
		t.Errorf("%d attempts counted, want 3", got)
	}
}

// A database of schema version 1 with a live session is migrated, and the
// session goes on: its token rotates and the family keeps its expiry.
func testUpgradeFromVersion1(t *testing.T, b backend) {
	ctx := context.Background()
	loc := b.fresh(t)
	dialect, dir, driver, dsn := goose.DialectSQLite3, "migrations/sqlite", "sqlite", loc
	created, expires := any(t0.Unix()), any(t0.Add(time.Hour).Unix())
	if b.postgres {
		dialect, dir, driver = goose.DialectPostgres, "migrations/postgres", "pgx"
		dsn = strings.Replace(dsn, "&pool_max_conns=16", "", 1)
		created, expires = t0, t0.Add(time.Hour)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files, _ := fs.Sub(migrationFiles, dir)
	p, err := goose.NewProvider(dialect, db, files, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	q := func(query string, args ...any) {
		t.Helper()
		if b.postgres {
			query = pgPlaceholders(query)
		}
		if _, err := db.ExecContext(ctx, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	q(`INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, 'user', ?)`, "Alice", []byte("h"), created)
	// A family rotated once (a used token and the live one), and a revoked one.
	q(`INSERT INTO refresh_tokens (hash, family, username, created_at, expires_at, used_at) VALUES (?, 'f', 'Alice', ?, ?, ?)`, hashOf("v1-used"), created, expires, created)
	q(`INSERT INTO refresh_tokens (hash, family, username, created_at, expires_at) VALUES (?, 'f', 'Alice', ?, ?)`, hashOf("v1-live"), created, expires)
	q(`INSERT INTO refresh_tokens (hash, family, username, created_at, expires_at, revoked_at) VALUES (?, 'g', 'Alice', ?, ?, ?)`, hashOf("v1-revoked"), created, expires, created)
	db.Close()

	s := b.openAt(t, loc)
	f, err := readFamily(s, FamilyLookup{Hash: hashOf("v1-live")})
	if err != nil || f.ID != "f" || f.Generation != 0 || !f.ExpiresAt.Equal(t0.Add(time.Hour)) || !f.CreatedAt.Equal(t0) || !f.RevokedAt.IsZero() {
		t.Errorf("migrated family: got %+v, %v", f, err)
	}
	clk := &testClock{now: t0.Add(time.Minute)}
	svc := newAccounts(t, s, nil, 30*time.Second, 0, clk)
	next, o := "", ""
	_, next, _, err = svc.Refresh(ctx, "v1-live")
	if o = outcome(err); o != "ok" || !bytes.HasPrefix([]byte(next), []byte("f.1.")) {
		t.Errorf("the live v1 token: got %q, %s; want a generation-1 token of family f", next, o)
	}
	if _, _, _, err := svc.Refresh(ctx, next); err != nil {
		t.Errorf("its successor: %v", err)
	}
	if _, _, _, err := svc.Refresh(ctx, "v1-revoked"); outcome(err) != account.OutcomeRevoked {
		t.Errorf("the revoked family: got %v, want revoked", err)
	}
	if _, _, _, err := svc.Refresh(ctx, "v1-used"); outcome(err) != account.OutcomeUnknown {
		t.Errorf("a used v1 token: got %v, want unknown (used v1 tokens are not kept)", err)
	}
}

// pgPlaceholders turns ? placeholders into $1, $2, ….
func pgPlaceholders(q string) string {
	var out []byte
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, fmt.Sprintf("$%d", n)...)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}
