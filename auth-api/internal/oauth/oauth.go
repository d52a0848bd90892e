// Package oauth is the OAuth 2.0 side of auth-api's token endpoint
// (RFC 6749 §3.2, §4.3, §5, §6): how a /token request is read and checked
// (form body only, public clients, scopes ignored, the password and
// refresh_token grants) and how its answers and refusals are shaped. The
// grants themselves are /login's and /refresh's code paths in the server.
package oauth

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/jwt-micro-system/auth-api/internal/decode"
)

// OAuth 2.0 grant types /token serves (RFC 6749 §4.3 and §6).
const (
	GrantPassword = "password"
	GrantRefresh  = "refresh_token"
)

// Tokens is the RFC 6749 §5.1 answer of /token. No scope is returned:
// tokens carry the account's role, not scopes, and a requested scope is
// ignored.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	// RefreshExpiresIn is /login's: the seconds until the session ends
	// (an extension parameter, RFC 6749 §5.1).
	RefreshExpiresIn int64 `json:"refresh_expires_in"`
}

// ErrorBody is the RFC 6749 §5.2 error answer of /token.
type ErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// Error is a /token refusal: its status, RFC 6749 code, a description
// for people and any header that belongs to it.
type Error struct {
	Status      int
	Code        string
	Description string
	Header      map[string]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

func invalidRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Description: fmt.Sprintf(format, args...)}
}

// invalidClient refuses client authentication: auth-api knows only public
// clients (RFC 6749 §2.1), so there is no secret a client could prove.
func invalidClient(msg string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "invalid_client", Description: msg,
		Header: map[string]string{"WWW-Authenticate": `Basic realm="auth-api"`}}
}

// TokenRequest is a decoded /token request.
type TokenRequest struct {
	GrantType          string
	Username, Password string // of the password grant
	RefreshToken       string // of the refresh grant
}

// DecodeTokenRequest reads and checks a /token request. The grant type is
// returned as far as it was read, for the metrics of a refusal.
func DecodeTokenRequest(r *http.Request) (TokenRequest, error) {
	var req TokenRequest
	// Parameters in the URL end up in logs and histories; RFC 6749 §3.2
	// puts them in the body.
	if r.URL.RawQuery != "" {
		return req, invalidRequest("send the parameters in the request body, not in the URL")
	}
	form, aerr := decode.Form(r.Header.Get("Content-Type"), r.Body)
	if aerr != nil {
		return req, aerr
	}
	req.GrantType = form["grant_type"]
	if oe := checkClient(r, form); oe != nil {
		return req, oe
	}
	if scope, ok := form["scope"]; ok && !validScope(scope) {
		return req, &Error{Status: http.StatusBadRequest, Code: "invalid_scope",
			Description: "scope must be scope tokens separated by single spaces (RFC 6749 §3.3); auth-api ignores scopes, so it may be left out"}
	}
	switch req.GrantType {
	case "":
		return req, invalidRequest("grant_type is required: password or refresh_token")
	case GrantPassword:
		// The same rules as /login's body; user_id is not an OAuth
		// parameter and, like every unknown one, is ignored.
		user, pass, aerr := decode.Login{Username: form["username"], Password: form["password"]}.Credentials()
		if aerr != nil {
			return req, aerr
		}
		req.Username, req.Password = user, pass
	case GrantRefresh:
		req.RefreshToken = form["refresh_token"]
		if req.RefreshToken == "" {
			return req, invalidRequest("refresh_token is required for grant_type=refresh_token")
		}
	default:
		return req, &Error{Status: http.StatusBadRequest, Code: "unsupported_grant_type",
			Description: fmt.Sprintf("grant_type %q is not supported; use password or refresh_token", req.GrantType)}
	}
	return req, nil
}

// checkClient accepts what a public client may send to identify itself
// (RFC 6749 §2.3, §3.2.1): a client_id in the body or as the user of HTTP
// Basic authentication, both ignored, since every client is public. A
// client secret is refused rather than ignored: there is none to check it
// against, and a client that believes it authenticated would be misled.
func checkClient(r *http.Request, form map[string]string) *Error {
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

// FromStatus translates an answer of the server's error table (status,
// message and headers) into RFC 6749 §5.2 codes, so that an error added
// there is answered at /token too. Refused credentials and refresh tokens
// are invalid_grant (400). A brute-force lock keeps its 429 and
// Retry-After, so that HTTP clients back off, with the code invalid_grant,
// so that OAuth clients read it as a refused grant (the description says it
// is a lock). Body faults keep their 413 or 415.
func FromStatus(status int, message string, header map[string]string) *Error {
	switch {
	case status == http.StatusTooManyRequests:
		return &Error{Status: status, Code: "invalid_grant", Description: message, Header: header}
	case status == http.StatusUnauthorized, status == http.StatusForbidden,
		status == http.StatusNotFound, status == http.StatusConflict:
		return &Error{Status: http.StatusBadRequest, Code: "invalid_grant", Description: message}
	case status == http.StatusServiceUnavailable:
		return &Error{Status: status, Code: "temporarily_unavailable", Description: message, Header: header}
	case status >= http.StatusInternalServerError:
		return &Error{Status: status, Code: "server_error", Description: message, Header: header}
	}
	return &Error{Status: status, Code: "invalid_request", Description: message, Header: header}
}

// ServerError is the answer to an unexpected error; its details are for
// the log only.
func ServerError() *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "server_error",
		Description: "something went wrong on our side; try again later"}
}
