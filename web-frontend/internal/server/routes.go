package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routes is the one place that lists every route and its middleware.
func (s *server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverPanics)
	r.Use(securityHeaders)
	r.Use(s.observe)
	r.Use(s.crossOriginProtection())
	r.Use(middleware.GetHead)
	r.NotFound(s.handleNotFound())
	r.MethodNotAllowed(s.handleMethodNotAllowed())

	// Open to everyone: health, metrics, static assets, the login flow.
	r.Get("/healthz", handleHealthz())
	r.Get("/readyz", handleReadyz(s.log, s.auth, s.opts))
	r.Method(http.MethodGet, "/metrics", s.metrics.Handler())
	r.Get("/static/*", s.handleStatic())
	r.Get("/login", s.handleLoginPage())
	r.Post("/login", s.handleLogin())
	r.Post("/logout", s.handleLogout())
	r.Get("/logout/done", s.handleSessionEnded())

	// Pages: a session cookie is required; without one, /login.
	r.Group(func(r chi.Router) {
		r.Use(s.requireSession(pageMode))
		r.Get("/", s.handleDashboard())
		r.Get("/admin", s.handleAdmin())
	})

	// JSON API: a session cookie or a bearer token; without one, 401 JSON.
	r.Route("/api", func(r chi.Router) {
		r.Use(s.requireSession(apiMode))
		r.NotFound(handleAPINotFound())
		r.MethodNotAllowed(handleAPIMethodNotAllowed())
		r.Get("/me", handleAPIMe())
	})
	return r
}
