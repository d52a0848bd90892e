// Package server is the web-frontend HTTP layer: the routes, the pages,
// the small JSON API and the middleware. Sessions (cookie, verification,
// renewal) belong to package session; this package only speaks HTTP.
package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/jwt-micro-system/shared/httpserve"

	"github.com/jwt-micro-system/shared/requestid"
	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/web-frontend/internal/authclient"
	"github.com/jwt-micro-system/web-frontend/internal/metrics"
	"github.com/jwt-micro-system/web-frontend/internal/pages"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

// AuthAPI is what the handlers need from auth-api; *authclient.Client
// implements it. Refresh and logout go through the session.Manager.
type AuthAPI interface {
	Login(ctx context.Context, username, password, clientIP string) (authclient.Tokens, error)
	Users(ctx context.Context, accessToken string) ([]authclient.User, error)
	CreateUser(ctx context.Context, accessToken, username, password, role string) error
	SetPassword(ctx context.Context, accessToken, username, password string) error
	DeleteUser(ctx context.Context, accessToken, username string) error
	ChangePassword(ctx context.Context, accessToken, current, next string) error
	LogoutAll(ctx context.Context, accessToken string) error
	TokenKey(ctx context.Context) (authclient.TokenKey, error)
}

// Options are the settings NewServer uses directly.
type Options struct {
	// Keys, Issuer and Audience are compared with auth-api's by /readyz.
	Keys     *secretkey.Keys
	Issuer   string
	Audience string
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Version is shown to admins in the page footer and busts the cache of
	// the stylesheet and script.
	Version string
	// Instance, when set, is sent as X-Instance on every response, to
	// show which replica answered.
	Instance string
	// HSTS adds Strict-Transport-Security to every response (set with
	// COOKIE_SECURE=true: the site is served over https).
	HSTS bool
	// AllowedHosts are the Host names the service answers for (port
	// ignored); nil answers any.
	AllowedHosts []string
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MetricsSeparate leaves /metrics off this handler; main serves it on
	// METRICS_ADDRESS.
	MetricsSeparate bool
}

// Deps are the collaborators of the server, built once at start.
type Deps struct {
	// Sessions authenticates requests: the cookie, or on /api a bearer
	// token.
	Sessions *session.Manager
	Auth     AuthAPI
	Pages    *pages.Set
	Static   fs.FS // the files served under /static/
	Metrics  *metrics.Metrics
	// Now is the clock; time.Now when nil. Tests share one fake clock
	// between the Verifier, the session Manager and the server.
	Now func() time.Time
}

// NewServer returns the web-frontend handler. Every log line written with
// a request's context carries its request_id.
func NewServer(log *slog.Logger, opts Options, deps Deps) http.Handler {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	log = slog.New(requestid.LogHandler(log.Handler()))
	return httpserve.CheckHost(opts.AllowedHosts, routes(log, opts, deps))
}
