package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/jwtauth"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/bruteforce"
)

// OAuth 2.0 grant types /token serves (RFC 6749 §4.3 and §6).
const (
	grantPassword = "password"
	grantRefresh  = "refresh_token"
)

// oauthTokens is the RFC 6749 §5.1 answer of /token. No scope is returned:
// tokens carry the account's role, not scopes, and a requested scope is
// ignored.
type oauthTokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	// RefreshExpiresIn is /login's: the seconds until the session ends
	// (an extension parameter, RFC 6749 §5.1).
	RefreshExpiresIn int64 `json:"refresh_expires_in"`
}

// oauthErrorBody is the RFC 6749 §5.2 error answer of /token.
type oauthErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// oauthError is a /token refusal: its status, RFC 6749 code, a description
// for people and any header that belongs to it.
type oauthError struct {
	status      int
	code        string
	description string
	header      map[string]string
}

func (e *oauthError) Error() string { return e.code + ": " + e.description }

func invalidRequest(format string, args ...any) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_request", description: fmt.Sprintf(format, args...)}
}

// invalidClient refuses client authentication: auth-api knows only public
// clients (RFC 6749 §2.1), so there is no secret a client could prove.
func invalidClient(msg string) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: msg,
		header: map[string]string{"WWW-Authenticate": `Basic realm="auth-api"`}}
}

// tokenRequest is a decoded /token request.
type tokenRequest struct {
	grantType          string
	username, password string
	refreshToken       string
}

// handleToken is the OAuth 2.0 token endpoint (RFC 6749 §3.2) for the
// resource owner password grant and the refresh grant. It shares its code
// paths, brute-force limits and metrics with /login and /refresh; only the
// encoding of requests and answers is OAuth's.
func handleToken(accounts *account.Service, iss *jwtauth.Issuer, lim *bruteforce.Limiter, m *metrics, now func() time.Time) gin.HandlerFunc {
	return func(c *gin.Context) {
		// RFC 6749 §5.1: never cached; errors neither, they may name a lock.
		c.Header("Cache-Control", "no-store")
		c.Header("Pragma", "no-cache")
		req, err := decodeTokenRequest(c.Request)
		if err != nil {
			switch req.grantType {
			case grantPassword:
				m.login("bad_request")
			case grantRefresh:
				m.refresh("bad_request")
			}
			failToken(c, err)
			return
		}
		var resp tokenResponse
		if req.grantType == grantPassword {
			resp, err = passwordLogin(c, accounts, iss, lim, m, now, req.username, req.password)
		} else {
			resp, err = refreshSession(c, accounts, iss, lim, m, now, req.refreshToken)
		}
		if err != nil {
			failToken(c, err)
			return
		}
		c.JSON(http.StatusOK, oauthTokens{AccessToken: resp.AccessToken, TokenType: resp.TokenType,
			ExpiresIn: resp.ExpiresIn, RefreshToken: resp.RefreshToken, RefreshExpiresIn: resp.RefreshExpiresIn})
	}
}

// decodeTokenRequest reads and checks a /token request. The grant type is
// returned as far as it was read, for the metrics of a refusal.
func decodeTokenRequest(r *http.Request) (tokenRequest, error) {
	var req tokenRequest
	// Parameters in the URL end up in logs and histories; RFC 6749 §3.2
	// puts them in the body.
	if r.URL.RawQuery != "" {
		return req, invalidRequest("send the parameters in the request body, not in the URL")
	}
	form, aerr := decodeForm(r.Header.Get("Content-Type"), r.Body)
	if aerr != nil {
		return req, aerr
	}
	req.grantType = form["grant_type"]
	if oe := checkClient(r, form); oe != nil {
		return req, oe
	}
	if scope, ok := form["scope"]; ok && !validScope(scope) {
		return req, &oauthError{status: http.StatusBadRequest, code: "invalid_scope",
			description: "scope must be scope tokens separated by single spaces (RFC 6749 §3.3); auth-api ignores scopes, so it may be left out"}
	}
	switch req.grantType {
	case "":
		return req, invalidRequest("grant_type is required: password or refresh_token")
	case grantPassword:
		// The same rules as /login's body; user_id is not an OAuth
		// parameter and, like every unknown one, is ignored.
		user, pass, aerr := loginRequest{Username: form["username"], Password: form["password"]}.credentials()
		if aerr != nil {
			return req, aerr
		}
		req.username, req.password = user, pass
	case grantRefresh:
		req.refreshToken = form["refresh_token"]
		if req.refreshToken == "" {
			return req, invalidRequest("refresh_token is required for grant_type=refresh_token")
		}
	default:
		return req, &oauthError{status: http.StatusBadRequest, code: "unsupported_grant_type",
			description: fmt.Sprintf("grant_type %q is not supported; use password or refresh_token", req.grantType)}
	}
	return req, nil
}

