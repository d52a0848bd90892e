package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkDecodeAndVerify is the per-request cost of a cookie session:
// open the cookie, verify the JWT.
func BenchmarkDecodeAndVerify(b *testing.B) {
	e := newEnv(b, envConfig{})
	ck := e.login(b, "alice")
	b.ReportAllocs()
	for b.Loop() {
		s, err := e.codec.Decode(ck.Value)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.verifier.Verify(s.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAPIMe is the whole authenticated middleware chain for GET
// /api/me with a session cookie (logging to io.Discard).
func BenchmarkAPIMe(b *testing.B) {
	e := newEnv(b, envConfig{})
	ck := e.login(b, "alice")
	quiet := NewServer(slog.New(slog.NewJSONHandler(io.Discard, nil)), e.opts, e.deps)
	r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	r.AddCookie(ck)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		quiet.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("got %d", w.Code)
		}
	}
}

// BenchmarkHealthz is the baseline: the same chain without a session.
func BenchmarkHealthz(b *testing.B) {
	e := newEnv(b, envConfig{})
	r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
	}
}
