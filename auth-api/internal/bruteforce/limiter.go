// Package bruteforce limits password guessing: failed attempts are counted
// per username and per client address in fixed windows, in a bounded table
// that forgets locks last.
package bruteforce

import (
	"strings"
	"sync"
	"time"
)

// Limits are the brute-force limits: how many failed password checks one
// username, and one client address, may have within Window before further
// attempts are refused until the window ends.
type Limits struct {
	PerUsername int
	PerAddress  int
	Window      time.Duration
	// MaxEntries bounds the memory the limiter may use.
	MaxEntries int
}

// DefaultLimits returns the limits used where Limits are zero: five wrong
// passwords per account and thirty per client address in fifteen minutes.
func DefaultLimits() Limits {
	return Limits{PerUsername: 5, PerAddress: 30, Window: 15 * time.Minute, MaxEntries: 100_000}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.PerUsername > 0 {
		d.PerUsername = l.PerUsername
	}
	if l.PerAddress > 0 {
		d.PerAddress = l.PerAddress
	}
	if l.Window > 0 {
		d.Window = l.Window
	}
	if l.MaxEntries > 0 {
		d.MaxEntries = l.MaxEntries
	}
	return d
}

// Limiter counts password attempts per key in fixed windows. Attempts are
// counted before the password is checked, and only a success gives them
// back, so a burst of parallel guesses cannot slip past the limit. It is
// safe for concurrent use.
//
// The table is a plain map with its own eviction, not an LRU library: when
// it is full it forgets counters below their limit first and locks only
// when nothing else is left, which no recency-ordered cache does (an LRU
// would evict an old lock before a crowd of fresh one-off failures).
type Limiter struct {
	limits Limits
	mu     sync.Mutex
	counts map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// New returns a Limiter with l; zero fields take DefaultLimits.
func New(l Limits) *Limiter {
	return &Limiter{limits: l.withDefaults(), counts: make(map[string]*window)}
}

func userKey(username string) string { return "u:" + strings.ToLower(username) }
func addrKey(ip string) string       { return "a:" + ip }

// Begin records an attempt for username from address. When either is over
// its limit the attempt is not recorded, and wait says how long until it
// would be allowed.
func (l *Limiter) Begin(username, address string, now time.Time) (wait time.Duration, ok bool) {
	uk, ak := userKey(username), addrKey(address)
	l.mu.Lock()
	defer l.mu.Unlock()
	// Look before creating anything: if refused attempts made entries, a
	// flood of cheap 429s with fresh usernames would fill the table until
	// it evicted the locks it holds, the attacker's own among them.
	for _, k := range []string{uk, ak} {
		if w, ok := l.counts[k]; ok && l.locked(k, w, now) {
			wait = max(wait, w.start.Add(l.limits.Window).Sub(now))
		}
	}
	if wait > 0 {
		return wait, false
	}
	l.current(uk, now).n++
	l.current(ak, now).n++
	return 0, true
}

// locked reports whether the live window w of key is at its limit. Called
// with mu held.
func (l *Limiter) locked(key string, w *window, now time.Time) bool {
	limit := l.limits.PerAddress
	if strings.HasPrefix(key, "u:") {
		limit = l.limits.PerUsername
	}
	return now.Sub(w.start) < l.limits.Window && w.n >= limit
}

// Succeeded gives back the attempt of a correct password: the username's
// failures are forgiven; the address keeps the others it made.
func (l *Limiter) Succeeded(username, address string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.counts, userKey(username))
	if w, ok := l.counts[addrKey(address)]; ok && w.n > 0 {
		w.n--
	}
}

// current returns the live window of key, starting a new one when the old
// has ended. Called with mu held.
func (l *Limiter) current(key string, now time.Time) *window {
	w, ok := l.counts[key]
	if ok && now.Sub(w.start) < l.limits.Window {
		return w
	}
	if !ok && len(l.counts) >= l.limits.MaxEntries {
		l.sweepLocked(now)
		// Still full of live entries (someone is spraying names): forget
		// one rather than grow without bound, a lock only when nothing else
		// is left.
		for k, w := range l.counts {
			if len(l.counts) < l.limits.MaxEntries {
				break
			}
			if !l.locked(k, w, now) {
				delete(l.counts, k)
			}
		}
		for k := range l.counts {
			if len(l.counts) < l.limits.MaxEntries {
				break
			}
			delete(l.counts, k)
		}
	}
	w = &window{start: now}
	l.counts[key] = w
	return w
}

// Sweep forgets the counters whose window ended before now.
func (l *Limiter) Sweep(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweepLocked(now)
}

func (l *Limiter) sweepLocked(now time.Time) {
	for k, w := range l.counts {
		if now.Sub(w.start) >= l.limits.Window {
			delete(l.counts, k)
		}
	}
}

// Len reports how many counters the limiter holds.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.counts)
}
