package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/jwtauth"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/decode"
	"github.com/jwt-micro-system/auth-api/internal/metrics"
	"github.com/jwt-micro-system/auth-api/internal/observe"
)

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
			observe.Logger(c).Info("access token refused", "reason", string(reason))
			fail(c, invalidToken(tokenMessage(reason)))
			return
		}
		observe.Of(c).SetClaims(claims, token)
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

// requireAdmin lets only admins through: by the token's role and by the
// stored user's (account.Service.Admin).
func requireAdmin(accounts *account.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		var user, role string
		if claims := observe.Claims(c); claims != nil {
			user, role = claims.Subject, claims.Role
		}
		if err := accounts.Admin(c.Request.Context(), user, role); err != nil {
			fail(c, callersAccount(err))
			return
		}
		c.Next()
	}
}

// timeout bounds a store call made on behalf of a request.
func timeout(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), 10*time.Second)
}
