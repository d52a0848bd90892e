package session

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/web-frontend/internal/authclient"
	"golang.org/x/sync/singleflight"
)

// Why Load or Start established no session; test with errors.Is.
var (
	// ErrNoSession: the request carries no session cookie.
	ErrNoSession = errors.New("session: no session cookie")
	// ErrExpired: the cookie is invalid, or its session expired and could
	// not be renewed. The cookie has been cleared; log in again.
	ErrExpired = errors.New("session: invalid or expired")
	// ErrUnavailable: the access token expired and auth-api could not be
	// reached to renew it. The cookie is kept for when auth-api is back.
	ErrUnavailable = errors.New("session: auth-api unavailable; session cannot be renewed")
	// ErrMismatch: auth-api issued a token this service refuses, so its
	// SECRET_KEY, ISSUER or JWT_AUDIENCE differ from ours.
	ErrMismatch = errors.New("session: auth-api issued a token this service refuses; check SECRET_KEY, ISSUER and JWT_AUDIENCE on both services")
)

// AuthAPI is what the Manager needs from auth-api; *authclient.Client
// implements it.
type AuthAPI interface {
	Refresh(ctx context.Context, refreshToken string) (authclient.Tokens, error)
	Logout(ctx context.Context, refreshToken string) error
}

// Auth is an established session: the verified claims and the access token
// they came from (for calls to auth-api on the user's behalf).
type Auth struct {
	Claims      *jwtauth.Claims
	AccessToken string
	// RefreshExpires is when the session ends for good and the user has
	// to sign in again (the refresh family's expiry); zero when unknown.
	RefreshExpires time.Time
}

// Options tune a Manager; the zero value is the production setting.
type Options struct {
	// RefreshTimeout bounds one refresh at auth-api (default 5s), so a
	// hung auth-api costs a request a bounded wait, then a 503.
	RefreshTimeout time.Duration
	// Now is the clock; time.Now when nil. It must be the Verifier's.
	Now func() time.Time
	// Observe, when set, is told the outcome of every Load ("ok",
	// "refreshed", "expired", "invalid", "unavailable") and its reason.
	Observe func(outcome, reason string)
	// CookieCacheSize bounds how many opened cookies are remembered
	// (DefaultCookieCacheSize when zero; negative disables the cache).
	CookieCacheSize int
}

// Timeouts of the calls to auth-api.
const (
	defaultRefreshTimeout = 5 * time.Second
	logoutTimeout         = 5 * time.Second
)

// maxCookies bounds how many cookies of our name one request may make us
// try to open.
const maxCookies = 3

// Manager owns the session of a request: it opens and seals the cookie,
// verifies the access token with the shared Verifier, renews it silently
// with the refresh token, and starts and ends sessions. It is safe for
// concurrent use.
//
// It keeps no session state of its own, so any replica serves any request.
// Concurrent renewals of one cookie in this process share one refresh call;
// requests that still carry the old cookie afterwards (sent before the
// browser saw the new one), here or on another replica, present the just
// rotated refresh token again, and auth-api answers them with the same
// successor within its REFRESH_REUSE_INTERVAL.
type Manager struct {
	log      *slog.Logger
	codec    *Codec
	verifier *jwtauth.Verifier
	auth     AuthAPI
	now      func() time.Time
	observe  func(outcome, reason string)
	timeout  time.Duration

	// group merges concurrent identical refresh calls; it remembers
	// nothing once they return.
	group  singleflight.Group
	opened *openedCache
}

