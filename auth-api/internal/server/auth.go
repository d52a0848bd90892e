package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/jwtauth"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/bruteforce"
)

// tokenResponse answers /login and /refresh. Token repeats AccessToken for
// clients written against the seed, which read "token".
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Token        string `json:"token"`
}

// refreshRequest is the body of /refresh and /logout.
type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func handleLogin(accounts *account.Service, iss *jwtauth.Issuer, lim *bruteforce.Limiter, m *metrics, now func() time.Time) gin.HandlerFunc {
	return func(c *gin.Context) {
		username, password, aerr := decodeLogin(c.ContentType(), c.Request.Body)
		if aerr != nil {
			m.login("bad_request")
			fail(c, aerr)
			return
		}
		addr := c.ClientIP()
		if wait, ok := lim.Begin(username, addr, now()); !ok {
			m.login("rate_limited")
			requestLogger(c).Warn("login rate limited", "user", username, "client_ip", addr)
			fail(c, tooManyAttempts(wait))
			return
		}
		ctx, cancel := timeout(c)
		defer cancel()
		u, err := accounts.Authenticate(ctx, username, password)
		if errors.Is(err, account.ErrBadCredentials) {
			m.login("invalid_credentials")
			requestLogger(c).Info("login failed", "user", username, "client_ip", addr)
		}
		if err != nil {
			fail(c, err)
			return
		}
		lim.Succeeded(username, addr)
		refresh, sid, err := accounts.StartSession(ctx, u)
		if err != nil {
			fail(c, err)
			return
		}
		access, _, err := iss.IssueSession(u.Username, u.Role, sid)
		if err != nil {
			fail(c, err)
			return
		}
		m.login("success")
		requestLogger(c).Info("login", "user", u.Username, "role", u.Role)
		writeTokens(c, pair(iss, access, refresh))
	}
}

func pair(iss *jwtauth.Issuer, access, refresh string) tokenResponse {
	return tokenResponse{
		AccessToken:  access,
		TokenType:    "Bearer",
		ExpiresIn:    int64(iss.TTL() / time.Second),
		RefreshToken: refresh,
		Token:        access,
	}
}

func writeTokens(c *gin.Context, resp tokenResponse) {
	// RFC 6749 §5.1: token responses must not be cached.
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.JSON(http.StatusOK, resp)
}

// decodeRefreshToken reads a {"refresh_token"} body.
func decodeRefreshToken(c *gin.Context) (string, *apiError) {
	var req refreshRequest
	if err := decodeJSON(c.ContentType(), c.Request.Body, &req); err != nil {
		return "", err
	}
	if req.RefreshToken == "" {
		return "", badRequest("invalid_request", "refresh_token is required")
	}
	return req.RefreshToken, nil
}

func handleRefresh(accounts *account.Service, iss *jwtauth.Issuer, m *metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		presented, aerr := decodeRefreshToken(c)
		if aerr != nil {
			m.refresh("bad_request")
			fail(c, aerr)
			return
		}
		ctx, cancel := timeout(c)
		defer cancel()
		u, next, sid, err := accounts.Refresh(ctx, presented)
		var refused *account.RefreshError
		if errors.As(err, &refused) {
			m.refresh(refused.Outcome)
			l := requestLogger(c).With("outcome", refused.Outcome)
			if refused.Username != "" {
				l = l.With("user", refused.Username, "family", refused.Family)
			}
			if refused.Outcome == account.OutcomeReused {
				l.Warn("refresh token reused; its family is revoked")
			} else {
				l.Info("refresh refused")
			}
		}
		if err != nil {
			fail(c, err)
			return
		}
		access, _, err := iss.IssueSession(u.Username, u.Role, sid)
		if err != nil {
			fail(c, err)
			return
		}
		m.refresh("success")
		requestLogger(c).Info("refresh", "user", u.Username)
		writeTokens(c, pair(iss, access, next))
	}
}

// handleLogout revokes the refresh token's family and the access tokens of
// that session. An unknown token is not an error: the client is logged out
// either way.
func handleLogout(accounts *account.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		presented, aerr := decodeRefreshToken(c)
		if aerr != nil {
			fail(c, aerr)
			return
		}
		ctx, cancel := timeout(c)
		defer cancel()
		revoked, err := accounts.EndSession(ctx, presented)
		if err != nil {
			fail(c, err)
			return
		}
		if revoked {
			requestLogger(c).Info("logout")
		}
		c.Status(http.StatusNoContent)
	}
}
