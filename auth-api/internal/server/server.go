// Package server is the auth-api HTTP service: routes, handlers and their
// middleware, on Gin. What accounts, passwords and refresh tokens are and
// how they behave is the account package's, and the order of the sign-in
// flows (limits, password check, access token) signin's; this package
// decodes requests, calls them and maps errors to responses.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/clientaddr"
	"github.com/jwt-micro-system/shared/httpserve"
	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/revocation"
	"github.com/jwt-micro-system/shared/secretkey"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/bruteforce"
	"github.com/jwt-micro-system/auth-api/internal/metrics"
	"github.com/jwt-micro-system/auth-api/internal/signin"
)

// MaxBodyBytes bounds every request body. The largest valid request (a user
// with a 64-character name and a 72-byte password) is far below it.
const MaxBodyBytes = 16 << 10

// Config is what the server needs to know besides its dependencies.
type Config struct {
	Issuer         string        // iss claim; jwtauth.DefaultIssuer when empty
	Audience       string        // aud claim; none when empty
	AccessTokenTTL time.Duration // access token lifetime
	// TrustedProxies are the addresses/CIDRs whose X-Forwarded-For is
	// believed; nil trusts nobody.
	TrustedProxies []string
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MetricsSeparate leaves /metrics off the main handler: it is served
	// by MetricsHandler on its own listener (METRICS_ADDRESS).
	MetricsSeparate bool
	// AllowedHosts are the Host names the service answers for (port
	// ignored); nil answers any.
	AllowedHosts []string
	// Limits are the brute-force and per-address refresh limits; zero
	// fields take the defaults.
	Limits bruteforce.Limits
	// Revocations, when set, is the set of revoked sessions whose access
	// tokens every bearer endpoint refuses (see account.Config and
	// revocation.Set.Follow for how it is filled).
	Revocations *revocation.Set
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Instance, when set, is sent as X-Instance on every response, to
	// show which replica answered.
	Instance string
}

// Pinger is what readiness needs from storage.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Storage is what the server needs from the store itself: readiness and
// the shared attempt counters of the limiter.
type Storage interface {
	Pinger
	bruteforce.Counters
}

// Server is the auth-api HTTP handler.
type Server struct {
	limiter *bruteforce.Limiter
	engine  *gin.Engine
	handler http.Handler
	metrics http.Handler
}

// NewServer returns the auth-api handler with every route of routes.go.
// accounts is the domain; st is pinged by /readyz and keeps the limiter's
// counters.
func NewServer(log *slog.Logger, cfg Config, accounts *account.Service, st Storage, keys *secretkey.Keys) (*Server, error) {
	if log == nil || accounts == nil || st == nil || keys == nil {
		return nil, errors.New("server: NewServer needs a logger, the account service, a pinger and keys")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = jwtauth.DefaultIssuer
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	iss, err := jwtauth.NewIssuer(keys, jwtauth.IssuerConfig{Issuer: cfg.Issuer, Audience: cfg.Audience, TTL: cfg.AccessTokenTTL, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	vcfg := jwtauth.VerifierConfig{Issuer: cfg.Issuer, Audience: cfg.Audience, Leeway: 5 * time.Second, Now: cfg.Now}
	if cfg.Revocations != nil {
		vcfg.Revocations = cfg.Revocations
	}
	ver, err := jwtauth.NewVerifier(keys, vcfg)
	if err != nil {
		return nil, err
	}
	feedKeys, err := revocation.NewFeedKeys(keys)
	if err != nil {
		return nil, err
	}
	addrs, err := clientaddr.NewVerifier(keys)
	if err != nil {
		return nil, err
	}
	// Gin's mode is process-wide (and stored atomically); release mode only
	// silences its debug printing.
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	engine.HandleMethodNotAllowed = true
	if err := engine.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	// c.ClientIP() answers with this header when it is set; only
	// signedClientAddress sets it, after removing whatever the client sent.
	engine.TrustedPlatform = verifiedClientHeader
	lim, err := bruteforce.New(st, cfg.Limits)
	if err != nil {
		return nil, err
	}
	m := metrics.New()
	addRoutes(engine, routeDeps{
		log: log, cfg: cfg, accounts: accounts, ready: st, keys: keys,
		verifier: ver, signin: signin.New(accounts, iss, lim, m, cfg.Now), metrics: m,
		feedKeys: feedKeys, clientAddrs: addrs,
	})
	return &Server{limiter: lim, engine: engine, handler: httpserve.CheckHost(cfg.AllowedHosts, engine),
		metrics: m.Handler(cfg.MetricsToken)}, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// MetricsHandler serves /metrics (behind MetricsToken when set), for the
// listener of METRICS_ADDRESS.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics)
	return mux
}

// Routes lists the registered routes as "METHOD /path" with OpenAPI-style
// {parameters}, for the test that keeps openapi.yaml in step.
func (s *Server) Routes() []gin.RouteInfo { return s.engine.Routes() }

// ForgetStaleAttempts deletes the attempt counters whose window ended by
// now; account.Service.Cleanup calls it on its ticks.
func (s *Server) ForgetStaleAttempts(ctx context.Context, now time.Time) error {
	return s.limiter.Sweep(ctx, now)
}
