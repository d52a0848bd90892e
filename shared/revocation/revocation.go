// Package revocation keeps the set of revoked sessions that both services
// consult on every request: the session id (an access token's sid claim,
// auth-api's refresh family) of each session ended early — by a logout, a
// password change, a deleted user or refresh-token reuse — with the time
// until which it must stay refused (when the last access token of that
// session has expired, leeway included).
//
// A Set lives in memory, one per process, and is filled from two places:
// at once by the process's own revocations, and by Follow, which asks a
// feed (auth-api's database, or auth-api's GET /revocations) every second
// for the revocations since the last one it saw. Looking a session up
// costs a read-locked map lookup: no database or network call per request.
package revocation

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Entry is one revoked session: its id and when it may be forgotten.
type Entry struct {
	SessionID string    `json:"sid"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Set is an in-memory set of revoked session ids with their expiry. The zero
// Set is not usable; call NewSet. It is safe for concurrent use.
//
// Lookups happen on every request, changes a few times a second at most:
// the map is copied on write and published through an atomic pointer, so a
// lookup takes no lock and never waits for a writer (a read-write mutex
// costs a shared cache line per lookup, which is slower than the lookup
// itself on a busy multi-core machine). Writers are serialised by mu, and
// Add takes a whole batch so one poll costs one copy.
type Set struct {
	mu      sync.Mutex
	expires atomic.Pointer[map[string]time.Time]
}

// NewSet returns an empty Set.
func NewSet() *Set {
	s := &Set{}
	m := map[string]time.Time{}
	s.expires.Store(&m)
	return s
}

// Revoked reports whether the session sid was revoked. An empty sid (a token
// that names no session) is never revoked. It is the hot path: one atomic
// load and one map lookup, no lock.
func (s *Set) Revoked(sid string) bool {
	if sid == "" {
		return false
	}
	_, ok := (*s.expires.Load())[sid]
	return ok
}

// Add records revoked sessions. An entry for a sid already present keeps the
// later of the two expiries. Entries with an empty sid are ignored.
func (s *Set) Add(entries ...Entry) {
	if len(entries) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := *s.expires.Load()
	var next map[string]time.Time // copied on the first real change
	for _, e := range entries {
		if e.SessionID == "" {
			continue
		}
		if old, ok := cur[e.SessionID]; ok && !e.ExpiresAt.After(old) {
			continue
		}
		if next == nil {
			next = make(map[string]time.Time, len(cur)+len(entries))
			for k, v := range cur {
				next[k] = v
			}
			cur = next
		}
		next[e.SessionID] = e.ExpiresAt
	}
	if next != nil {
		s.expires.Store(&next)
	}
}

// Prune forgets the sessions whose expiry is not after now, and reports how
// many it forgot. Their access tokens have expired, so the verifier refuses
// them without the set.
func (s *Set) Prune(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := *s.expires.Load()
	n := 0
	for _, exp := range cur {
		if !exp.After(now) {
			n++
		}
	}
	if n == 0 {
		return 0
	}
	next := make(map[string]time.Time, len(cur)-n)
	for sid, exp := range cur {
		if exp.After(now) {
			next[sid] = exp
		}
	}
	s.expires.Store(&next)
	return n
}

// Len returns the number of sessions in the set.
func (s *Set) Len() int { return len(*s.expires.Load()) }

// Page is one answer of a feed: the revocations after the cursor asked for,
// the cursor to ask with next time (lower than the one asked for when that
// is beyond everything the feed has), and whether more are waiting (the
// page was cut short).
type Page struct {
	Revocations []Entry `json:"revocations"`
	Cursor      int64   `json:"cursor"`
	More        bool    `json:"more"`
}

// Feed returns the revocations recorded after cursor (0: all that have not
// expired yet).
type Feed func(ctx context.Context, cursor int64) (Page, error)

// FollowConfig configures Follow.
type FollowConfig struct {
	// Every is the time between two polls of the feed; one second when zero.
	Every time.Duration
	// Now is the clock used to prune the set; time.Now when nil.
	Now func() time.Time
	// OnError is told of each failed poll (the next one retries from the
	// same cursor); ignored when nil.
	OnError func(error)
	// OnPoll is told after each successful poll how many revocations it
	// added; ignored when nil.
	OnPoll func(added int)
}

// Follow polls feed until ctx is done, adding what it returns to s and
// pruning expired entries, every cfg.Every. A failed poll leaves the set as
// it is (revoked sessions stay refused, the others keep working) and the
// next poll resumes from the last cursor, so nothing is missed while the
// feed is away. Follow polls once before its first wait.
func (s *Set) Follow(ctx context.Context, feed Feed, cfg FollowConfig) {
	if cfg.Every <= 0 {
		cfg.Every = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := time.NewTicker(cfg.Every)
	defer t.Stop()
	var cursor int64
	for {
		cursor = s.poll(ctx, feed, cursor, cfg)
		s.Prune(cfg.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// maxPagesPerPoll bounds how many pages one poll reads, so that a huge
// backlog is caught up over a few polls rather than in one long loop.
const maxPagesPerPoll = 100

// poll reads the feed from cursor until it has no more (or the page bound)
// and returns the cursor reached.
func (s *Set) poll(ctx context.Context, feed Feed, cursor int64, cfg FollowConfig) int64 {
	added := 0
	for range maxPagesPerPoll {
		p, err := feed(ctx, cursor)
		if err != nil {
			if cfg.OnError != nil && ctx.Err() == nil {
				cfg.OnError(err)
			}
			return cursor
		}
		s.Add(p.Revocations...)
		added += len(p.Revocations)
		// The feed's cursor is taken even when it goes back: the feed
		// lowers it when ours is beyond everything it has (a database
		// restored from a backup), and re-reading entries is harmless.
		cursor = p.Cursor
		if !p.More {
			break
		}
	}
	if cfg.OnPoll != nil {
		cfg.OnPoll(added)
	}
	return cursor
}
