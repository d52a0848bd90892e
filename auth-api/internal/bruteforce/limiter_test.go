package bruteforce

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiterWindows(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(Limits{PerUsername: 2, PerAddress: 3, Window: time.Minute, MaxEntries: 100})
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
			wait, ok := l.Begin(tt.user, tt.addr, t0.Add(tt.at))
			if ok != tt.wantOK || wait != tt.wantWait {
				t.Errorf("got %v, %v; want %v, %v", wait, ok, tt.wantWait, tt.wantOK)
			}
		})
	}
}

func TestLimiterStaysBounded(t *testing.T) {
	now := time.Now()
	l := New(Limits{PerUsername: 5, PerAddress: 1000, Window: time.Hour, MaxEntries: 50})
	for i := range 500 {
		l.Begin(fmt.Sprint("user", i), "spray", now)
	}
	if n := l.Len(); n > 50 {
		t.Errorf("got %d entries, want at most 50", n)
	}
	l.Sweep(now.Add(time.Hour))
	if n := l.Len(); n != 0 {
		t.Errorf("after the window: got %d entries, want 0", n)
	}
}
