package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// routes is the one place that lists every route and its middleware.
func (s *Server) routes() {
	r := s.engine
	r.Use(
		s.requestID(),
		s.observe(),
		s.recoverPanic(),
		limitBody(MaxBodyBytes),
	)
	r.NoRoute(func(c *gin.Context) {
		abort(c, http.StatusNotFound, "not_found", "no such endpoint; see /openapi.yaml")
	})
	r.NoMethod(func(c *gin.Context) {
		abort(c, http.StatusMethodNotAllowed, "method_not_allowed", "method "+c.Request.Method+" is not allowed here; see /openapi.yaml")
	})

	r.GET("/healthz", handleHealthz())
	r.GET("/readyz", handleReadyz(s.log, s.store))
	r.GET("/metrics", handleMetrics(s.metrics))
	r.GET("/openapi.yaml", handleOpenAPI())
	r.GET("/token-key", handleTokenKey(s.keys, s.cfg.Issuer, s.cfg.Audience))

	r.POST("/login", handleLogin(s.store, s.issuer, s.limiter, s.metrics, s.dummyHash, s.cfg))
	r.POST("/refresh", handleRefresh(s.store, s.issuer, s.metrics, s.cfg))
	r.POST("/logout", handleLogout(s.store, s.cfg.Now))

	authed := r.Group("/", s.requireToken())
	authed.GET("/me", handleMe())
	authed.POST("/me/password", handleChangePassword(s.store, s.limiter, s.cfg))

	admin := r.Group("/users", s.requireToken(), s.requireAdmin())
	admin.GET("", handleListUsers(s.store))
	admin.POST("", handleCreateUser(s.store, s.cfg))
	admin.DELETE("/:username", handleDeleteUser(s.store))
}
