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
	if _, _, _, err := ts.accounts.Refresh(context.Background(), old.RefreshToken); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("expired token: got %v, want it deleted (ErrNotFound)", err)
	}
	if w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(fresh.RefreshToken)}); w.Code != 200 {
		t.Errorf("live token after cleanup: got %d, want 200", w.Code)
	}
}
