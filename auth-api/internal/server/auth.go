package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/jwtauth"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/bruteforce"
	"github.com/jwt-micro-system/auth-api/internal/decode"
	"github.com/jwt-micro-system/auth-api/internal/metrics"
	"github.com/jwt-micro-system/auth-api/internal/observe"
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

func handleLogin(accounts *account.Service, iss *jwtauth.Issuer, lim *bruteforce.Limiter, m *metrics.Metrics, now func() time.Time) gin.HandlerFunc {
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
		resp, err := passwordLogin(c, accounts, iss, lim, m, now, username, password)
		if err != nil {
			fail(c, err)
			return
		}
		writeTokens(c, resp)
	}
}

// passwordLogin is the one login code path, of /login and of /token's
// password grant: the brute-force limits, the password check and a new
// session, whose family its access token carries as sid. Errors are for fail or failToken to map.
func passwordLogin(c *gin.Context, accounts *account.Service, iss *jwtauth.Issuer, lim *bruteforce.Limiter, m *metrics.Metrics, now func() time.Time, username, password string) (tokenResponse, error) {
	addr := c.ClientIP()
	ctx, cancel := timeout(c)
	defer cancel()
	wait, ok, err := lim.Begin(ctx, username, addr, now())
	if err != nil {
		return tokenResponse{}, err
	}
	if !ok {
		m.Login("rate_limited")
		observe.Logger(c).Warn("login rate limited", "user", username, "client_ip", addr)
		return tokenResponse{}, tooManyAttempts(wait)
	}
	u, err := accounts.Authenticate(ctx, username, password)
	if errors.Is(err, account.ErrBadCredentials) {
		m.Login("invalid_credentials")
		observe.Logger(c).Info("login failed", "user", username, "client_ip", addr)
	}
	if err != nil {
		return tokenResponse{}, err
	}
	if err := lim.Succeeded(ctx, username, addr, now()); err != nil {
		return tokenResponse{}, err
	}
	refresh, session, err := accounts.StartSession(ctx, u)
	if err != nil {
		return tokenResponse{}, err
	}
	access, _, err := iss.IssueSession(u.Username, u.Role, session.ID)
	if err != nil {
		return tokenResponse{}, err
	}
	m.Login("success")
	observe.Logger(c).Info("login", "user", u.Username, "role", u.Role)
	return pair(iss, access, refresh, session, now()), nil
}

func pair(iss *jwtauth.Issuer, access, refresh string, session account.Session, now time.Time) tokenResponse {
	return tokenResponse{
		AccessToken:      access,
		TokenType:        "Bearer",
		ExpiresIn:        int64(iss.TTL() / time.Second),
		RefreshToken:     refresh,
		RefreshExpiresIn: max(int64(session.ExpiresAt.Sub(now)/time.Second), 0),
		Token:            access,
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
// address (lim) and per family (the account service): 429 with
// Retry-After.
func handleRefresh(accounts *account.Service, iss *jwtauth.Issuer, lim *bruteforce.Limiter, m *metrics.Metrics, now func() time.Time) gin.HandlerFunc {
	return func(c *gin.Context) {
		presented, aerr := decodeRefreshToken(c)
		if aerr != nil {
			m.Refresh("bad_request")
			fail(c, aerr)
			return
		}
		resp, err := refreshSession(c, accounts, iss, lim, m, now, presented)
		if err != nil {
			fail(c, err)
			return
		}
		writeTokens(c, resp)
	}
}

// refreshSession is the one refresh code path, of /refresh and of /token's
// refresh_token grant: the account service rotates the token, and a new
// access token of the same session (sid: the family) is signed for the
// user as the store knows it now.
func refreshSession(c *gin.Context, accounts *account.Service, iss *jwtauth.Issuer, lim *bruteforce.Limiter, m *metrics.Metrics, now func() time.Time, presented string) (tokenResponse, error) {
	ctx, cancel := timeout(c)
	defer cancel()
	addr := c.ClientIP()
	wait, ok, err := lim.BeginRefresh(ctx, addr, now())
	if err != nil {
		return tokenResponse{}, err
	}
	if !ok {
		m.Refresh("rate_limited")
		observe.Logger(c).Warn("refresh rate limited", "client_ip", addr)
		return tokenResponse{}, tooManyRefreshes(wait)
	}
	u, next, session, err := accounts.Refresh(ctx, presented)
	var limited *account.TooManyRefreshesError
	if errors.As(err, &limited) {
		m.Refresh("rate_limited")
		observe.Logger(c).Warn("refresh rate limited: family", "client_ip", addr)
		return tokenResponse{}, tooManyRefreshes(limited.Wait)
	}
	var refused *account.RefreshError
	if errors.As(err, &refused) {
		m.Refresh(refused.Outcome)
		l := observe.Logger(c).With("outcome", refused.Outcome)
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
		return tokenResponse{}, err
	}
	access, _, err := iss.IssueSession(u.Username, u.Role, session.ID)
	if err != nil {
		return tokenResponse{}, err
	}
	m.Refresh("success")
	observe.Logger(c).Info("refresh", "user", u.Username)
	return pair(iss, access, next, session, now()), nil
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