// checkClient accepts what a public client may send to identify itself
// (RFC 6749 §2.3, §3.2.1): a client_id in the body or as the user of HTTP
// Basic authentication, both ignored, since every client is public. A
// client secret is refused rather than ignored: there is none to check it
// against, and a client that believes it authenticated would be misled.
func checkClient(r *http.Request, form map[string]string) *oauthError {
	if _, ok := form["client_secret"]; ok {
		return invalidClient("auth-api has no client secrets; every client is public: send no client_secret")
	}
	if _, ok := r.Header["Authorization"]; !ok {
		return nil
	}
	_, secret, ok := r.BasicAuth()
	if !ok {
		return invalidClient("the token endpoint accepts only HTTP Basic client authentication, with an empty secret")
	}
	if secret != "" {
		return invalidClient("auth-api has no client secrets; every client is public: leave the Basic password empty")
	}
	return nil
}

// validScope reports whether s is an RFC 6749 §3.3 scope: tokens of
// %x21 / %x23-5B / %x5D-7E separated by single spaces.
func validScope(s string) bool {
	for tok := range strings.SplitSeq(s, " ") {
		if tok == "" {
			return false
		}
		for i := 0; i < len(tok); i++ {
			if c := tok[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				return false
			}
		}
	}
	return true
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
	if oe.status >= http.StatusInternalServerError {
		_ = c.Error(err)
		requestLogger(c).Error("request failed", "err", err)
	}
	for k, v := range oe.header {
		c.Header(k, v)
	}
	c.AbortWithStatusJSON(oe.status, oauthErrorBody{Error: oe.code, ErrorDescription: oe.description})
}

// oauthErrorOf translates the server's error table (apiErrorOf) into
// RFC 6749 §5.2 codes, so that an error added there is answered here too.
// Refused credentials and refresh tokens are invalid_grant (400). A
// brute-force lock keeps its 429 and Retry-After, so that HTTP clients
// back off, with the code invalid_grant, so that OAuth clients read it as
// a refused grant (the description says it is a lock). Body faults keep
// their 413 or 415.
func oauthErrorOf(err error) *oauthError {
	var oe *oauthError
	if errors.As(err, &oe) {
		return oe
	}
	ae := apiErrorOf(err)
	switch {
	case ae == nil:
		return &oauthError{status: http.StatusInternalServerError, code: "server_error",
			description: "something went wrong on our side; try again later"}
	case ae.status == http.StatusTooManyRequests:
		return &oauthError{status: ae.status, code: "invalid_grant", description: ae.message, header: ae.header}
	case ae.status == http.StatusUnauthorized, ae.status == http.StatusForbidden,
		ae.status == http.StatusNotFound, ae.status == http.StatusConflict:
		return &oauthError{status: http.StatusBadRequest, code: "invalid_grant", description: ae.message}
	case ae.status == http.StatusServiceUnavailable:
		return &oauthError{status: ae.status, code: "temporarily_unavailable", description: ae.message, header: ae.header}
	case ae.status >= http.StatusInternalServerError:
		return &oauthError{status: ae.status, code: "server_error", description: ae.message, header: ae.header}
	}
	return &oauthError{status: ae.status, code: "invalid_request", description: ae.message, header: ae.header}
}
