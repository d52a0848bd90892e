package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jwt-micro-system/auth-api/internal/account"
)

func TestCleanupDeletesExpiredTokens(t *testing.T) {
	ts := newTestServer(t, func(c *testConfig) { c.Accounts.RefreshTokenTTL = time.Hour })
	old := ts.login(t, "alice", alicePassword)
	// A failure from elsewhere leaves a brute-force counter behind.
	ts.do(t, request{method: "POST", path: "/login", remote: "198.51.100.9", body: `{"username":"bob","password":"wrong-password"}`})
	ts.clock.Advance(2 * time.Hour)
	fresh := ts.login(t, "alice", alicePassword)
	ctx, stop := context.WithCancel(context.Background())
	swept := make(chan time.Time, 1)
	// Cleanup runs its first round at once; stop it after that round.
	go ts.accounts.Cleanup(ctx, time.Hour, ts.ForgetStaleAttempts, func(_ context.Context, now time.Time) error { swept <- now; stop(); return nil })
	if now := <-swept; !now.Equal(ts.clock.Now()) {
		t.Errorf("cleanup swept at %v, want the service clock's %v", now, ts.clock.Now())
	}
	n, err := ts.store.DeleteExpiredRefreshTokens(context.Background(), ts.clock.Now())
	if err != nil || n != 0 {
		t.Errorf("after cleanup: %d expired tokens left (%v), want 0", n, err)
	}
	// The stale counters went (bob's, 198.51.100.9's); the live window of
	// the fresh login's address stays.
	if n := ts.counters(t); n != 1 {
		t.Errorf("after cleanup: %d attempt counters, want 1", n)
	}
	if _, _, _, err := ts.accounts.Refresh(context.Background(), old.RefreshToken); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("expired token: got %v, want it deleted (ErrNotFound)", err)
	}
	if w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(fresh.RefreshToken)}); w.Code != 200 {
		t.Errorf("live token after cleanup: got %d, want 200", w.Code)
	}
}