// NewManager returns a Manager. The Verifier must share opts.Now.
func NewManager(log *slog.Logger, codec *Codec, verifier *jwtauth.Verifier, auth AuthAPI, opts Options) (*Manager, error) {
	if codec == nil || verifier == nil || auth == nil {
		return nil, errors.New("session: NewManager needs a codec, a verifier and an auth-api client")
	}
	if opts.RefreshTimeout <= 0 {
		opts.RefreshTimeout = defaultRefreshTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Observe == nil {
		opts.Observe = func(string, string) {}
	}
	return &Manager{log: log, codec: codec, verifier: verifier, auth: auth, now: opts.Now,
		observe: opts.Observe, timeout: opts.RefreshTimeout,
		opened: newOpenedCache(opts.CookieCacheSize)}, nil
}

// Codec returns the cookie codec (for the cookie name and attributes).
func (m *Manager) Codec() *Codec { return m.codec }

// Load establishes the session of r from its cookie. An access token past
// its exp is renewed with the refresh token, and the new cookie set on w.
// The Verifier's leeway only absorbs clock skew: a token inside it is still
// renewed, but it is also still served when auth-api is down.
//
// A session revoked at auth-api (logout on any replica, password change,
// deleted user, refresh-token reuse) is refused by the Verifier's
// revocation set with reason "revoked", whichever of the session's cookies
// is presented: the cookie is cleared and the error wraps ErrExpired, with
// no call to auth-api.
//
// The error wraps ErrNoSession, ErrExpired (the cookie was cleared on w) or
// ErrUnavailable (the cookie was kept).
func (m *Manager) Load(w http.ResponseWriter, r *http.Request) (*Auth, error) {
	ctx := r.Context()
	sess, ok, err := m.cookie(r)
	if !ok {
		return nil, ErrNoSession
	}
	if errors.Is(err, errTwoSessions) {
		return nil, m.refuse(ctx, w, "invalid", "two_cookies", err)
	}
	if err != nil {
		return nil, m.refuse(ctx, w, "invalid", "cookie", err)
	}
	claims, err := m.verifier.Verify(sess.AccessToken)
	if err == nil && m.now().Before(claims.Expiry()) {
		m.observe("ok", "")
		return &Auth{Claims: claims, AccessToken: sess.AccessToken, RefreshExpires: sess.RefreshExpires}, nil
	}
	if err != nil && jwtauth.ReasonOf(err) != jwtauth.ReasonExpired {
		return nil, m.refuse(ctx, w, "invalid", string(jwtauth.ReasonOf(err)), err)
	}

	// Expired (or inside the leeway): renew.
	pair, err := m.renew(ctx, sess.RefreshToken)
	switch {
	case err == nil:
	case errors.Is(err, authclient.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded):
		if claims != nil {
			// Still acceptable to the Verifier: serve it and try again on
			// the next request.
			m.observe("ok", "renewal_deferred")
			m.log.WarnContext(ctx, "session renewal deferred: auth-api unavailable", "err", err)
			return &Auth{Claims: claims, AccessToken: sess.AccessToken, RefreshExpires: sess.RefreshExpires}, nil
		}
		m.observe("unavailable", "")
		m.log.WarnContext(ctx, "session renewal failed: auth-api unavailable", "err", err)
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	case errors.Is(err, context.Canceled):
		// The client went away; nothing to answer.
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	default:
		return nil, m.refuse(ctx, w, "expired", "refresh_rejected", err)
	}

	nc, err := m.verifier.Verify(pair.AccessToken)
	if err != nil {
		// The keys, issuer or audience of the two services differ; /readyz
		// says so too.
		reason := string(jwtauth.ReasonOf(err))
		m.log.ErrorContext(ctx, ErrMismatch.Error(), "reason", reason)
		return nil, m.refuse(ctx, w, "invalid", "renewed_"+reason, err)
	}
	// Rotation never extends the family: an auth-api that does not say
	// leaves the expiry the cookie knew.
	expires := m.refreshExpiry(pair)
	if expires.IsZero() {
		expires = sess.RefreshExpires
	}
	if err := m.set(w, pair, expires); err != nil {
		m.log.ErrorContext(ctx, "session cookie could not be sealed", "err", err)
		return nil, m.refuse(ctx, w, "invalid", "encode", err)
	}
	m.observe("refreshed", "")
	return &Auth{Claims: nc, AccessToken: pair.AccessToken, RefreshExpires: expires}, nil
}

// ErrBadBearer: the API's bearer token was refused (wrapping the
// Verifier's error).
var ErrBadBearer = errors.New("session: bearer token refused")

// Bearer establishes the session of an API request that carries an
// Authorization: Bearer token instead of the cookie (see BearerToken): the
// token must verify, with nothing renewed. A refusal wraps ErrBadBearer;
// its reason is observed and logged, never told the client.
func (m *Manager) Bearer(ctx context.Context, token string) (*Auth, error) {
	claims, err := m.verifier.Verify(token)
	if err != nil {
		reason := string(jwtauth.ReasonOf(err))
		m.observe("invalid", "bearer_"+reason)
		m.log.InfoContext(ctx, "bearer token refused", "reason", reason)
		return nil, fmt.Errorf("%w: %w", ErrBadBearer, err)
	}
	m.observe("ok", "bearer")
	return &Auth{Claims: claims, AccessToken: token}, nil
}

// BearerToken returns the token of an Authorization: Bearer header.
func BearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	return strings.TrimSpace(h[7:]), true
}

