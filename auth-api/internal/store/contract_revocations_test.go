package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/revocation"
)

func entry(sid string, exp time.Time) revocation.Entry {
	return revocation.Entry{SessionID: sid, ExpiresAt: exp}
}

func sids(es []revocation.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.SessionID
	}
	return out
}

func testRevocations(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	if es, next, more, err := s.Revocations(ctx, 0, t0, 10); err != nil || len(es) != 0 || next != 0 || more {
		t.Fatalf("empty store: got %v, %d, %v, %v; want nothing from cursor 0", es, next, more, err)
	}
	if err := s.AddRevocations(ctx, nil); err != nil {
		t.Errorf("no entries: %v", err)
	}
	if err := s.AddRevocations(ctx, []revocation.Entry{entry("a", t0.Add(time.Hour)), entry("gone", t0.Add(-time.Second))}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRevocations(ctx, []revocation.Entry{entry("b", t0.Add(time.Hour)), entry("c", t0.Add(2*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	// A page of two: a, and the expired one is passed over but counted.
	es, next, more, err := s.Revocations(ctx, 0, t0, 2)
	if err != nil || !slices.Equal(sids(es), []string{"a"}) || !more {
		t.Fatalf("first page: got %v, more %v, %v; want [a], more", sids(es), more, err)
	}
	if !es[0].ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("expiry: got %v, want %v", es[0].ExpiresAt, t0.Add(time.Hour))
	}
	es, next2, more, err := s.Revocations(ctx, next, t0, 2)
	if err != nil || !slices.Equal(sids(es), []string{"b", "c"}) || more || next2 <= next {
		t.Fatalf("second page from %d: got %v, cursor %d, more %v, %v; want [b c], a later cursor, no more", next, sids(es), next2, more, err)
	}
	if es, next3, more, err := s.Revocations(ctx, next2, t0, 2); err != nil || len(es) != 0 || next3 != next2 || more {
		t.Errorf("caught up: got %v, cursor %d, more %v, %v; want nothing, the same cursor", sids(es), next3, more, err)
	}
	if n, err := s.DeleteExpiredRevocations(ctx, t0.Add(time.Hour)); n != 3 || err != nil {
		t.Errorf("delete expired: got %d, %v; want 3 (gone, a, b)", n, err)
	}
	if es, _, _, err := s.Revocations(ctx, 0, t0, 10); err != nil || !slices.Equal(sids(es), []string{"c"}) {
		t.Errorf("after the cleanup: got %v, %v; want [c]", sids(es), err)
	}
	// New revocations come after every cursor handed out before.
	if err := s.AddRevocations(ctx, []revocation.Entry{entry("d", t0.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	es, last, _, err := s.Revocations(ctx, next2, t0, 10)
	if err != nil || !slices.Equal(sids(es), []string{"d"}) {
		t.Errorf("after cursor %d: got %v, %v; want [d]", next2, sids(es), err)
	}
	// A cursor from another database (beyond every seq here) is brought
	// back to this one's last seq, so the reader sees what comes next.
	if es, back, _, err := s.Revocations(ctx, last+1000, t0, 10); err != nil || len(es) != 0 || back != last {
		t.Errorf("cursor %d beyond the last seq %d: got %v, cursor %d, %v; want nothing and cursor %d", last+1000, last, sids(es), back, err, last)
	}
}

// Concurrent writers on two handles: a reader that follows the cursor
// while they write sees every revocation exactly once.
func testRevocationsConcurrent(t *testing.T, b backend) {
	ctx := context.Background()
	loc := b.fresh(t)
	stores := []Store{b.openAt(t, loc), b.openAt(t, loc)}
	const writers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := stores[w%2].AddRevocations(ctx, []revocation.Entry{entry(fmt.Sprintf("w%d-%d", w, i), t0.Add(time.Hour))}); err != nil {
					errs <- err
				}
			}
		})
	}
	seen := map[string]int{}
	var cursor int64
	read := func() {
		es, next, _, err := stores[1].Revocations(ctx, cursor, t0, 7)
		if err != nil {
			t.Error(err)
			return
		}
		cursor = next
		for _, e := range es {
			seen[e.SessionID]++
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		read()
	}
	for range writers * each {
		read()
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != writers*each {
		t.Errorf("saw %d distinct revocations, want %d", len(seen), writers*each)
	}
	for sid, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times, want once", sid, n)
		}
	}
}

func testFamilies(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.openNew(t)
	addUser(t, s, "alice", "user")
	addUser(t, s, "bob", "user")
	addFamily(t, s, "fam-b", "alice", t0.Add(time.Hour))
	addFamily(t, s, "fam-a", "ALICE", t0.Add(time.Hour))
	addFamily(t, s, "fam-x", "bob", t0.Add(time.Hour))
	if fs, err := s.Families(ctx, "ALICE"); err != nil || !slices.Equal(fs, []string{"fam-a", "fam-b"}) {
		t.Errorf("alice's families: got %v, %v; want [fam-a fam-b]", fs, err)
	}
	if fs, err := s.Families(ctx, "nobody"); err != nil || len(fs) != 0 {
		t.Errorf("nobody's families: got %v, %v; want none", fs, err)
	}
	revokedAt := t0.Add(time.Minute)
	if err := s.RevokeUserRefreshTokens(ctx, "Alice", revokedAt); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id      string
		revoked bool
	}{{"fam-a", true}, {"fam-b", true}, {"fam-x", false}} {
		f, err := readFamily(s, FamilyLookup{ID: tt.id})
		if err != nil {
			t.Fatal(err)
		}
		if got := !f.RevokedAt.IsZero(); got != tt.revoked || (tt.revoked && !f.RevokedAt.Equal(revokedAt)) {
			t.Errorf("%s: revoked at %v, want revoked %v (at %v)", tt.id, f.RevokedAt, tt.revoked, revokedAt)
		}
	}
	// A second revocation keeps the first time.
	if err := s.RevokeUserRefreshTokens(ctx, "alice", revokedAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if f, _ := readFamily(s, FamilyLookup{ID: "fam-a"}); !f.RevokedAt.Equal(revokedAt) {
		t.Errorf("revoked again: revoked at %v, want %v kept", f.RevokedAt, revokedAt)
	}
	if fs, err := s.Families(ctx, "alice"); err != nil || len(fs) != 2 {
		t.Errorf("revoked families are still listed: got %v, %v", fs, err)
	}
	if err := s.RevokeUserRefreshTokens(ctx, "nobody", t0); err != nil {
		t.Errorf("a user without families: %v", err)
	}
}
