package server

import (
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestRequestID(t *testing.T) {
	ts := newTestServer(t)
	for _, tt := range []struct {
		name, in string
		echoed   bool
	}{
		{"plain id is echoed", "abc-123_X.y", true},
		{"none", "", false},
		{"with spaces", "abc 123", false},
		{"with a newline", "abc\n123", false},
		{"too long", strings.Repeat("a", 65), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := ts.do(t, request{method: "GET", path: "/healthz", header: map[string]string{"X-Request-ID": tt.in}})
			got := w.Header().Get("X-Request-ID")
			switch {
			case tt.echoed && got != tt.in:
				t.Errorf("got %q, want %q", got, tt.in)
			case !tt.echoed && (got == tt.in || len(got) != 16):
				t.Errorf("got %q, want a fresh 16-character id", got)
			}
		})
	}
}

// A panic in a handler is a logged 500 with a JSON body, never a stack
// trace, and the server goes on serving.
func TestPanicIsA500(t *testing.T) {
	ts := newTestServer(t)
	ts.engine.GET("/test-panic", func(*gin.Context) { panic("boom: secret detail") })
	w := ts.do(t, request{method: "GET", path: "/test-panic"})
	checkError(t, w, 500, "internal_error")
	if strings.Contains(w.Body.String(), "boom") || strings.Contains(w.Body.String(), ".go:") {
		t.Errorf("the 500 body leaks details: %s", w.Body)
	}
	if w := ts.do(t, request{method: "GET", path: "/healthz"}); w.Code != 200 {
		t.Errorf("after the panic: got %d, want 200", w.Code)
	}
}