// refuse ends the session of a refused request: counted, logged, the
// cookie cleared.
func (m *Manager) refuse(ctx context.Context, w http.ResponseWriter, outcome, reason string, err error) error {
	m.observe(outcome, reason)
	m.log.InfoContext(ctx, "session refused", "outcome", outcome, "reason", reason)
	m.Clear(w)
	return fmt.Errorf("%w (%s): %w", ErrExpired, reason, err)
}

// Live reports whether r carries a session whose access token is valid
// right now. It never renews and never writes.
func (m *Manager) Live(r *http.Request) bool {
	sess, ok, err := m.cookie(r)
	if !ok || err != nil {
		return false
	}
	c, err := m.verifier.Verify(sess.AccessToken)
	return err == nil && m.now().Before(c.Expiry())
}

// Start begins a session with a pair fresh from auth-api's login: the
// access token must verify here (else ErrMismatch), then the cookie is set
// on w.
func (m *Manager) Start(w http.ResponseWriter, tokens authclient.Tokens) (*jwtauth.Claims, error) {
	claims, err := m.verifier.Verify(tokens.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", ErrMismatch, jwtauth.ReasonOf(err))
	}
	if err := m.set(w, tokens, m.refreshExpiry(tokens)); err != nil {
		return nil, err
	}
	return claims, nil
}

// End revokes the session at auth-api and clears the cookie. Any refresh
// token of the session will do, even one the cookie carried before a
// renewal: auth-api revokes the whole family. The cookie
// is cleared even when auth-api cannot be reached; that is logged.
func (m *Manager) End(w http.ResponseWriter, r *http.Request) {
	if sess, ok, err := m.cookie(r); ok && err == nil {
		// Detached from the client: the revocation must happen even when
		// the browser does not wait for the answer.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), logoutTimeout)
		err := m.auth.Logout(ctx, sess.RefreshToken)
		cancel()
		if err != nil && !errors.Is(err, authclient.ErrUnauthorized) {
			m.log.WarnContext(r.Context(), "logout: refresh token not revoked at auth-api", "err", err)
		}
	}
	m.Clear(w)
}

// EndIfRefused ends the session when err is auth-api refusing the
// session's own access token (the user was deleted, the key rotated): the
// cookie is cleared and the error returned wraps ErrExpired. Any other err
// is returned as it is.
func (m *Manager) EndIfRefused(w http.ResponseWriter, err error) error {
	if errors.Is(err, authclient.ErrUnauthorized) {
		m.Clear(w)
		return fmt.Errorf("%w: auth-api refused the token: %w", ErrExpired, err)
	}
	return err
}

// EndedCookie is the name of a throwaway cookie; see MarkEnded.
const EndedCookie = "session_ended"

