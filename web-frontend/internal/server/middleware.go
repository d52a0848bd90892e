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
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

// contentSecurityPolicy allows nothing but our own stylesheet, images and
// one small script (local times, show-password, caps-lock: progressive
// enhancement; the pages work without it): no inline script, no framing,
// forms only to ourselves.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers every response carries. Responses are
// not cacheable unless a handler says otherwise (static assets do).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

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

// requestState is what the handlers learn about a request that observe
// logs once it is served: so far, the user.
type requestState struct{ user string }

type stateKey struct{}

// noteUser tells observe who made the request.
func noteUser(ctx context.Context, user string) {
	if st, ok := ctx.Value(stateKey{}).(*requestState); ok {
		st.user = user
	}
}

// observe logs one line per request and counts it, by route pattern (never
// by raw path, so hostile URLs cannot blow up the metric labels). The path
// is logged, never the query or any header, so tokens stay out of the logs.
func observe(log *slog.Logger, metrics *Metrics, trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			st := &requestState{}
			r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			route := "unmatched"
			if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
				route = rc.RoutePattern()
			}
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			metrics.observeRequest(r.Method, route, status, elapsed)
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
				slog.String("client_ip", clientIP(r, trusted)),
			}
			if st.user != "" {
				attrs = append(attrs, slog.String("user", st.user))
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

// authKey is the context key of authInfo; an unexported type, so no other
// package can read or forge it.
type authKey struct{}

// authFrom returns the authInfo of an authenticated request.
func authFrom(ctx context.Context) (*authInfo, bool) {
	a, ok := ctx.Value(authKey{}).(*authInfo)
	return a, ok && a != nil
}

// requireSession authenticates every request of the routes it guards: the
// session cookie (renewed silently by the Manager when its access token has
// expired) or, in apiMode, an Authorization: Bearer token.
func requireSession(mode authMode, verifier *jwtauth.Verifier, sessions *session.Manager, metrics *Metrics, rd *renderer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var info *authInfo
			if tok, ok := bearerToken(r); ok && mode == apiMode {
				claims, err := verifier.Verify(tok)
				if err != nil {
					metrics.Session("invalid", "bearer_"+string(jwtauth.ReasonOf(err)))
					writeAPIError(w, fmt.Errorf("%w: %w", errBadBearer, err))
					return
				}
				metrics.Session("ok", "bearer")
				info = &authInfo{claims: claims, token: tok, bearer: true}
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
				info = &authInfo{claims: a.Claims, token: a.AccessToken}
			}
			noteUser(r.Context(), info.claims.Subject)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), authKey{}, info)))
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
