package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/decode"
	"github.com/jwt-micro-system/auth-api/internal/metrics"
	"github.com/jwt-micro-system/auth-api/internal/observe"
	"github.com/jwt-micro-system/auth-api/internal/signin"
)

// tokenResponse answers /login and /refresh. Token repeats AccessToken for
// clients written against the seed, which read "token".
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	// RefreshExpiresIn is the seconds until the session ends (its refresh
	// family's absolute expiry, which rotation never extends): when the
	// user will have to sign in again.
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
	Token            string `json:"token"`
}

// refreshRequest is the body of /refresh and /logout.
type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func handleLogin(flows *signin.Flows, m *metrics.Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		ct := c.ContentType()
		if decode.IsForm(ct) {
			ct = c.GetHeader("Content-Type") // with its charset, which decodeForm checks
		}
		username, password, aerr := decode.LoginBody(ct, c.Request.Body)
		if aerr != nil {
			m.Login("bad_request")
			fail(c, aerr)
			return
		}
		resp, err := passwordLogin(c, flows, username, password)
		if err != nil {
			fail(c, err)
			return
		}
		writeTokens(c, resp)
	}
}

// passwordLogin is signin's Login for the request c, of /login and of
// /token's password grant. Errors are for fail or failToken to map.
func passwordLogin(c *gin.Context, flows *signin.Flows, username, password string) (tokenResponse, error) {
	ctx, cancel := timeout(c)
	defer cancel()
	t, err := flows.Login(ctx, observe.Logger(c), username, password, c.ClientIP())
	return pair(t), err
}

// refreshSession is signin's Refresh for the request c, of /refresh and of
// /token's refresh_token grant.
func refreshSession(c *gin.Context, flows *signin.Flows, presented string) (tokenResponse, error) {
	ctx, cancel := timeout(c)
	defer cancel()
	t, err := flows.Refresh(ctx, observe.Logger(c), presented, c.ClientIP())
	return pair(t), err
}

func pair(t signin.Tokens) tokenResponse {
	return tokenResponse{
		AccessToken:      t.Access,
		TokenType:        "Bearer",
		ExpiresIn:        int64(t.AccessTTL / time.Second),
		RefreshToken:     t.Refresh,
		RefreshExpiresIn: int64(t.SessionLeft / time.Second),
		Token:            t.Access,
	}
}

func writeTokens(c *gin.Context, resp tokenResponse) {
	// RFC 6749 §5.1: token responses must not be cached.
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.JSON(http.StatusOK, resp)
}

// decodeRefreshToken reads a {"refresh_token"} body.
func decodeRefreshToken(c *gin.Context) (string, error) {
	var req refreshRequest
	if err := decode.JSON(c.ContentType(), c.Request.Body, &req); err != nil {
		return "", err // a *decode.Error, never a nil one in an interface
	}
	if req.RefreshToken == "" {
		return "", badRequest("invalid_request", "refresh_token is required")
	}
	return req.RefreshToken, nil
}

// handleRefresh rotates a refresh token. Refreshes are limited per client
// address and per family (see signin.Flows.Refresh): 429 with Retry-After.
func handleRefresh(flows *signin.Flows, m *metrics.Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		presented, aerr := decodeRefreshToken(c)
		if aerr != nil {
			m.Refresh("bad_request")
			fail(c, aerr)
			return
		}
		resp, err := refreshSession(c, flows, presented)
		if err != nil {
			fail(c, err)
			return
		}
		writeTokens(c, resp)
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
			observe.Logger(c).Info("logout")
		}
		c.Status(http.StatusNoContent)
	}
}
