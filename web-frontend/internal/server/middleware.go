package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/requestid"
	"github.com/jwt-micro-system/web-frontend/internal/clientip"
	"github.com/jwt-micro-system/web-frontend/internal/metrics"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

// hsts is the Strict-Transport-Security value: a year, this host only (a
// sibling site on plain http is not ours to break).
const hsts = "max-age=31536000"

// recoverPanics turns a panic in a handler into a logged 500 page instead
// of a dropped connection. It is a last resort: handlers do not panic.
func recoverPanics(log *slog.Logger, rd *renderer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.ErrorContext(r.Context(), "panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
					rd.fail(w, r, errPanic)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// tracker follows one request through observe: it wraps the
// ResponseWriter to learn the status, the handlers tell it who made the
// request (noteUser), and requireSession leaves the authentication in it
// for the handlers behind it (authFrom). One allocation per request
// carries all of it.
//
// It is also the request's context: it embeds the parent context and
// answers Value(stateKey{}) with itself, which saves the request a
// context.WithValue.
type tracker struct {
	http.ResponseWriter
	context.Context
	status int
	user   string
	authed bool
	auth   authInfo
	id     [1]string // the X-Request-Id value, without a slice of its own
}

// Value answers stateKey{} with the tracker; every other key goes to the
// parent context.
func (t *tracker) Value(key any) any {
	if key == (stateKey{}) {
		return t
	}
	return t.Context.Value(key)
}

// WriteHeader records the first final status; 1xx informational answers
// (103 Early Hints) may come before it.
func (t *tracker) WriteHeader(code int) {
	if t.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		t.status = code
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *tracker) Write(b []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	return t.ResponseWriter.Write(b)
}

// Flush keeps http.Flusher working through the wrapper.
func (t *tracker) Flush() {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	_ = http.NewResponseController(t.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the wrapped writer.
func (t *tracker) Unwrap() http.ResponseWriter { return t.ResponseWriter }

type stateKey struct{}

// trackerOf returns the tracker observe put in ctx.
func trackerOf(ctx context.Context) (*tracker, bool) {
	t, ok := ctx.Value(stateKey{}).(*tracker)
	return t, ok && t != nil
}

// noteUser tells observe who made the request.
func noteUser(ctx context.Context, user string) {
	if t, ok := trackerOf(ctx); ok {
		t.user = user
	}
}

// observe comes first in the chain: it gives the request its id (the
// client's X-Request-Id when requestid.Valid, else a new one; echoed, and
// in the context for every log line), then logs one line per request and
// counts it, by route pattern (never by raw path, so hostile URLs cannot
// blow up the metric labels). The path is logged, never the query or any
// header, so tokens stay out of the logs. When the log level leaves a
// request out, logging it costs a level check and allocates nothing.
func observe(log *slog.Logger, m *metrics.Metrics, trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := requestid.Of(r)
			t := &tracker{ResponseWriter: w, id: [1]string{id}}
			w.Header()[requestid.Header] = t.id[:] // canonical already
			t.Context = requestid.NewContext(r.Context(), id)
			r = r.WithContext(t)
			next.ServeHTTP(t, r)
			status := t.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			route := m.ObserveRequest(r.Method, chi.RouteContext(r.Context()), status, elapsed)
			if route == "/healthz" || route == "/metrics" {
				return // probes and scrapes would drown the log
			}
			// Successful reads are the bulk of the traffic and say little:
			// they are logged at debug, as auth-api does, which keeps the log
			// (and its cost) off the hot path. Errors and state changes stay
			// at info.
			level := slog.LevelInfo
			switch {
			case status >= 500:
				level = slog.LevelError
			case status < 400 && (r.Method == http.MethodGet || r.Method == http.MethodHead):
				level = slog.LevelDebug
			}
			if !log.Enabled(r.Context(), level) {
				return
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.String("client_ip", clientip.Of(r, trusted)),
			}
			if t.user != "" {
				attrs = append(attrs, slog.String("user", t.user))
			}
			log.LogAttrs(r.Context(), level, "request", attrs...)
		})
	}
}

// crossOriginProtection refuses cross-origin state-changing requests (a
// form on another site posting to /login or /logout) with a 403 page.
func crossOriginProtection(log *slog.Logger, rd *renderer) func(http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.WarnContext(r.Context(), "cross-origin request refused", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		rd.fail(w, r, errCrossOrigin)
	}))
	return cop.Handler
}

// authMode says how requireSession answers a request without a valid
// session.
type authMode int

const (
	pageMode authMode = iota // redirect to /login (HTML pages)
	apiMode                  // 401 JSON; a bearer token is also accepted
)

// authInfo is what requireSession puts in the request context.
type authInfo struct {
	claims *jwtauth.Claims
	token  string // the verified access token, for calls to auth-api
	bearer bool   // true when it came from an Authorization header
}

// authFrom returns the authInfo requireSession established for the
// request of ctx. It lives in the request's tracker, under an unexported
// context key, so no other package can read or forge it.
func authFrom(ctx context.Context) (*authInfo, bool) {
	t, ok := trackerOf(ctx)
	if !ok || !t.authed {
		return nil, false
	}
	return &t.auth, true
}

// requireSession authenticates every request of the routes it guards: the
// session cookie (renewed silently by the Manager when its access token has
// expired) or, in apiMode, an Authorization: Bearer token. It runs behind
// observe, whose tracker keeps the result.
func requireSession(mode authMode, verifier *jwtauth.Verifier, sessions *session.Manager, m *metrics.Metrics, rd *renderer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, ok := trackerOf(r.Context())
			if !ok {
				rd.fail(w, r, errNoTracker)
				return
			}
			var info authInfo
			if tok, ok := bearerToken(r); ok && mode == apiMode {
				claims, err := verifier.Verify(tok)
				if err != nil {
					reason := string(jwtauth.ReasonOf(err))
					m.Session("invalid", "bearer_"+reason)
					// The reason is for the log; the client learns no more
					// than that the token was refused.
					rd.log.InfoContext(r.Context(), "bearer token refused", "reason", reason)
					writeAPIError(w, fmt.Errorf("%w: %w", errBadBearer, err))
					return
				}
				m.Session("ok", "bearer")
				info = authInfo{claims: claims, token: tok, bearer: true}
			} else {
				a, err := sessions.Load(w, r)
				switch {
				case err != nil && mode == apiMode:
					writeAPIError(w, err)
					return
				case err != nil:
					rd.fail(w, r, err)
					return
				}
				info = authInfo{claims: a.Claims, token: a.AccessToken}
			}
			t.user, t.auth, t.authed = info.claims.Subject, info, true
			next.ServeHTTP(w, r)
		})
	}
}

// bearerToken returns the token of an Authorization: Bearer header.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	return strings.TrimSpace(h[7:]), true
}
