package server

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jwt-micro-system/shared/httpserve"
	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/web-frontend/internal/observe"
	"github.com/jwt-micro-system/web-frontend/internal/pages"
)

// routes is the one place that lists every route and its middleware.
func routes(log *slog.Logger, opts Options, d Deps) http.Handler {
	rd := &renderer{log: log, pages: d.Pages, version: opts.Version, sessions: d.Sessions}

	r := chi.NewRouter()
	r.Use(recoverPanics(log, rd))
	r.Use(setHeaders(responseHeaders(opts)))
	r.Use(crossOriginProtection(log, rd))
	r.Use(middleware.GetHead)
	// Under /api the answers are JSON, behind the same session check as
	// the API's routes (so an unknown API path says 401 to a stranger).
	// The API is not a mounted sub-router: a mount costs every API
	// request a path rewrite and a path value.
	api := requireSession(apiMode, d.Sessions, rd)
	r.NotFound(byArea(api(handleAPIError(errNotFound)), handleError(rd, errNotFound)))
	r.MethodNotAllowed(byArea(api(handleAPIError(errMethod)), handleError(rd, errMethod)))

	// Open to everyone: health, metrics, static assets, the login flow.
	r.Get("/healthz", handleHealthz())
	r.Get("/readyz", handleReadyz(log, d.Auth, opts))
	if !opts.MetricsSeparate {
		r.Method(http.MethodGet, "/metrics", httpserve.RequireBearer(opts.MetricsToken, "METRICS_TOKEN", d.Metrics.Handler()))
	}
	r.Get("/static/*", pages.Static(d.Static, handleError(rd, errNotFound)))
	r.Get("/login", handleLoginPage(rd, d.Sessions))
	r.Post("/login", handleLogin(log, rd, d.Auth, d.Sessions, opts.TrustedProxies))
	r.Post("/logout", handleLogout(d.Sessions))
	r.Get("/logout/done", handleSessionEnded(d.Sessions))

	// Pages: a session cookie is required; without one, /login.
	r.Group(func(r chi.Router) {
		r.Use(requireSession(pageMode, d.Sessions, rd))
		r.Get("/", handleDashboard(rd, d.Now))
		r.Get("/account", handleAccount(rd, d.Now))
		r.Post("/account/password", handleChangePassword(log, rd, d.Auth, d.Sessions, opts.TrustedProxies, d.Now))
		r.Post("/account/logout-all", handleLogoutAll(log, rd, d.Auth, d.Sessions))
		r.Group(func(r chi.Router) {
			r.Use(requireAdmin(log, rd))
			r.Get("/admin", handleAdmin(rd, d.Auth, d.Sessions))
			r.Post("/admin/users", handleCreateUser(log, rd, d.Auth, d.Sessions))
			r.Post("/admin/users/{username}/password", handleResetPassword(log, rd, d.Auth, d.Sessions))
			r.Post("/admin/users/{username}/delete", handleDeleteUser(log, rd, d.Auth, d.Sessions))
		})
	})

	// JSON API: a session cookie or a bearer token; without one, 401 JSON.
	r.Group(func(r chi.Router) {
		r.Use(api)
		r.Get("/api/me", handleAPIMe(jwtauth.NewClaimsJSON(claimsJSONCacheSize, true)))
	})
	// Outermost: request id, log line, metrics (and chi's routing context).
	return observe.Handler[authInfo](log, d.Metrics, opts.TrustedProxies, r)
}

// byArea sends requests for /api and below to api, the others to pages.
func byArea(api, pages http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == "/api" || strings.HasPrefix(p, "/api/") {
			api.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	}
}
