package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jwt-micro-system/web-frontend/internal/session"
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

// benchServe serves r with h b.N times and fails unless every answer has
// status want.
func benchServe(b *testing.B, h http.Handler, r *http.Request, want int) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		w := &discardWriter{h: make(http.Header)}
		h.ServeHTTP(w, r)
		if w.status != want {
			b.Fatalf("got %d, want %d", w.status, want)
		}
	}
}

// quietServer is the server with the production log level (info): the
// successful GETs measured here are not logged.
func quietServer(e *env) http.Handler {
	return NewServer(slog.New(slog.NewJSONHandler(io.Discard, nil)), e.opts, e.deps)
}

// BenchmarkDecodeAndVerify is the per-request cost of a cookie session
// without the Manager's cache of opened cookies: open the cookie, verify
// the JWT (a Verifier cache hit).
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

// BenchmarkSessionLoad is the cookie path of every authenticated request,
// session.Manager.Load: find the cookie, open it (from the cache of opened
// cookies, or decrypting it every time), verify the access token.
func BenchmarkSessionLoad(b *testing.B) {
	for _, bc := range []struct {
		name  string
		cache int
	}{{"cached", 0}, {"uncached", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, envConfig{})
			ck := e.login(b, "alice")
			m, err := session.NewManager(e.log, e.codec, e.verifier, e.deps.Auth.(session.AuthAPI), session.Options{Now: e.clock.fn(), CookieCacheSize: bc.cache})
			if err != nil {
				b.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
			r.AddCookie(ck)
			w := &discardWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Load(w, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAPIMe is the whole authenticated middleware chain for GET
// /api/me with a session cookie, and with a bearer token.
func BenchmarkAPIMe(b *testing.B) {
	e := newEnv(b, envConfig{})
	ck := e.login(b, "alice")
	h := quietServer(e)
	b.Run("cookie", func(b *testing.B) {
		r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
		r.AddCookie(ck)
		benchServe(b, h, r, http.StatusOK)
	})
	b.Run("bearer", func(b *testing.B) {
		tokens, err := e.deps.Auth.Login(context.Background(), "alice", fakeUsers()["alice"][0], "")
		if err != nil {
			b.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
		r.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
		benchServe(b, h, r, http.StatusOK)
	})
}

// BenchmarkHealthz is the baseline: the same chain without a session.
func BenchmarkHealthz(b *testing.B) {
	e := newEnv(b, envConfig{})
	benchServe(b, quietServer(e), httptest.NewRequest(http.MethodGet, "/healthz", nil), http.StatusOK)
}
