package headerset

import (
	"net/http"
	"testing"
)

func TestSet(t *testing.T) {
	s := New("x-one", "1", "X-Two", "2")
	s2 := s.With("x-ONE", "uno").With("Strict-Transport-Security", "max-age=63072000")
	for _, c := range []struct {
		set       Set
		key, want string
	}{
		{s, "X-One", "1"}, {s, "x-two", "2"}, {s, "Strict-Transport-Security", ""},
		{s2, "X-One", "uno"}, {s2, "X-Two", "2"}, {s2, "strict-transport-security", "max-age=63072000"},
		{Set{}, "X-One", ""},
	} {
		if got := c.set.Get(c.key); got != c.want {
			t.Errorf("Get(%q): got %q, want %q", c.key, got, c.want)
		}
	}
	h := http.Header{}
	s2.Apply(h)
	if got := h.Get("X-One"); got != "uno" {
		t.Errorf("applied X-One: got %q, want uno", got)
	}
	// What handlers do to a response's headers never reaches the set,
	// which every response shares.
	h.Add("X-One", "more")
	h.Set("X-Two", "changed")
	h2 := http.Header{}
	s2.Apply(h2)
	if got := h2.Values("X-One"); len(got) != 1 || got[0] != "uno" {
		t.Errorf("after Add on one response, the next gets X-One %q, want [uno]", got)
	}
	if got := h2.Get("X-Two"); got != "2" {
		t.Errorf("after Set on one response, the next gets X-Two %q, want 2", got)
	}
}

// Applying the set is map assignment only: no allocation per response.
func TestApplyAllocs(t *testing.T) {
	s := New("Content-Security-Policy", "default-src 'none'", "X-Content-Type-Options", "nosniff", "X-Instance", "a.1")
	h := http.Header{}
	if n := testing.AllocsPerRun(100, func() { s.Apply(h) }); n != 0 {
		t.Errorf("Apply allocates %v times, want 0", n)
	}
}

func BenchmarkApply(b *testing.B) {
	s := New(
		"Content-Security-Policy", "default-src 'none'",
		"X-Content-Type-Options", "nosniff",
		"Referrer-Policy", "same-origin",
		"X-Frame-Options", "DENY",
		"Cache-Control", "no-store",
	)
	h := http.Header{}
	b.ReportAllocs()
	for b.Loop() {
		s.Apply(h)
	}
}
