package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jwt-micro-system/auth-api/internal/account"
)

func TestLimiterWindows(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(LoginLimits{PerUsername: 2, PerAddress: 3, Window: time.Minute, MaxEntries: 100})
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
			wait, ok := l.begin(tt.user, tt.addr, t0.Add(tt.at))
			if ok != tt.wantOK || wait != tt.wantWait {
				t.Errorf("got %v, %v; want %v, %v", wait, ok, tt.wantWait, tt.wantOK)
			}
		})
	}
}

func TestLimiterStaysBounded(t *testing.T) {
	now := time.Now()
	l := newLimiter(LoginLimits{PerUsername: 5, PerAddress: 1000, Window: time.Hour, MaxEntries: 50})
	for i := range 500 {
		l.begin(fmt.Sprint("user", i), "spray", now)
	}
	if n := len(l.counts); n > 50 {
		t.Errorf("got %d entries, want at most 50", n)
	}
	l.sweep(now.Add(time.Hour))
	if n := len(l.counts); n != 0 {
		t.Errorf("after the window: got %d entries, want 0", n)
	}
}

func TestCleanupDeletesExpiredTokens(t *testing.T) {
	ts := newTestServer(t, func(c *testConfig) { c.Accounts.RefreshTokenTTL = time.Hour })
	old := ts.login(t, "alice", alicePassword)
	ts.clock.Advance(2 * time.Hour)
	fresh := ts.login(t, "alice", alicePassword)
	ctx, stop := context.WithCancel(context.Background())
	swept := make(chan time.Time, 1)
	// Cleanup runs its first round at once; stop it after that round.
	go ts.accounts.Cleanup(ctx, time.Hour, ts.ForgetStaleAttempts, func(now time.Time) { swept <- now; stop() })
	if now := <-swept; !now.Equal(ts.clock.Now()) {
		t.Errorf("cleanup swept at %v, want the service clock's %v", now, ts.clock.Now())
	}
	n, err := ts.store.DeleteExpiredRefreshTokens(context.Background(), ts.clock.Now())
	if err != nil || n != 0 {
		t.Errorf("after cleanup: %d expired tokens left (%v), want 0", n, err)
	}
	if _, _, err := ts.accounts.Refresh(context.Background(), old.RefreshToken); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("expired token: got %v, want it deleted (ErrNotFound)", err)
	}
	if w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(fresh.RefreshToken)}); w.Code != 200 {
		t.Errorf("live token after cleanup: got %d, want 200", w.Code)
	}
}
