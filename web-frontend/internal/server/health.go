package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/jwt-micro-system/web-frontend/internal/authclient"
)

// readyTimeout bounds the auth-api check behind /readyz.
const readyTimeout = 2 * time.Second

func handleHealthz() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
}

// handleReadyz is 200 only while auth-api is reachable and signs with a key
// this service accepts.
func handleReadyz(log *slog.Logger, auth AuthAPI, opts Options) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		err := authclient.CheckKeys(ctx, auth, authclient.Expect{Keys: opts.Keys, Issuer: opts.Issuer, Audience: opts.Audience})
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		case errors.Is(err, authclient.ErrKeyMismatch):
			log.ErrorContext(r.Context(), "not ready: "+err.Error(), "problem", "key_mismatch")
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not_ready", "error": "key_mismatch", "message": err.Error()})
		default:
			log.WarnContext(r.Context(), "not ready: auth-api unreachable", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not_ready", "error": "auth_api_unreachable",
				"message": "auth-api is not reachable at AUTH_API_URL"})
		}
	}
}
