// Package server is the auth-api HTTP service: routes, handlers and their
// middleware, on Gin.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/secretkey"
	"golang.org/x/crypto/bcrypt"

	"github.com/jwt-micro-system/auth-api/internal/store"
)

// MaxBodyBytes bounds every request body. The largest valid request (a user
// with a 64-character name and a 72-byte password) is far below it.
const MaxBodyBytes = 16 << 10

// Config is what the server needs to know besides its dependencies.
type Config struct {
	Issuer          string        // iss claim; jwtauth.DefaultIssuer when empty
	Audience        string        // aud claim; none when empty
	AccessTokenTTL  time.Duration // access token lifetime
	RefreshTokenTTL time.Duration // refresh token lifetime
	// BcryptCost hashes new passwords. The environment configuration
	// enforces at least 10; through this API tests may use bcrypt.MinCost.
	BcryptCost int
	// TrustedProxies are the addresses/CIDRs whose X-Forwarded-For is
	// believed; nil trusts nobody.
	TrustedProxies []string
	// Limits are the brute-force limits; zero fields take the defaults.
	Limits LoginLimits
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Server is the auth-api HTTP handler and what its handlers share.
type Server struct {
	log       *slog.Logger
	cfg       Config
	store     store.Store
	keys      *secretkey.Keys
	issuer    *jwtauth.Issuer
	verifier  *jwtauth.Verifier
	limiter   *limiter
	metrics   *metrics
	dummyHash []byte
	engine    *gin.Engine
}

// NewServer returns the auth-api handler with every route of routes.go.
func NewServer(log *slog.Logger, cfg Config, st store.Store, keys *secretkey.Keys) (*Server, error) {
	if log == nil || st == nil || keys == nil {
		return nil, errors.New("server: NewServer needs a logger, a store and keys")
	}
	if cfg.BcryptCost < bcrypt.MinCost || cfg.BcryptCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("server: bcrypt cost %d is out of range", cfg.BcryptCost)
	}
	if cfg.RefreshTokenTTL <= 0 {
		return nil, fmt.Errorf("server: refresh token lifetime must be positive, got %s", cfg.RefreshTokenTTL)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = jwtauth.DefaultIssuer
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Limits = cfg.Limits.withDefaults()
	iss, err := jwtauth.NewIssuer(keys, jwtauth.IssuerConfig{Issuer: cfg.Issuer, Audience: cfg.Audience, TTL: cfg.AccessTokenTTL, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	ver, err := jwtauth.NewVerifier(keys, jwtauth.VerifierConfig{Issuer: cfg.Issuer, Audience: cfg.Audience, Leeway: 5 * time.Second, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	// Unknown users are checked against this hash, at the configured cost,
	// so that a login costs the same whether or not the user exists.
	dummy, err := bcrypt.GenerateFromPassword([]byte("dummy password for unknown users"), cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("server: dummy hash: %w", err)
	}
	s := &Server{
		log:       log,
		cfg:       cfg,
		store:     st,
		keys:      keys,
		issuer:    iss,
		verifier:  ver,
		limiter:   newLimiter(cfg.Limits),
		metrics:   newMetrics(),
		dummyHash: dummy,
	}
	// Gin's mode is process-wide (and stored atomically); release mode only
	// silences its debug printing.
	gin.SetMode(gin.ReleaseMode)
	s.engine = gin.New()
	s.engine.HandleMethodNotAllowed = true
	if err := s.engine.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Routes lists the registered routes as "METHOD /path" with OpenAPI-style
// {parameters}, for the test that keeps openapi.yaml in step.
func (s *Server) Routes() []gin.RouteInfo { return s.engine.Routes() }

// Cleanup deletes expired refresh tokens and forgets stale brute-force
// counters, every interval until ctx is done.
func (s *Server) Cleanup(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.cleanupOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) cleanupOnce(ctx context.Context) {
	now := s.cfg.Now()
	n, err := s.store.DeleteExpiredRefreshTokens(ctx, now)
	if err != nil && ctx.Err() == nil {
		s.log.Error("delete expired refresh tokens", "err", err)
	} else if n > 0 {
		s.log.Info("deleted expired refresh tokens", "count", n)
	}
	s.limiter.sweep(now)
}

// EnsureAdmin creates the bootstrap admin when the store has no users at all.
func EnsureAdmin(ctx context.Context, log *slog.Logger, st store.Store, username, password string, cost int, now time.Time) error {
	users, err := st.Users(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	switch {
	case len(users) > 0:
		if username != "" {
			log.Debug("users exist; BOOTSTRAP_ADMIN_* ignored")
		}
		return nil
	case username == "":
		log.Warn("there are no users: set BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD, or run: auth-api users add NAME --role admin")
		return nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	created, err := st.CreateFirstUser(ctx, store.User{Username: username, PasswordHash: hash, Role: "admin", CreatedAt: now})
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	if created {
		log.Info("created bootstrap admin", "username", username)
	}
	return nil
}
