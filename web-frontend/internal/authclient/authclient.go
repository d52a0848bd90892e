// Package authclient is the web-frontend's client of auth-api: login,
// refresh, logout, the admin user list, the revocation feed and the
// token-key check. Every call
// is bounded by a timeout and the caller's context, and carries the
// caller's request id (package requestid) as X-Request-Id.
package authclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jwt-micro-system/shared/clientaddr"
	"github.com/jwt-micro-system/shared/requestid"
	"github.com/jwt-micro-system/shared/revocation"
	"github.com/jwt-micro-system/shared/secretkey"
)

// Errors that classify a failed call; test with errors.Is.
var (
	// ErrUnavailable: auth-api could not be reached, timed out or failed
	// (5xx). The request may succeed later.
	ErrUnavailable = errors.New("auth-api unavailable")
	// ErrUnauthorized: auth-api refused the credentials or token (401).
	ErrUnauthorized = errors.New("auth-api: unauthorized")
	// ErrForbidden: the token is valid but lacks the role (403).
	ErrForbidden = errors.New("auth-api: forbidden")
	// ErrRateLimited: too many attempts (429); see Error.RetryAfter.
	ErrRateLimited = errors.New("auth-api: rate limited")
	// ErrRejected: any other 4xx; Error.Message says why.
	ErrRejected = errors.New("auth-api: request rejected")
)

// Error is a non-2xx answer from auth-api.
type Error struct {
	Status     int
	Code       string        // the "error" field of the body
	Message    string        // the "message" field: human text
	RetryAfter time.Duration // from Retry-After on 429
}

func (e *Error) Error() string {
	return fmt.Sprintf("auth-api answered %d %s: %s", e.Status, e.Code, e.Message)
}

// CodeOf returns the error code auth-api answered err with, or "".
func CodeOf(err error) string {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// RuleField says which field a 400 refusal of auth-api's username,
// password or role rules is about (its message names the field first):
// "username", "role", "password", or "password_same" for a new password
// that must differ from the old one; "" for any other error.
func RuleField(err error) string {
	var ae *Error
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
		return ""
	}
	switch m := ae.Message; {
	case strings.Contains(m, "must differ"):
		return "password_same"
	case strings.HasPrefix(m, "username"):
		return "username"
	case strings.HasPrefix(m, "role"):
		return "role"
	case strings.Contains(m, "password"):
		return "password"
	}
	return ""
}

// Unwrap maps the status to one of the classifying errors.
func (e *Error) Unwrap() error {
	switch {
	case e.Status == http.StatusUnauthorized:
		return ErrUnauthorized
	case e.Status == http.StatusForbidden:
		return ErrForbidden
	case e.Status == http.StatusTooManyRequests:
		return ErrRateLimited
	case e.Status >= 500:
		return ErrUnavailable
	default:
		return ErrRejected
	}
}

// Tokens is a token pair from /login or /refresh.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	// RefreshExpiresIn is how many seconds the refresh family has left
	// (rotation never extends it): when the user has to sign in again.
	// Zero when auth-api does not say.
	RefreshExpiresIn int64 `json:"refresh_expires_in,omitempty"`
}

