// Package httpserve builds the http.Server both services run, with the same
// timeouts and header limit, and runs it until its context ends, then shuts
// it down gracefully: SIGTERM (what docker stop sends) lets in-flight
// requests finish instead of cutting them off.
package httpserve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ShutdownTimeout is how long in-flight requests get to finish once the
// context ends.
const ShutdownTimeout = 10 * time.Second

// The limits of a server built by New when its Config leaves them zero.
// ReadHeaderTimeout is what cuts off slow-header (Slowloris) clients.
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 15 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultMaxHeaderBytes    = 32 << 10
)

// Config sets the limits of a server; a zero field takes its default.
type Config struct {
	ReadHeaderTimeout time.Duration // DefaultReadHeaderTimeout when zero
	ReadTimeout       time.Duration // DefaultReadTimeout when zero
	WriteTimeout      time.Duration // DefaultWriteTimeout when zero
	IdleTimeout       time.Duration // DefaultIdleTimeout when zero
	MaxHeaderBytes    int           // DefaultMaxHeaderBytes when zero; larger headers get 431
}

// New returns a server for h with the limits of cfg, whose own errors
// (such as TLS handshake or header parse failures) go to log at warn level.
func New(log *slog.Logger, h http.Handler, cfg Config) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cmp.Or(cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       cmp.Or(cfg.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      cmp.Or(cfg.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       cmp.Or(cfg.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    cmp.Or(cfg.MaxHeaderBytes, DefaultMaxHeaderBytes),
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// MaxShutdownDelay bounds SHUTDOWN_DELAY.
const MaxShutdownDelay = 30 * time.Second

// Run serves srv on ln until ctx is done, then shuts srv down, giving
// in-flight requests up to ShutdownTimeout. It returns the error that
// stopped serving early, the shutdown error, or nil after a clean stop.
func Run(ctx context.Context, log *slog.Logger, srv *http.Server, ln net.Listener) error {
	return RunDraining(ctx, log, srv, ln, 0)
}

// RunDraining is Run that goes on accepting requests for delay after ctx is
// done before it shuts down (SHUTDOWN_DELAY): behind a load balancer that
// learns of a stopping replica a moment after the replica learns it (a
// rolling update on Swarm or Kubernetes), requests that still arrive are
// served instead of refused.
func RunDraining(ctx context.Context, log *slog.Logger, srv *http.Server, ln net.Listener, delay time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	if delay > 0 {
		log.Info("draining", "delay_ms", delay.Milliseconds())
		select {
		case err := <-errc:
			return fmt.Errorf("serve: %w", err)
		case <-time.After(delay):
		}
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
