// Package httpserve runs an HTTP server until its context ends, then shuts
// it down gracefully: SIGTERM (what docker stop sends) lets in-flight
// requests finish instead of cutting them off.
package httpserve

import (
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

// Run serves srv on ln until ctx is done, then shuts srv down, giving
// in-flight requests up to ShutdownTimeout. It returns the error that
// stopped serving early, the shutdown error, or nil after a clean stop.
func Run(ctx context.Context, log *slog.Logger, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
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
