package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestInstanceHeader(t *testing.T) {
	for _, instance := range []string{"", "auth-api.3"} {
		ts := newTestServer(t, func(c *testConfig) { c.Instance = instance })
		token := ts.login(t, "alice", alicePassword).AccessToken
		for _, r := range []request{
			{method: "GET", path: "/healthz"}, {method: "GET", path: "/me", token: token}, {method: "GET", path: "/me"},
			{method: "GET", path: "/nowhere"}, {method: "PUT", path: "/login"}, {method: "POST", path: "/login", body: "{}"},
		} {
			w := ts.do(t, r)
			got, ok := w.Header()["X-Instance"]
			switch {
			case instance == "" && ok:
				t.Errorf("%s %s without INSTANCE_NAME: got X-Instance %q, want none", r.method, r.path, got)
			case instance != "" && (len(got) != 1 || got[0] != instance):
				t.Errorf("%s %s (status %d): got X-Instance %q, want %q", r.method, r.path, w.Code, got, instance)
			}
		}
	}
}

// /me answers with the claims of the request's own token, the bytes gin's
// c.JSON wrote before they were cached, however often it is asked.
func TestMeClaims(t *testing.T) {
	ts := newTestServer(t)
	for _, u := range []struct{ name, password string }{{"alice", alicePassword}, {"admin", adminPassword}, {"alice", alicePassword}} {
		token := ts.login(t, u.name, u.password).AccessToken
		want, err := ts.verifier.Verify(token)
		if err != nil {
			t.Fatal(err)
		}
		wantJSON, _ := json.Marshal(want)
		for i := range 2 {
			w := ts.do(t, request{method: "GET", path: "/me", token: token})
			if w.Code != http.StatusOK || w.Body.String() != string(wantJSON) {
				t.Errorf("%s, request %d: got %d %s, want %s", u.name, i+1, w.Code, w.Body, wantJSON)
			}
			if ct, cc := w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"); ct != jsonContentType || cc != "no-store" {
				t.Errorf("got Content-Type %q, Cache-Control %q", ct, cc)
			}
		}
	}
	// A tampered token is refused even after the genuine one was cached.
	token := ts.login(t, "alice", alicePassword).AccessToken
	ts.do(t, request{method: "GET", path: "/me", token: token})
	i := len(token) - 10 // inside the signature
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	tampered := token[:i] + string(c) + token[i+1:]
	checkError(t, ts.do(t, request{method: "GET", path: "/me", token: tampered}), http.StatusUnauthorized, "invalid_token")
}

// The request path allocates a bounded, small number of objects: metrics
// are bound once, the claims are encoded once, and a request the log level
// leaves out builds no logger and no record. The budgets leave room for
// other work on the path; a jump past them means something started
// allocating per request.
func TestRequestAllocations(t *testing.T) {
	ts := newTestServer(t)
	token := ts.login(t, "alice", alicePassword).AccessToken
	me := httptest.NewRequest(http.MethodGet, "/me", nil)
	me.Header.Set("Authorization", "Bearer "+token)
	for _, c := range []struct {
		r      *http.Request
		budget float64
	}{
		{httptest.NewRequest(http.MethodGet, "/healthz", nil), 6},
		{me, 7},
	} {
		got := testing.AllocsPerRun(200, func() {
			w := &discardWriter{h: make(http.Header)}
			ts.ServeHTTP(w, c.r)
			if w.status != http.StatusOK {
				t.Fatalf("GET %s: got %d", c.r.URL.Path, w.status)
			}
		})
		t.Logf("GET %s: %.0f allocations", c.r.URL.Path, got)
		if raceEnabled {
			// The race detector's instrumentation allocates a few more.
			c.budget += 3
		}
		if got > c.budget {
			t.Errorf("GET %s: %.0f allocations per request, budget %.0f", c.r.URL.Path, got, c.budget)
		}
	}
}
