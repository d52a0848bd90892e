package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func benchRequest(b *testing.B, ts *testServer, method, path, body, token string) {
	b.Helper()
	ts.do(b, request{method: method, path: path, body: body, token: token}) // warm up
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var r *http.Request
		if body != "" {
			r = httptest.NewRequest(method, path, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
		} else {
			r = httptest.NewRequest(method, path, nil)
		}
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		ts.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("got %d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkHealthz is the baseline: a trivial request through the whole
// middleware chain (request id, logging, metrics, recovery, body limit).
func BenchmarkHealthz(b *testing.B) {
	ts := newTestServer(b)
	benchRequest(b, ts, "GET", "/healthz", "", "")
}

// BenchmarkMe is the full authenticated chain: the same middleware plus the
// bearer token check (Verifier) and the claims response.
func BenchmarkMe(b *testing.B) {
	ts := newTestServer(b)
	token := ts.login(b, "alice", alicePassword).AccessToken
	benchRequest(b, ts, "GET", "/me", "", token)
}

const benchCost = 10

// BenchmarkLogin is a whole login at bcrypt cost 10: decode, limiter, user
// lookup, bcrypt, token signing, refresh token insert. Compare with
// BenchmarkPasswordCheck in internal/account: the difference is what login adds to the hash.
func BenchmarkLogin(b *testing.B) {
	ts := newTestServer(b, func(c *testConfig) { c.Accounts.BcryptCost = benchCost })
	if _, err := ts.accounts.CreateUser(context.Background(), "bench", "bench-password", "user"); err != nil {
		b.Fatal(err)
	}
	benchRequest(b, ts, "POST", "/login", `{"username":"bench","password":"bench-password"}`, "")
}
