// Package server is the web-frontend HTTP service: the login flow, the
// cookie session verified on every request, silent renewal, the pages and
// the small JSON API.
package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"

	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/web-frontend/internal/authclient"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

// AuthAPI is what the web-frontend needs from auth-api;
// *authclient.Client implements it.
type AuthAPI interface {
	Login(ctx context.Context, username, password, clientIP string) (authclient.Tokens, error)
	Refresh(ctx context.Context, refreshToken string) (authclient.Tokens, error)
	Logout(ctx context.Context, refreshToken string) error
	Users(ctx context.Context, accessToken string) ([]authclient.User, error)
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
	// Version is shown in the page footer and used to bust the CSS cache.
	Version string
	// GraceWindow is how long a request still carrying a just-rotated
	// refresh token is given the new pair (default 30s).
	GraceWindow time.Duration
}

// Deps are the collaborators of the server, built once at start.
type Deps struct {
	Verifier *jwtauth.Verifier
	Codec    *session.Codec
	Auth     AuthAPI
	Pages    *Pages
	Static   fs.FS // the files served under /static/
	Metrics  *Metrics
	// Now is the clock; time.Now when nil. Tests share one fake clock
	// between the Verifier, the fake auth-api and the server.
	Now func() time.Time
}

// server holds everything the handlers share. It has no package-level
// counterpart: every instance is independent.
type server struct {
	log      *slog.Logger
	opts     Options
	verifier *jwtauth.Verifier
	codec    *session.Codec
	auth     AuthAPI
	pages    *Pages
	static   fs.FS
	metrics  *Metrics
	renewer  *renewer
	now      func() time.Time
}

// NewServer returns the web-frontend handler.
func NewServer(log *slog.Logger, opts Options, deps Deps) http.Handler {
	return newServer(log, opts, deps).routes()
}

func newServer(log *slog.Logger, opts Options, deps Deps) *server {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if opts.GraceWindow <= 0 {
		opts.GraceWindow = 30 * time.Second
	}
	s := &server{
		log:      log,
		opts:     opts,
		verifier: deps.Verifier,
		codec:    deps.Codec,
		auth:     deps.Auth,
		pages:    deps.Pages,
		static:   deps.Static,
		metrics:  deps.Metrics,
		now:      deps.Now,
	}
	s.renewer = newRenewer(deps.Auth, opts.GraceWindow, deps.Now)
	return s
}
