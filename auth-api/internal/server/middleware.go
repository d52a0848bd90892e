package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/jwtauth"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/store"
)

// Context keys, unexported so no other package can collide with them.
type (
	loggerKey struct{}
	claimsKey struct{}
)

// requestID gives every request an id: the caller's X-Request-ID when it is
// short and plain, a random one otherwise. It is echoed in the response and
// attached to every log line of the request.
func (s *Server) requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if !plainID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Header("X-Request-ID", id)
		c.Set(loggerKey{}, s.log.With("request_id", id))
		c.Next()
	}
}

func plainID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// requestLogger returns the request's logger (with its request id).
func requestLogger(c *gin.Context) *slog.Logger {
	if v, ok := c.Get(loggerKey{}); ok {
		if l, ok := v.(*slog.Logger); ok {
			return l
		}
	}
	return slog.Default()
}

// observe logs one line per request and counts it in the metrics. The path
// is logged, never the query or any header, so tokens stay out of the logs.
func (s *Server) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		elapsed := time.Since(start)
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		s.metrics.observeRequest(c.Request.Method, route, status, elapsed)
		// Successful reads (health probes, /me, scrapes) are routine and
		// frequent: debug. Changes, refusals and failures: info or error.
		// Handlers log the events that matter (logins, refreshes, admin
		// actions) themselves.
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case status < 400 && (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead):
			level = slog.LevelDebug
		}
		ctx := c.Request.Context()
		log := requestLogger(c)
		if !log.Enabled(ctx, level) {
			return
		}
		log.LogAttrs(ctx, level, "request",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int("bytes", c.Writer.Size()),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("client_ip", c.ClientIP()),
		)
	}
}

// recoverPanic turns a panic in a handler into a logged 500 with a JSON
// body; the stack trace goes to the log, never to the client.
func (s *Server) recoverPanic() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				requestLogger(c).Error("panic in handler", "panic", v)
				abort(c, http.StatusInternalServerError, "internal_error", "something went wrong on our side; try again later")
			}
		}()
		c.Next()
	}
}

// limitBody refuses bodies over max bytes: at once when Content-Length says
// so, and while reading otherwise.
func limitBody(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > max {
			ae := tooLargeError()
			// The rest of an oversized body is not worth reading.
			c.Header("Connection", "close")
			abort(c, ae.status, ae.code, ae.message)
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		c.Next()
	}
}

// tokenMessage explains a rejection to the client; most reasons get the
// generic "invalid" text, so clients learn no more than they need.
func tokenMessage(r jwtauth.Reason) string {
	switch r {
	case jwtauth.ReasonMissingToken:
		return "send an access token in the header Authorization: Bearer <token>"
	case jwtauth.ReasonExpired:
		return "the access token has expired; refresh it or log in again"
	}
	return "the access token is invalid; log in again"
}

// requireToken lets a request through only with a valid bearer token, and
// puts its claims in the context. Refusals are 401 with WWW-Authenticate.
func (s *Server) requireToken() gin.HandlerFunc {
	return func(c *gin.Context) {
		token, ok := bearerToken(c.GetHeader("Authorization"))
		var claims *jwtauth.Claims
		var err error
		if !ok {
			err = &jwtauth.Error{Reason: jwtauth.ReasonMissingToken}
		} else {
			claims, err = s.verifier.Verify(token)
		}
		if err != nil {
			reason := jwtauth.ReasonOf(err)
			s.metrics.tokenRejected(reason)
			requestLogger(c).Info("access token refused", "reason", string(reason))
			unauthorized(c, tokenMessage(reason))
			return
		}
		c.Set(claimsKey{}, claims)
		c.Next()
	}
}

func unauthorized(c *gin.Context, msg string) {
	c.Header("WWW-Authenticate", `Bearer error="invalid_token"`)
	abort(c, http.StatusUnauthorized, "invalid_token", msg)
}

// bearerToken extracts the token from an Authorization header; the scheme
// is case-insensitive (RFC 9110).
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// claimsOf returns the claims requireToken stored.
func claimsOf(c *gin.Context) *jwtauth.Claims {
	v, _ := c.Get(claimsKey{})
	cl, _ := v.(*jwtauth.Claims)
	return cl
}

// requireAdmin lets only admins through. The token's role must be admin,
// and so must the stored user's: a deleted or demoted admin loses access at
// once, not when the token expires.
func (s *Server) requireAdmin() gin.HandlerFunc {
	return func(c *gin.Context) {
		claims := claimsOf(c)
		if claims == nil || claims.Role != account.RoleAdmin {
			abort(c, http.StatusForbidden, "forbidden", "this needs the admin role")
			return
		}
		u, err := s.store.User(c.Request.Context(), claims.Subject)
		switch {
		case errors.Is(err, store.ErrNotFound):
			unauthorized(c, "the account of this token no longer exists")
			return
		case err != nil:
			fail(c, err)
			return
		case u.Role != account.RoleAdmin:
			abort(c, http.StatusForbidden, "forbidden", "this needs the admin role")
			return
		}
		c.Next()
	}
}

// retryAfter sets Retry-After in whole seconds, at least 1.
func retryAfter(c *gin.Context, d time.Duration) int {
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	c.Header("Retry-After", strconv.Itoa(secs))
	return secs
}

// timeout bounds a store call made on behalf of a request.
func timeout(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), 10*time.Second)
}
