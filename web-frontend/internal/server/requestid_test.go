package server

import (
	"bufio"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// logLines returns the JSON log lines with message msg.
func logLines(tb testing.TB, logs, msg string) []map[string]any {
	tb.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			tb.Fatalf("log line is not JSON: %s", sc.Text())
		}
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

// One request can be followed across both services: the id is taken from
// X-Request-Id when it is plain, echoed, on the request's log lines, and
// sent to auth-api on every call made for the request.
func TestRequestIDFollowsTheRequest(t *testing.T) {
	generated := regexp.MustCompile(`^[0-9a-f]{16}$`)
	tests := []struct {
		name, in string
		keep     bool
	}{
		{"plain id kept", "req-42.A_b", true},
		{"64 characters kept", strings.Repeat("a", 64), true},
		{"none: generated", "", false},
		{"too long: replaced", strings.Repeat("a", 65), false},
		{"log forging: replaced", "x\n{\"msg\":\"forged\"}", false},
		{"space: replaced", "a b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envConfig{})
			e.fake.requestIDs = make(chan string, 4)
			r := postForm("/login", url.Values{"username": {"bob"}, "password": {"bob-password"}})
			if tt.in != "" {
				r.Header.Set("X-Request-Id", tt.in)
			}
			w := e.do(t, r)
			id := w.Header().Get("X-Request-Id")
			if tt.keep && id != tt.in {
				t.Fatalf("got X-Request-Id %q, want %q echoed", id, tt.in)
			}
			if !tt.keep && !generated.MatchString(id) {
				t.Fatalf("got X-Request-Id %q, want a generated one", id)
			}
			select {
			case got := <-e.fake.requestIDs:
				if want := "POST /login " + id; got != want {
					t.Errorf("auth-api got %q, want %q", got, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("auth-api was not called")
			}
			lines := logLines(t, e.logs.String(), "request")
			if len(lines) != 1 {
				t.Fatalf("got %d request log lines, want 1", len(lines))
			}
			if lines[0]["request_id"] != id || lines[0]["user"] != "bob" {
				t.Errorf("request log line %v: want request_id %q and user bob", lines[0], id)
			}
			for _, l := range logLines(t, e.logs.String(), "login succeeded") {
				if l["request_id"] != id || l["user"] != "bob" {
					t.Errorf("login line %v lacks request_id %q or user bob", l, id)
				}
			}
		})
	}
}

// The request log line uses the keys both services share.
func TestRequestLogKeys(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	e.fake.requestIDs = make(chan string, 4)
	e.clock.Advance(tokenTTL + time.Minute) // the renewal calls auth-api too
	r := get("/api/me", ck)
	r.Header.Set("X-Request-Id", "renewal-1")
	if w := e.do(t, r); w.Code != 200 {
		t.Fatalf("got %d, want 200", w.Code)
	}
	if got := <-e.fake.requestIDs; got != "POST /refresh renewal-1" {
		t.Errorf("auth-api got %q, want the request id on the refresh", got)
	}
	lines := logLines(t, e.logs.String(), "request")
	last := lines[len(lines)-1]
	for k, want := range map[string]any{"method": "GET", "path": "/api/me", "status": 200.0, "user": "bob", "request_id": "renewal-1", "client_ip": "192.0.2.1"} {
		if last[k] != want {
			t.Errorf("request line %s = %v, want %v", k, last[k], want)
		}
	}
	if _, ok := last["duration_ms"].(float64); !ok {
		t.Errorf("request line lacks a numeric duration_ms: %v", last)
	}
	// The session Manager's lines carry the id too.
	e.fake.down.Store(true)
	e.clock.Advance(tokenTTL + time.Minute)
	r = get("/", ck)
	r.Header.Set("X-Request-Id", "renewal-2")
	if w := e.do(t, r); w.Code != 503 {
		t.Fatalf("auth-api down: got %d, want 503", w.Code)
	}
	warned := false
	for _, l := range logLines(t, e.logs.String(), "session renewal failed: auth-api unavailable") {
		warned = warned || l["request_id"] == "renewal-2"
	}
	if !warned {
		t.Error("the Manager's warning lacks the request id")
	}
	for _, old := range []string{"username", "client", "duration"} {
		if _, ok := last[old]; ok {
			t.Errorf("request line still has the old key %q", old)
		}
	}
}
