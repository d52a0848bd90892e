// Package bound caches values made once per key: the Prometheus observers
// bound (curried) to label values, so the request path looks them up
// instead of calling WithLabelValues per request.
package bound

import (
	"sync"
	"sync/atomic"
)

// Cache is a cache of values made once per key, for the observers bound to
// label values. Reads are a lock-free map lookup; the rare additions copy
// the map. It never evicts, so its keys must come from bounded sets (routes,
// a few methods, the status codes the handlers write, fixed outcome and
// reason strings). Make one with New; it is safe for concurrent use.
type Cache[K comparable, V any] struct {
	mu   sync.Mutex // serialises additions
	m    atomic.Pointer[map[K]V]
	make func(K) V
}

// New returns an empty cache whose values are made by mk, once per key.
func New[K comparable, V any](mk func(K) V) *Cache[K, V] {
	b := &Cache[K, V]{make: mk}
	b.m.Store(&map[K]V{})
	return b
}

// Get returns the value of k, making it on first use.
func (b *Cache[K, V]) Get(k K) V {
	if v, ok := (*b.m.Load())[k]; ok {
		return v
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	old := *b.m.Load()
	if v, ok := old[k]; ok {
		return v
	}
	v := b.make(k)
	next := make(map[K]V, len(old)+1)
	for key, val := range old {
		next[key] = val
	}
	next[k] = v
	b.m.Store(&next)
	return v
}
