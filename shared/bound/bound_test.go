package bound

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

func TestGet(t *testing.T) {
	var made atomic.Int32
	c := New(func(k [2]string) string {
		made.Add(1)
		return k[0] + "/" + k[1]
	})
	for _, tc := range []struct {
		key  [2]string
		want string
		made int32
	}{
		{[2]string{"GET", "200"}, "GET/200", 1},
		{[2]string{"GET", "200"}, "GET/200", 1},
		{[2]string{"POST", "401"}, "POST/401", 2},
		{[2]string{"GET", "200"}, "GET/200", 2},
		{[2]string{"", ""}, "/", 3},
	} {
		if got := c.Get(tc.key); got != tc.want || made.Load() != tc.made {
			t.Errorf("Get(%q): got %q after %d makes, want %q after %d", tc.key, got, made.Load(), tc.want, tc.made)
		}
	}
}

// Concurrent first uses of a key make its value once, and every caller
// gets that one value.
func TestGetConcurrent(t *testing.T) {
	var made atomic.Int32
	c := New(func(k int) *int {
		made.Add(1)
		return &k
	})
	const keys, goroutines = 16, 8
	got := make([][keys]*int, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for k := range keys {
				got[g][k] = c.Get(k)
			}
		})
	}
	wg.Wait()
	if made.Load() != keys {
		t.Errorf("made %d values for %d keys", made.Load(), keys)
	}
	for g := range goroutines {
		for k := range keys {
			if got[g][k] != got[0][k] || *got[g][k] != k {
				t.Fatalf("goroutine %d, key %d: got a different value", g, k)
			}
		}
	}
}

// A hit is a map lookup: no allocation.
func TestGetAllocs(t *testing.T) {
	c := New(strconv.Itoa)
	c.Get(7)
	if n := testing.AllocsPerRun(100, func() { c.Get(7) }); n != 0 {
		t.Errorf("a hit allocates %v times, want 0", n)
	}
}

func BenchmarkGetHit(b *testing.B) {
	type key struct {
		method string
		status int
	}
	c := New(func(k key) string { return k.method + strconv.Itoa(k.status) })
	k := key{"GET", 200}
	c.Get(k)
	b.ReportAllocs()
	for b.Loop() {
		c.Get(k)
	}
}
