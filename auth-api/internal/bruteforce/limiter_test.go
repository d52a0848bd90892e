package bruteforce_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jwt-micro-system/auth-api/internal/bruteforce"
	"github.com/jwt-micro-system/auth-api/internal/store"
)

// newLimiter returns a Limiter on a fresh SQLite store (the contract suite
// runs the same counters on PostgreSQL).
func newLimiter(t *testing.T, l bruteforce.Limits) (*bruteforce.Limiter, *store.SQLite) {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lim, err := bruteforce.New(st, l)
	if err != nil {
		t.Fatal(err)
	}
	return lim, st
}

func TestLimiterWindows(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l, _ := newLimiter(t, bruteforce.Limits{PerUsername: 2, PerAddress: 3, Window: time.Minute})
	for _, tt := range []struct {
		name     string
		user     string
		addr     string
		at       time.Duration
		wantOK   bool
		wantWait time.Duration
	}{
		{"first", "alice", "a1", 0, true, 0},
		{"second", "ALICE", "a2", 10 * time.Second, true, 0},
		{"username full, any case", "Alice", "a3", 20 * time.Second, false, 40 * time.Second},
		{"other user, same address", "bob", "a1", 20 * time.Second, true, 0},
		{"bob again", "bob", "a1", 21 * time.Second, true, 0},
		{"address a1 full", "carol", "a1", 30 * time.Second, false, 30 * time.Second},
		{"window over", "alice", "a3", time.Minute, true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wait, ok, err := l.Begin(ctx, tt.user, tt.addr, t0.Add(tt.at))
			if err != nil || ok != tt.wantOK || wait != tt.wantWait {
				t.Errorf("got %v, %v, %v; want %v, %v", wait, ok, err, tt.wantWait, tt.wantOK)
			}
		})
	}
}

// Regression (it was a bounded in-memory table that evicted): refused
// attempts write nothing, so a spray of them neither grows the storage nor
// lifts a lock; stale counters go with the cleanup.
func TestLimiterRefusedAttemptsWriteNothing(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l, st := newLimiter(t, bruteforce.Limits{PerUsername: 5, PerAddress: 3, Window: time.Hour})
	for i := range 3 {
		if _, ok, err := l.Begin(ctx, fmt.Sprint("user", i), "spray", now); !ok || err != nil {
			t.Fatalf("attempt %d: got %v, %v; want it counted", i, ok, err)
		}
	}
	for i := range 500 {
		if _, ok, err := l.Begin(ctx, fmt.Sprint("fresh", i), "spray", now); ok || err != nil {
			t.Fatalf("spray %d: got %v, %v; want a refusal", i, ok, err)
		}
	}
	// 3 usernames and the address; none of the 500 fresh names.
	if n, err := st.DeleteStaleAttempts(ctx, now.Add(time.Hour)); err != nil || n != 4 {
		t.Errorf("after the window: deleted %d counters (%v), want 4", n, err)
	}
	if _, ok, _ := l.Begin(ctx, "fresh0", "spray", now.Add(time.Hour)); !ok {
		t.Error("after the window: still refused")
	}
}

func TestLimiterSucceeded(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l, _ := newLimiter(t, bruteforce.Limits{PerUsername: 2, PerAddress: 3, Window: time.Hour})
	for range 2 {
		l.Begin(ctx, "alice", "a1", now)
	}
	if err := l.Succeeded(ctx, "Alice", "a1", now); err != nil {
		t.Fatal(err)
	}
	// alice is forgiven; the address got one attempt back (2 → 1 of 3).
	for i := range 2 {
		if _, ok, _ := l.Begin(ctx, "alice", "a1", now); !ok {
			t.Fatalf("attempt %d after the success: refused", i)
		}
	}
	if _, ok, _ := l.Begin(ctx, "bob", "a1", now); ok {
		t.Error("the address's fourth attempt: counted, want refused")
	}
}

func TestRefreshLimit(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l, _ := newLimiter(t, bruteforce.Limits{RefreshPerAddress: 3, RefreshWindow: time.Minute})
	for range 3 {
		if _, ok, _ := l.BeginRefresh(ctx, "2001:db8:1:2::1", now); !ok {
			t.Fatal("refused below the limit")
		}
	}
	// Another address in the same /64 shares the counter; another /64 not.
	if wait, ok, _ := l.BeginRefresh(ctx, "2001:db8:1:2:ffff::9", now.Add(10*time.Second)); ok || wait != 50*time.Second {
		t.Errorf("same /64: got %v, %v; want refused for 50s", wait, ok)
	}
	if _, ok, _ := l.BeginRefresh(ctx, "2001:db8:1:3::1", now); !ok {
		t.Error("another /64: refused")
	}
	off, _ := newLimiter(t, bruteforce.Limits{RefreshPerAddress: -1})
	for range 1000 {
		if _, ok, _ := off.BeginRefresh(ctx, "192.0.2.1", now); !ok {
			t.Fatal("limit off: refused")
		}
	}
}

func TestAddressKey(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:DB8:1:2::", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"not-an-ip", "not-an-ip"},
	} {
		if got := bruteforce.AddressKey(tt.in); got != tt.want {
			t.Errorf("AddressKey(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
