package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/web-frontend/internal/authclient"
	"github.com/jwt-micro-system/web-frontend/internal/session"
	"golang.org/x/sync/singleflight"
)

// Why a session could not be established.
var (
	errNoSession   = errors.New("no session cookie")
	errInvalid     = errors.New("session invalid or expired")
	errUnavailable = errors.New("auth-api unavailable; session cannot be renewed")
)

// refreshTimeout bounds one renewal at auth-api.
const refreshTimeout = 5 * time.Second

// authenticate establishes the session of r from its cookie. An access
// token past its exp is renewed with the refresh token, and the new cookie
// set on w. The Verifier's leeway only absorbs clock skew: a token inside
// it is still renewed, but it is also still served when auth-api is down.
func (s *server) authenticate(w http.ResponseWriter, r *http.Request) (*authInfo, error) {
	ck, err := r.Cookie(s.codec.Name())
	if err != nil || ck.Value == "" {
		return nil, errNoSession
	}
	sess, err := s.codec.Decode(ck.Value)
	if err != nil {
		s.metrics.session("invalid", "cookie")
		s.log.Info("session cookie refused", "reason", "cookie")
		http.SetCookie(w, s.codec.ClearCookie())
		return nil, errInvalid
	}
	claims, err := s.verifier.Verify(sess.AccessToken)
	if err == nil && s.now().Before(claims.Expiry()) {
		s.metrics.session("ok", "")
		return &authInfo{claims: claims, token: sess.AccessToken}, nil
	}
	if err != nil && jwtauth.ReasonOf(err) != jwtauth.ReasonExpired {
		reason := string(jwtauth.ReasonOf(err))
		s.metrics.session("invalid", reason)
		s.log.Info("session token refused", "reason", reason)
		http.SetCookie(w, s.codec.ClearCookie())
		return nil, errInvalid
	}

	// Expired (or inside the leeway): renew.
	pair, err := s.renewer.renew(r.Context(), sess.RefreshToken)
	switch {
	case err == nil:
	case errors.Is(err, authclient.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded):
		if claims != nil {
			// Still acceptable to the Verifier: serve it and try again on
			// the next request.
			s.metrics.session("ok", "renewal_deferred")
			s.log.Warn("session renewal deferred: auth-api unavailable", "err", err)
			return &authInfo{claims: claims, token: sess.AccessToken}, nil
		}
		s.metrics.session("unavailable", "")
		s.log.Warn("session renewal failed: auth-api unavailable", "err", err)
		return nil, errUnavailable
	case errors.Is(err, context.Canceled):
		// The client went away; nothing to answer.
		return nil, errUnavailable
	default:
		s.metrics.session("expired", "refresh_rejected")
		s.log.Info("session expired: refresh refused", "err", err)
		http.SetCookie(w, s.codec.ClearCookie())
		return nil, errInvalid
	}

	nc, err := s.verifier.Verify(pair.AccessToken)
	if err != nil {
		// auth-api issued a token we cannot verify: the keys, issuer or
		// audience of the two services differ. /readyz says so too.
		reason := string(jwtauth.ReasonOf(err))
		s.metrics.session("invalid", "renewed_"+reason)
		s.log.Error("auth-api issued a token this service refuses; check SECRET_KEY, ISSUER and JWT_AUDIENCE on both services", "reason", reason)
		http.SetCookie(w, s.codec.ClearCookie())
		return nil, errInvalid
	}
	value, err := s.codec.Encode(session.Session{AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken})
	if err != nil {
		s.metrics.session("invalid", "encode")
		s.log.Error("session cookie could not be sealed", "err", err)
		http.SetCookie(w, s.codec.ClearCookie())
		return nil, errInvalid
	}
	http.SetCookie(w, s.codec.Cookie(value))
	s.metrics.session("refreshed", "")
	return &authInfo{claims: nc, token: pair.AccessToken}, nil
}

// renewer renews sessions at auth-api, at most one refresh in flight per
// refresh token, and remembers each renewal for a short grace window:
// requests that still carry the old cookie (sent before the browser saw the
// new one) get the new pair instead of presenting a used refresh token,
// which auth-api would treat as theft and answer by revoking the family.
//
// The grace map is per process. With several replicas, route a session to
// one replica or accept that a rare concurrent renewal logs the user out.
type renewer struct {
	auth   AuthAPI
	group  singleflight.Group
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	grace map[[sha256.Size]byte]graceEntry
}

type graceEntry struct {
	tokens  authclient.Tokens
	expires time.Time
}

// maxGrace bounds the grace map; beyond it, expired entries are purged and,
// if that is not enough, the oldest ones dropped.
const maxGrace = 10000

func newRenewer(auth AuthAPI, window time.Duration, now func() time.Time) *renewer {
	return &renewer{auth: auth, window: window, now: now, grace: make(map[[sha256.Size]byte]graceEntry)}
}

// renew returns a fresh pair for refreshToken.
func (rn *renewer) renew(ctx context.Context, refreshToken string) (authclient.Tokens, error) {
	key := sha256.Sum256([]byte(refreshToken))
	if t, ok := rn.lookup(key); ok {
		return t, nil
	}
	ch := rn.group.DoChan(string(key[:]), func() (any, error) {
		if t, ok := rn.lookup(key); ok {
			return t, nil
		}
		// Detached from the first caller's context: if that client goes
		// away, the others still need the answer, and a rotation done at
		// auth-api but lost here would cost the user the session.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
		defer cancel()
		t, err := rn.auth.Refresh(cctx, refreshToken)
		if err != nil {
			return authclient.Tokens{}, err
		}
		rn.store(key, t)
		return t, nil
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

func (rn *renewer) lookup(key [sha256.Size]byte) (authclient.Tokens, bool) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	e, ok := rn.grace[key]
	if !ok {
		return authclient.Tokens{}, false
	}
	if !rn.now().Before(e.expires) {
		delete(rn.grace, key)
		return authclient.Tokens{}, false
	}
	return e.tokens, true
}

func (rn *renewer) store(key [sha256.Size]byte, t authclient.Tokens) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	now := rn.now()
	if len(rn.grace) >= maxGrace {
		for k, e := range rn.grace {
			if !now.Before(e.expires) {
				delete(rn.grace, k)
			}
		}
		for len(rn.grace) >= maxGrace {
			var oldest [sha256.Size]byte
			first := true
			var at time.Time
			for k, e := range rn.grace {
				if first || e.expires.Before(at) {
					oldest, at, first = k, e.expires, false
				}
			}
			delete(rn.grace, oldest)
		}
	}
	rn.grace[key] = graceEntry{tokens: t, expires: now.Add(rn.window)}
}

// forget removes the grace entry of refreshToken and returns the refresh
// token that replaced it, if any: logging out with an old cookie must
// revoke the newest token of the session.
func (rn *renewer) forget(refreshToken string) (string, bool) {
	key := sha256.Sum256([]byte(refreshToken))
	rn.mu.Lock()
	defer rn.mu.Unlock()
	e, ok := rn.grace[key]
	delete(rn.grace, key)
	return e.tokens.RefreshToken, ok
}

// size reports the number of grace entries (for tests).
func (rn *renewer) size() int {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return len(rn.grace)
}
