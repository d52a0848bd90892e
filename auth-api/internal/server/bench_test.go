package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// discardWriter is the cheapest ResponseWriter that behaves like
// net/http's for the chain: a fresh header map per response (so the cost
// of filling it is counted), the body thrown away. Unlike
// httptest.ResponseRecorder it adds no work of its own to what is
// measured.
type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header { return d.h }

func (d *discardWriter) WriteHeader(code int) {
	if d.status == 0 {
		d.status = code
	}
}

func (d *discardWriter) Write(b []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	return len(b), nil
}

// benchRequest serves one request b.N times. A request without a body is
// built once, as net/http hands the handler a request it parsed; one with
// a body needs a fresh reader each time.
func benchRequest(b *testing.B, ts *testServer, method, path, body, token string) {
	b.Helper()
	ts.do(b, request{method: method, path: path, body: body, token: token}) // warm up
	newRequest := func() *http.Request {
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
		return r
	}
	r := newRequest()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if body != "" {
			r = newRequest()
		}
		w := &discardWriter{h: make(http.Header)}
		ts.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("got %d", w.status)
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
