package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
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

// Every request line carries the shared log keys; user is the token's
// subject when there is one.
func TestRequestLogLine(t *testing.T) {
	var buf syncBuffer
	ts := newTestServer(t, func(c *testConfig) { c.LogTo = &buf })
	token := ts.login(t, "alice", alicePassword).AccessToken
	for _, tt := range []struct {
		name, path, token, id string
		status                int
		user                  any
	}{
		{"authenticated", "/me", token, "req-1", 200, "alice"},
		{"anonymous", "/healthz", "", "req-2", 200, nil},
		{"refused", "/me", "not-a-token", "req-3", 401, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts.do(t, request{method: "GET", path: tt.path, token: tt.token, header: map[string]string{"X-Request-Id": tt.id}})
			var line map[string]any
			for _, l := range strings.Split(buf.String(), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "request" && m["request_id"] == tt.id {
					line = m
				}
			}
			if line == nil {
				t.Fatalf("no request line with request_id %q in %s", tt.id, buf.String())
			}
			for _, key := range []string{"method", "path", "status", "duration_ms", "client_ip"} {
				if _, ok := line[key]; !ok {
					t.Errorf("request line %v lacks %q", line, key)
				}
			}
			if line["status"] != float64(tt.status) || line["client_ip"] != testRemoteAddr || line["user"] != tt.user {
				t.Errorf("got status %v, client_ip %v, user %v; want %d, %s, %v", line["status"], line["client_ip"], line["user"], tt.status, testRemoteAddr, tt.user)
			}
			if strings.Contains(buf.String(), token) {
				t.Error("the access token appears in the log")
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

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
