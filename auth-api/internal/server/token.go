package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/jwt-micro-system/auth-api/internal/metrics"
	"github.com/jwt-micro-system/auth-api/internal/oauth"
	"github.com/jwt-micro-system/auth-api/internal/observe"
	"github.com/jwt-micro-system/auth-api/internal/signin"
)

// handleToken is the OAuth 2.0 token endpoint (RFC 6749 §3.2) for the
// resource owner password grant and the refresh grant. It shares its code
// paths, brute-force limits and metrics with /login and /refresh; only the
// encoding of requests and answers is OAuth's.
func handleToken(flows *signin.Flows, m *metrics.Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		// RFC 6749 §5.1: never cached; errors neither, they may name a lock.
		c.Header("Cache-Control", "no-store")
		c.Header("Pragma", "no-cache")
		req, err := oauth.DecodeTokenRequest(c.Request)
		if err != nil {
			switch req.GrantType {
			case oauth.GrantPassword:
				m.Login("bad_request")
			case oauth.GrantRefresh:
				m.Refresh("bad_request")
			}
			failToken(c, err)
			return
		}
		var resp tokenResponse
		if req.GrantType == oauth.GrantPassword {
			resp, err = passwordLogin(c, flows, req.Username, req.Password)
		} else {
			resp, err = refreshSession(c, flows, req.RefreshToken)
		}
		if err != nil {
			failToken(c, err)
			return
		}
		c.JSON(http.StatusOK, oauth.Tokens{AccessToken: resp.AccessToken, TokenType: resp.TokenType,
			ExpiresIn: resp.ExpiresIn, RefreshToken: resp.RefreshToken, RefreshExpiresIn: resp.RefreshExpiresIn})
	}
}

// failToken answers a /token refusal in RFC 6749 §5.2's shape. Anything
// unexpected is a 500 whose details go to the log only, as in fail. A
// body over MaxBodyBytes gets the answer limitBody gives to any body whose
// Content-Length is too large, so that its shape does not depend on how it
// was sent.
func failToken(c *gin.Context, err error) {
	if ae := apiErrorOf(err); ae != nil && ae.status == http.StatusRequestEntityTooLarge {
		fail(c, ae)
		return
	}
	oe := oauthErrorOf(err)
	if oe.Status >= http.StatusInternalServerError {
		_ = c.Error(err)
		observe.Logger(c).Error("request failed", "err", err)
	}
	for k, v := range oe.Header {
		c.Header(k, v)
	}
	c.AbortWithStatusJSON(oe.Status, oauth.ErrorBody{Error: oe.Code, ErrorDescription: oe.Description})
}

// oauthErrorOf is the server's error table (apiErrorOf) in RFC 6749's
// terms (oauth.FromStatus); a refusal of the token request itself is
// already an *oauth.Error.
func oauthErrorOf(err error) *oauth.Error {
	var oe *oauth.Error
	if errors.As(err, &oe) {
		return oe
	}
	if ae := apiErrorOf(err); ae != nil {
		return oauth.FromStatus(ae.status, ae.message, ae.header)
	}
	return oauth.ServerError()
}
