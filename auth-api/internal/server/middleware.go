package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/requestid"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/decode"
	"github.com/jwt-micro-system/auth-api/internal/metrics"
)

// requestState is what the middleware keeps of one request: its id, the
// logger to log it with (made on first use, so a request that logs
// nothing allocates no logger) and the verified claims (requireToken).
//
// It is the request's gin.ResponseWriter, wrapping gin's own: handlers find
// it at c.Writer, and the request pays one allocation for it instead of
// gin's Keys map (c.Set) and a state besides.
type requestState struct {
	gin.ResponseWriter
	id     [1]string // the X-Request-Id header value, as the header map holds it
	base   *slog.Logger
	log    *slog.Logger
	claims *jwtauth.Claims
	token  string // the verified access token
}

// stateOf returns the request's state, attaching an empty one if
// requestID did not run.
func stateOf(c *gin.Context) *requestState {
	if st, ok := c.Writer.(*requestState); ok {
		return st
	}
	st := &requestState{ResponseWriter: c.Writer}
	c.Writer = st
	return st
}

// requestID gives every request an id (the caller's X-Request-Id when
// requestid.Valid, a random one otherwise). It is echoed in the response
// and attached to every log line of the request.
func requestID(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		st := &requestState{ResponseWriter: c.Writer, base: log}
		// The header maps hold canonical keys; indexing them directly
		// skips the canonicalisation Header.Get does.
		if v := c.Request.Header[requestid.Header]; len(v) > 0 && requestid.Valid(v[0]) {
			st.id[0] = v[0]
		} else {
			st.id[0] = requestid.New()
		}
		c.Writer = st
		st.Header()[requestid.Header] = st.id[:]
		c.Next()
	}
}

// requestLogger returns the request's logger (with its request id).
func requestLogger(c *gin.Context) *slog.Logger {
	st := stateOf(c)
	if st.log == nil {
		if st.base == nil {
			return slog.Default()
		}
		st.log = st.base.With(requestid.LogKey, st.id[0])
	}
	return st.log
}

// observe logs one line per request and counts it in the metrics. The path
// is logged, never the query or any header, so tokens stay out of the logs;
// user is the subject of a verified access token, when there was one. When
// the log level leaves a request out, logging it costs a level check and
// allocates nothing.
func observe(m *metrics.Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		elapsed := time.Since(start)
		route := c.FullPath() // the router's own string: no allocation
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		m.Request(c.Request.Method, route, status, elapsed)
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
		st := stateOf(c)
		if st.base != nil && !st.base.Enabled(ctx, level) {
			return
		}
		log := requestLogger(c)
		attrs := []slog.Attr{
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int("bytes", c.Writer.Size()),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("client_ip", c.ClientIP()),
		}
		if cl := claimsOf(c); cl != nil {
			attrs = append(attrs, slog.String("user", cl.Subject))
		}
		log.LogAttrs(ctx, level, "request", attrs...)
	}
}

// recoverPanic turns a panic in a handler into a logged 500 with a JSON
// body; the stack trace goes to the log, never to the client.
func recoverPanic() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				fail(c, fmt.Errorf("panic in handler: %v", v))
			}
		}()
		c.Next()
	}
}

// limitBody refuses bodies over max bytes: at once when Content-Length says
// so, and while reading otherwise. A request without a body (net/http gives
// it http.NoBody) has nothing to limit.
func limitBody(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Body == nil || c.Request.Body == http.NoBody {
			c.Next()
			return
		}
		if c.Request.ContentLength > max {
			ae := apiErrorOf(decode.TooLarge(max))
			// The rest of an oversized body is not worth reading.
			ae.header = map[string]string{"Connection": "close"}
			fail(c, ae)
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
func requireToken(ver *jwtauth.Verifier, m *metrics.Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		token, ok := bearerToken(headerValue(c.Request.Header, "Authorization"))
		var claims *jwtauth.Claims
		var err error
		if !ok {
			err = &jwtauth.Error{Reason: jwtauth.ReasonMissingToken}
		} else {
			claims, err = ver.Verify(token)
		}
		if err != nil {
			reason := jwtauth.ReasonOf(err)
			m.TokenRejected(reason)
			requestLogger(c).Info("access token refused", "reason", string(reason))
			fail(c, invalidToken(tokenMessage(reason)))
			return
		}
		st := stateOf(c)
		st.claims, st.token = claims, token
		c.Next()
	}
}

// headerValue is h.Get(key) for a key already in canonical form.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
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
	return stateOf(c).claims
}

// requireAdmin lets only admins through. The token's role must be admin,
// and so must the stored user's: a deleted or demoted admin loses access at
// once, not when the token expires.
func requireAdmin(accounts *account.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		claims := claimsOf(c)
		if claims == nil || claims.Role != account.RoleAdmin {
			fail(c, notAdmin())
			return
		}
		u, err := accounts.User(c.Request.Context(), claims.Subject)
		switch {
		case err != nil:
			fail(c, callersAccount(err))
			return
		case u.Role != account.RoleAdmin:
			fail(c, notAdmin())
			return
		}
		c.Next()
	}
}

// timeout bounds a store call made on behalf of a request.
func timeout(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), 10*time.Second)
}