// MarkEnded sets a throwaway cookie, for the login page shown after a
// logout or an expired session (which fetches /logout/done as a hidden
// image). Chromium keeps even no-store pages in its back/forward cache,
// and evicts them only when a cookie changes after they entered it; the
// session cookie was cleared just before, so without this Back would show
// a frozen copy of the dashboard just left. No session state changes.
func (m *Manager) MarkEnded(w http.ResponseWriter) {
	ck := m.codec.Cookie(strconv.FormatInt(m.now().UnixNano(), 36))
	ck.Name = EndedCookie
	ck.MaxAge = 10
	http.SetCookie(w, ck)
}

// Clear makes the browser drop the session cookie; auth-api is not told.
func (m *Manager) Clear(w http.ResponseWriter) {
	http.SetCookie(w, m.codec.ClearCookie())
}

// errTwoSessions: the request carries more than one session cookie that
// opens under our key.
var errTwoSessions = fmt.Errorf("%w: more than one session cookie", ErrInvalid)

// cookie opens the session cookie of r. ok is false when there is none.
// When the browser sends several cookies of our name, those that do not
// open under our key are ignored (junk next to a real session does not end
// it), but two that do are refused: one was planted (by a sibling site,
// under a more specific path, to log the victim into the planter's
// account), and which one the browser sends first is not ours to guess.
func (m *Manager) cookie(r *http.Request) (s Session, ok bool, err error) {
	err = ErrInvalid
	opened, seen := 0, 0
	it := newCookieIter(r.Header, m.codec.Name())
	for v, more := it.next(); more && seen < maxCookies; v, more = it.next() {
		one, known := m.opened.get(v)
		if !known && !validCookieValue(v) {
			continue // net/http would not have read it either
		}
		if seen++; v == "" {
			continue
		}
		ok = true
		var derr error
		if !known {
			one, derr = m.decode(v)
		}
		if derr != nil {
			continue
		}
		if opened++; opened > 1 {
			return Session{}, true, errTwoSessions
		}
		s = one
	}
	if opened == 1 {
		return s, true, nil
	}
	return Session{}, ok, err
}

// decode opens a cookie value that is not in the cache of opened cookies,
// and remembers it when it opens.
func (m *Manager) decode(value string) (Session, error) {
	s, err := m.codec.Decode(value)
	if err == nil {
		m.opened.put(value, s)
	}
	return s, err
}

// set seals tokens and the refresh family's expiry into the session
// cookie on w.
func (m *Manager) set(w http.ResponseWriter, t authclient.Tokens, refreshExpires time.Time) error {
	value, err := m.codec.Encode(Session{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, RefreshExpires: refreshExpires})
	if err != nil {
		return err
	}
	http.SetCookie(w, m.codec.Cookie(value))
	return nil
}

// maxRefreshExpiresIn bounds the refresh_expires_in believed: auth-api
// refuses a REFRESH_TOKEN_TTL over 90 days, so a longer one is not a
// family's.
const maxRefreshExpiresIn = 366 * 24 * 3600

// refreshExpiry is when the refresh family of t ends, to the second: now
// plus auth-api's refresh_expires_in; zero when auth-api did not say or
// said something no family lasts.
func (m *Manager) refreshExpiry(t authclient.Tokens) time.Time {
	if t.RefreshExpiresIn <= 0 || t.RefreshExpiresIn > maxRefreshExpiresIn {
		return time.Time{}
	}
	return m.now().Add(time.Duration(t.RefreshExpiresIn) * time.Second).Truncate(time.Second).UTC()
}

// renew returns a fresh pair for refreshToken: one refresh at auth-api
// shared by every concurrent caller with the same token.
func (m *Manager) renew(ctx context.Context, refreshToken string) (authclient.Tokens, error) {
	key := sha256.Sum256([]byte(refreshToken))
	ch := m.group.DoChan(string(key[:]), func() (any, error) {
		// Detached from the first caller's context: if that client goes
		// away, the others still need the answer, and a rotation done at
		// auth-api but lost here would cost the user the session.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.timeout)
		defer cancel()
		return m.auth.Refresh(cctx, refreshToken)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return authclient.Tokens{}, res.Err
		}
		return res.Val.(authclient.Tokens), nil
	case <-ctx.Done():
		return authclient.Tokens{}, ctx.Err()
	}
}