// User is one entry of the admin user list.
type User struct {
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// TokenKey is auth-api's description of the key it signs with: ids only,
// never the key.
type TokenKey struct {
	Alg         string `json:"alg"`
	KeyID       string `json:"kid"`
	PreviousKID string `json:"previous_kid,omitempty"`
	Issuer      string `json:"issuer"`
	Audience    string `json:"audience,omitempty"`
}

// maxBody bounds what is read from auth-api.
const maxBody = 1 << 20

// Timeout bounds every call, connection included.
const Timeout = 5 * time.Second

// Client calls auth-api. It is safe for concurrent use.
type Client struct {
	base *url.URL
	hc   *http.Client
	// signer vouches for the client addresses passed to auth-api, and
	// feedKey reads its revocation feed; both are derived from SECRET_KEY
	// by UseKeys, and unset (no address sent, feed refused) until then.
	signer  *clientaddr.Signer
	feedKey string
	now     func() time.Time
}

// New returns a Client for the auth-api at base (for example
// http://auth-api:10000). hc may be nil for a client with sensible
// timeouts.
func New(base *url.URL, hc *http.Client) *Client {
	if hc == nil {
		tr := &http.Transport{
			Proxy:                 nil, // auth-api is a direct neighbour, never behind HTTP(S)_PROXY
			DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          64,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   3 * time.Second,
			ResponseHeaderTimeout: Timeout,
		}
		hc = &http.Client{
			Transport: tr,
			Timeout:   Timeout,
			// auth-api never redirects; following one could leak a token.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	b := *base
	return &Client{base: &b, hc: hc, now: time.Now}
}

// UseKeys derives from SECRET_KEY what the client needs to be believed by
// auth-api: the MAC key of the client-address header and the revocation
// feed key. Call it once, before the client is used.
func (c *Client) UseKeys(keys *secretkey.Keys) error {
	signer, err := clientaddr.NewSigner(keys)
	if err != nil {
		return err
	}
	feedKey, err := revocation.FeedKey(keys)
	if err != nil {
		return err
	}
	c.signer, c.feedKey = signer, feedKey
	return nil
}

// Login exchanges a username and password for a token pair. clientIP, when
// known, is passed in the signed client-address header (package
// clientaddr), so auth-api's per-address brute-force limit applies to the
// person, not to this service, wherever this service runs.
func (c *Client) Login(ctx context.Context, username, password, clientIP string) (Tokens, error) {
	var t Tokens
	body := map[string]string{"username": username, "password": password}
	err := c.do(ctx, http.MethodPost, "/login", "", clientIP, body, &t)
	if err == nil {
		err = t.check()
	}
	return t, err
}

// Refresh exchanges a refresh token for a new pair; the old one stops
// working.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	var t Tokens
	err := c.do(ctx, http.MethodPost, "/refresh", "", "", map[string]string{"refresh_token": refreshToken}, &t)
	if err == nil {
		err = t.check()
	}
	return t, err
}

// Logout revokes a refresh token (and its family).
func (c *Client) Logout(ctx context.Context, refreshToken string) error {
	return c.do(ctx, http.MethodPost, "/logout", "", "", map[string]string{"refresh_token": refreshToken}, nil)
}

// Users lists the users, with an admin's access token.
func (c *Client) Users(ctx context.Context, accessToken string) ([]User, error) {
	var out struct {
		Users []User `json:"users"`
	}
	if err := c.do(ctx, http.MethodGet, "/users", accessToken, "", nil, &out); err != nil {
		return nil, err
	}
	return out.Users, nil
}

// Revocations reads auth-api's revocation feed from cursor since: the
// sessions revoked after it, and the cursor to continue from.
func (c *Client) Revocations(ctx context.Context, since int64) (revocation.Page, error) {
	var p revocation.Page
	if c.feedKey == "" {
		return p, errors.New("authclient: Revocations needs UseKeys first")
	}
	err := c.do(ctx, http.MethodGet, "/revocations?since="+strconv.FormatInt(since, 10), c.feedKey, "", nil, &p)
	return p, err
}

// ChangePassword changes the password of the token's user (POST
// /me/password). auth-api revokes every session of the user, this one
// included. A wrong current password is ErrForbidden with code
// invalid_credentials; a new password the rule refuses, ErrRejected.
func (c *Client) ChangePassword(ctx context.Context, accessToken, current, next string) error {
	body := map[string]string{"current_password": current, "new_password": next}
	return c.do(ctx, http.MethodPost, "/me/password", accessToken, "", body, nil)
}

// LogoutAll revokes every session of the token's user (POST
// /me/logout-all): "sign out everywhere".
func (c *Client) LogoutAll(ctx context.Context, accessToken string) error {
	return c.do(ctx, http.MethodPost, "/me/logout-all", accessToken, "", nil, nil)
}

// CreateUser adds a user (POST /users, admin). A taken name is ErrRejected
// with code user_exists; a name or password the rules refuse, code
// invalid_request.
func (c *Client) CreateUser(ctx context.Context, accessToken, username, password, role string) error {
	body := map[string]string{"username": username, "password": password, "role": role}
	return c.do(ctx, http.MethodPost, "/users", accessToken, "", body, nil)
}

// SetPassword sets another user's password (PUT /users/{username}/password,
// admin); auth-api revokes that user's sessions.
func (c *Client) SetPassword(ctx context.Context, accessToken, username, password string) error {
	return c.do(ctx, http.MethodPut, "/users/"+url.PathEscape(username)+"/password", accessToken, "", map[string]string{"password": password}, nil)
}

// DeleteUser removes a user and revokes its sessions (DELETE
// /users/{username}, admin).
func (c *Client) DeleteUser(ctx context.Context, accessToken, username string) error {
	return c.do(ctx, http.MethodDelete, "/users/"+url.PathEscape(username), accessToken, "", nil, nil)
}

// TokenKey returns the id of the key auth-api signs with, and its issuer
// and audience.
func (c *Client) TokenKey(ctx context.Context) (TokenKey, error) {
	var k TokenKey
	err := c.do(ctx, http.MethodGet, "/token-key", "", "", nil, &k)
	if err == nil && k.KeyID == "" {
		err = fmt.Errorf("%w: /token-key answered without a kid", ErrUnavailable)
	}
	return k, err
}

func (t Tokens) check() error {
	if t.AccessToken == "" || t.RefreshToken == "" {
		return fmt.Errorf("%w: token response without access_token or refresh_token", ErrUnavailable)
	}
	return nil
}

func (c *Client) do(ctx context.Context, method, path, bearer, clientIP string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("auth-api %s: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	// path is already escaped (a username in it is url.PathEscape'd) and
	// may carry a query.
	target := strings.TrimRight(c.base.String(), "/") + path
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return fmt.Errorf("auth-api %s: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if clientIP != "" && c.signer != nil {
		if v := c.signer.Sign(clientIP, c.now()); v != "" {
			req.Header.Set(clientaddr.Header, v)
		}
	}
	// The id of the request being served, so one request can be followed
	// through the logs of both services.
	if id, ok := requestid.FromContext(ctx); ok {
		req.Header.Set(requestid.Header, id)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// The error text names the URL but never a token: tokens travel in
		// bodies and headers only.
		return fmt.Errorf("%w: %s %s: %w", ErrUnavailable, method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%w: reading %s: %w", ErrUnavailable, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Status: resp.StatusCode}
		var eb struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &eb) == nil {
			e.Code, e.Message = eb.Error, eb.Message
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: %s answered invalid JSON: %w", ErrUnavailable, path, err)
	}
	return nil
}
