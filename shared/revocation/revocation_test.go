package revocation

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/secretkey"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestSet(t *testing.T) {
	s := NewSet()
	s.Add(Entry{SessionID: "a", ExpiresAt: t0.Add(time.Minute)},
		Entry{SessionID: "b", ExpiresAt: t0.Add(time.Hour)},
		Entry{SessionID: "", ExpiresAt: t0.Add(time.Hour)})
	// A later expiry wins, an earlier one does not shorten the entry.
	s.Add(Entry{SessionID: "a", ExpiresAt: t0.Add(2 * time.Minute)}, Entry{SessionID: "b", ExpiresAt: t0})
	for _, tt := range []struct {
		sid  string
		want bool
	}{{"a", true}, {"b", true}, {"c", false}, {"", false}} {
		if got := s.Revoked(tt.sid); got != tt.want {
			t.Errorf("Revoked(%q) = %v, want %v", tt.sid, got, tt.want)
		}
	}
	if got := s.Len(); got != 2 {
		t.Errorf("Len = %d, want 2", got)
	}
	if got := s.Prune(t0.Add(90 * time.Second)); got != 0 {
		t.Errorf("Prune before any expiry forgot %d, want 0", got)
	}
	if got := s.Prune(t0.Add(2 * time.Minute)); got != 1 {
		t.Errorf("Prune at a's expiry forgot %d, want 1", got)
	}
	if s.Revoked("a") || !s.Revoked("b") {
		t.Errorf("after pruning: a revoked %v, b revoked %v; want false, true", s.Revoked("a"), s.Revoked("b"))
	}
}

// fakeFeed serves entries 1..n in pages of size, or fails while down.
type fakeFeed struct {
	mu      sync.Mutex
	entries []Entry
	size    int
	down    bool
	asked   []int64
}

func (f *fakeFeed) add(sid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = append(f.entries, Entry{SessionID: sid, ExpiresAt: t0.Add(time.Hour)})
}

func (f *fakeFeed) feed(_ context.Context, cursor int64) (Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, cursor)
	if f.down {
		return Page{}, errors.New("feed down")
	}
	cursor = min(cursor, int64(len(f.entries))) // as auth-api's feed does
	end := min(int(cursor)+f.size, len(f.entries))
	p := Page{Cursor: cursor, Revocations: []Entry{}}
	if int(cursor) < end {
		p.Revocations = append(p.Revocations, f.entries[cursor:end]...)
		p.Cursor = int64(end)
	}
	p.More = end < len(f.entries)
	return p, nil
}

func TestPollPagesAndResumes(t *testing.T) {
	f := &fakeFeed{size: 2}
	for i := range 5 {
		f.add(fmt.Sprint("s", i))
	}
	s := NewSet()
	var errs []error
	cfg := FollowConfig{OnError: func(err error) { errs = append(errs, err) }}
	cursor := s.poll(context.Background(), f.feed, 0, cfg)
	if cursor != 5 || s.Len() != 5 {
		t.Fatalf("after the first poll: cursor %d, %d entries; want 5, 5", cursor, s.Len())
	}
	f.down = true
	f.add("late")
	if got := s.poll(context.Background(), f.feed, cursor, cfg); got != cursor {
		t.Errorf("a failed poll moved the cursor to %d, want %d", got, cursor)
	}
	if len(errs) != 1 || s.Len() != 5 {
		t.Errorf("while down: %d errors, %d entries; want 1, 5 (the set stays)", len(errs), s.Len())
	}
	f.down = false
	if got := s.poll(context.Background(), f.feed, cursor, cfg); got != 6 || !s.Revoked("late") {
		t.Errorf("after the feed came back: cursor %d, late revoked %v; want 6, true", got, s.Revoked("late"))
	}
	// The feed came back with fewer entries (restored from a backup): the
	// follower takes its lower cursor and sees what is added next.
	f.entries = f.entries[:2]
	cursor = s.poll(context.Background(), f.feed, 6, cfg)
	f.add("after-restore")
	if got := s.poll(context.Background(), f.feed, cursor, cfg); got != 3 || !s.Revoked("after-restore") {
		t.Errorf("after a restore: cursor %d, after-restore revoked %v; want 3, true", got, s.Revoked("after-restore"))
	}
}

func TestFollowStopsWithContext(t *testing.T) {
	f := &fakeFeed{size: 10}
	f.add("x")
	s := NewSet()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	polled := make(chan int, 1)
	go func() {
		defer close(done)
		s.Follow(ctx, f.feed, FollowConfig{Every: time.Millisecond, Now: func() time.Time { return t0 },
			OnPoll: func(n int) {
				select {
				case polled <- n:
				default:
				}
			}})
	}()
	<-polled
	cancel()
	<-done
	if !s.Revoked("x") {
		t.Error("Follow did not add the feed's entry")
	}
}

// BenchmarkRevoked is the lookup every request makes, on a set of 10,000
// revoked sessions, for a session that is not among them (the usual case).
func BenchmarkRevoked(b *testing.B) {
	s := NewSet()
	entries := make([]Entry, 10000)
	for i := range entries {
		entries[i] = Entry{SessionID: fmt.Sprintf("session-%016d", i), ExpiresAt: t0.Add(time.Hour)}
	}
	s.Add(entries...)
	sid := "not-revoked-0123456789ab"
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if s.Revoked(sid) {
				b.Fatal("revoked")
			}
		}
	})
}

func TestFeedKeys(t *testing.T) {
	cur, err := secretkey.NewKeys("V4QbAylP0b4Nqc9L8WWf9KRKBf6tXOfq+s8J17O91GmVSicl", "")
	if err != nil {
		t.Fatal(err)
	}
	rot, err := secretkey.NewKeys("a9tO41qp4ZpHVoU7jrraJnnRIlX/aDdAV8Eq+CpIWKabKpLK", "V4QbAylP0b4Nqc9L8WWf9KRKBf6tXOfq+s8J17O91GmVSicl")
	if err != nil {
		t.Fatal(err)
	}
	old, _ := FeedKey(cur)
	fresh, _ := FeedKey(rot)
	fkCur, _ := NewFeedKeys(cur)
	fkRot, _ := NewFeedKeys(rot)
	for _, tt := range []struct {
		name      string
		fk        *FeedKeys
		presented string
		want      bool
	}{
		{"own key", fkCur, old, true},
		{"new key before the rotation", fkCur, fresh, false},
		{"old key during the rotation", fkRot, old, true},
		{"new key during the rotation", fkRot, fresh, true},
		{"empty", fkCur, "", false},
		{"prefix", fkCur, old[:10], false},
	} {
		if got := tt.fk.Accepts(tt.presented); got != tt.want {
			t.Errorf("%s: Accepts = %v, want %v", tt.name, got, tt.want)
		}
	}
}
