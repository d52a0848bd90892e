package metrics

import (
	"net/http"
	"testing"
)

func TestMethodLabel(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"GET", "GET"}, {"DELETE", "DELETE"}, {"OPTIONS", "OPTIONS"},
		{"get", "other"}, {"BREW", "other"}, {"", "other"}, {"GET ", "other"},
	} {
		if got := methodLabel(tt.in); got != tt.want {
			t.Errorf("methodLabel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Counting a request allocates nothing once its label set was seen.
func TestRequestAllocatesNothing(t *testing.T) {
	m := New()
	m.Request(http.MethodGet, "/me", 200, 0)
	if n := testing.AllocsPerRun(100, func() { m.Request(http.MethodGet, "/me", 200, 0) }); n != 0 {
		t.Errorf("got %.0f allocations per request, want 0", n)
	}
}
