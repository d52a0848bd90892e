package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/web-frontend/internal/observe"
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
	// refreshExpires is when the session ends for good; zero when unknown.
	refreshExpires time.Time
}

// tracker is the request's observe.Tracker; authInfo, unexported, is the
// value it keeps, so no other package can read or forge it.
type tracker = observe.Tracker[authInfo]

// trackerOf returns the tracker of the request of ctx.
func trackerOf(ctx context.Context) (*tracker, bool) { return observe.From[authInfo](ctx) }

// authFrom returns the authInfo requireSession established for the
// request of ctx.
func authFrom(ctx context.Context) (*authInfo, bool) {
	t, ok := trackerOf(ctx)
	if !ok {
		return nil, false
	}
	return t.Kept()
}

// requireSession authenticates every request of the routes it guards: the
// session cookie (renewed silently by the Manager when its access token has
// expired) or, in apiMode, an Authorization: Bearer token. It runs behind
// observe, whose tracker keeps the result.
func requireSession(mode authMode, sessions *session.Manager, rd *renderer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, ok := trackerOf(r.Context())
			if !ok {
				rd.fail(w, r, errNoTracker)
				return
			}
			var a *session.Auth
			var err error
			tok, bearer := session.BearerToken(r)
			if bearer = bearer && mode == apiMode; bearer {
				a, err = sessions.Bearer(r.Context(), tok)
			} else {
				a, err = sessions.Load(w, r)
			}
			switch {
			case err != nil && mode == apiMode:
				writeAPIError(w, err)
				return
			case err != nil:
				rd.fail(w, r, err)
				return
			}
			info := authInfo{claims: a.Claims, token: a.AccessToken, bearer: bearer, refreshExpires: a.RefreshExpires}
			t.SetUser(info.claims.Subject)
			t.Keep(info)
			next.ServeHTTP(w, r)
		})
	}
}
