package server

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/clientaddr"
	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/revocation"
	"github.com/jwt-micro-system/shared/secretkey"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/metrics"
	"github.com/jwt-micro-system/auth-api/internal/observe"
	"github.com/jwt-micro-system/auth-api/internal/signin"
)

// routeDeps are the dependencies that routes hands to the handler makers.
type routeDeps struct {
	log      *slog.Logger
	cfg      Config
	accounts *account.Service
	ready    Pinger
	keys     *secretkey.Keys
	verifier *jwtauth.Verifier
	signin   *signin.Flows
	metrics  *metrics.Metrics
	// feedKeys authenticate readers of the revocation feed.
	feedKeys *revocation.FeedKeys
	// clientAddrs verifies web-frontend's signed client addresses.
	clientAddrs *clientaddr.Verifier
}

// addRoutes is the one place that lists every route and its middleware.
func addRoutes(r *gin.Engine, d routeDeps) {
	r.Use(
		observe.RequestID(d.log),
		setHeaders(responseHeaders(d.cfg)),
		signedClientAddress(d.clientAddrs, d.cfg.Now),
		observe.Requests(d.metrics),
		recoverPanic(),
		limitBody(MaxBodyBytes),
	)
	r.NoRoute(func(c *gin.Context) {
		fail(c, &apiError{status: http.StatusNotFound, code: "not_found", message: "no such endpoint; see /openapi.yaml"})
	})
	r.NoMethod(func(c *gin.Context) {
		fail(c, &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed",
			message: "method " + c.Request.Method + " is not allowed here; see /openapi.yaml"})
	})

	r.GET("/healthz", handleHealthz())
	r.GET("/readyz", handleReadyz(d.ready))
	if !d.cfg.MetricsSeparate {
		r.GET("/metrics", gin.WrapH(d.metrics.Handler(d.cfg.MetricsToken)))
	}
	r.GET("/openapi.yaml", handleOpenAPI())
	r.GET("/token-key", handleTokenKey(d.keys, d.cfg.Issuer, d.cfg.Audience))

	r.POST("/login", handleLogin(d.signin, d.metrics))
	r.POST("/refresh", handleRefresh(d.signin, d.metrics))
	r.POST("/logout", handleLogout(d.accounts))
	r.GET("/revocations", handleRevocations(d.accounts, d.feedKeys))
	r.POST("/token", handleToken(d.signin, d.metrics))

	authed := r.Group("/", requireToken(d.verifier, d.metrics))
	authed.GET("/me", handleMe(jwtauth.NewClaimsJSON(claimsJSONCacheSize, false)))
	authed.POST("/me/password", handleChangePassword(d.signin))
	authed.POST("/me/logout-all", handleLogoutAll(d.accounts))

	admin := r.Group("/users", requireToken(d.verifier, d.metrics), requireAdmin(d.accounts))
	admin.GET("", handleListUsers(d.accounts))
	admin.POST("", handleCreateUser(d.accounts))
	admin.DELETE("/:username", handleDeleteUser(d.accounts))
	admin.PUT("/:username/password", handleResetPassword(d.accounts))
}
