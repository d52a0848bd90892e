package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jwt-micro-system/shared/jwtauth"
)

// contentSecurityPolicy allows nothing but our own stylesheet and images:
// no script at all, no framing, forms only to ourselves.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; " +
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
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
				s.renderError(w, r, http.StatusInternalServerError, "err_internal")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// observe logs one line per request and counts it, by route pattern (never
// by raw path, so hostile URLs cannot blow up the metric labels).
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
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
		s.metrics.observeRequest(r.Method, route, status, elapsed)
		if route == "/healthz" || route == "/metrics" {
			return // probes and scrapes would drown the log
		}
		// Successful reads are the bulk of the traffic and say little: they
		// are logged at debug, as auth-api does, which keeps the log (and
		// its cost) off the hot path. Errors and state changes stay at info.
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case status < 400 && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			level = slog.LevelDebug
		}
		if !s.log.Enabled(r.Context(), level) {
			return
		}
		s.log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Duration("duration", elapsed),
			slog.String("client", clientIP(r, s.opts.TrustedProxies)),
		)
	})
}

// crossOriginProtection refuses cross-origin state-changing requests (a
// form on another site posting to /login or /logout) with a 403 page.
func (s *server) crossOriginProtection() func(http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		s.renderError(w, r, http.StatusForbidden, "err_cross_origin")
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

func withAuth(ctx context.Context, a *authInfo) context.Context {
	return context.WithValue(ctx, authKey{}, a)
}

// authFrom returns the authInfo of an authenticated request.
func authFrom(ctx context.Context) (*authInfo, bool) {
	a, ok := ctx.Value(authKey{}).(*authInfo)
	return a, ok && a != nil
}

// requireSession authenticates every request of the routes it guards: the
// session cookie (renewed silently when its access token has expired) or,
// in apiMode, an Authorization: Bearer token.
func (s *server) requireSession(mode authMode) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if mode == apiMode {
				if tok, ok := bearerToken(r); ok {
					claims, err := s.verifier.Verify(tok)
					if err != nil {
						reason := jwtauth.ReasonOf(err)
						s.metrics.session("invalid", "bearer_"+string(reason))
						w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
						writeJSONError(w, http.StatusUnauthorized, "invalid_token", "The bearer token is invalid ("+string(reason)+"); log in again to get a new one.")
						return
					}
					s.metrics.session("ok", "bearer")
					next.ServeHTTP(w, r.WithContext(withAuth(r.Context(), &authInfo{claims: claims, token: tok, bearer: true})))
					return
				}
			}
			info, err := s.authenticate(w, r)
			if err == nil {
				next.ServeHTTP(w, r.WithContext(withAuth(r.Context(), info)))
				return
			}
			s.refuse(w, r, mode, err)
		})
	}
}

// refuse answers a request whose session could not be established.
func (s *server) refuse(w http.ResponseWriter, r *http.Request, mode authMode, err error) {
	switch {
	case errors.Is(err, errUnavailable):
		if mode == apiMode {
			w.Header().Set("Retry-After", "5")
			writeJSONError(w, http.StatusServiceUnavailable, "auth_unavailable", "The sign-in service is unreachable, so the session could not be renewed; try again shortly.")
			return
		}
		w.Header().Set("Retry-After", "5")
		s.renderError(w, r, http.StatusServiceUnavailable, "err_unavailable")
	case mode == apiMode:
		code, msg := "login_required", "Log in first: send the session cookie or an Authorization: Bearer token."
		if !errors.Is(err, errNoSession) {
			code, msg = "session_expired", "Your session has expired or is invalid. Please log in again."
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="web-frontend"`)
		writeJSONError(w, http.StatusUnauthorized, code, msg)
	default:
		q := url.Values{}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			if next := r.URL.RequestURI(); next != "/" {
				q.Set("next", safeNext(next))
			}
		}
		if !errors.Is(err, errNoSession) {
			q.Set("msg", msgExpired)
		}
		target := "/login"
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
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
