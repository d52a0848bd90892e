// Package signin is the order of auth-api's sign-in flows, shared by
// /login, /refresh, /token and /me/password: the brute-force limits around
// every password check, the limits around a refresh, the account service's
// verdict, and the access token of the session that results. Each outcome
// is counted in the metrics and logged, with the caller's request logger.
// The HTTP side (decoding, the error table) is the server's.
package signin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/bruteforce"
	"github.com/jwt-micro-system/auth-api/internal/metrics"
)

// LimitedError is an attempt the brute-force limiter refused before any
// password was checked or token rotated: Refresh tells a refresh from a
// password attempt, Wait how long until one would be allowed.
type LimitedError struct {
	Wait    time.Duration
	Refresh bool
}

func (e *LimitedError) Error() string {
	return fmt.Sprintf("too many attempts; retry in %s", e.Wait)
}

// Tokens are a new access token and the refresh token of its session.
type Tokens struct {
	Access  string
	Refresh string
	// AccessTTL is the access token's lifetime; SessionLeft is the time
	// until the session ends (its refresh family's absolute expiry, which
	// rotation never extends), never negative.
	AccessTTL   time.Duration
	SessionLeft time.Duration
}

// Flows runs the sign-in flows. It is safe for concurrent use.
type Flows struct {
	accounts *account.Service
	issuer   *jwtauth.Issuer
	limiter  *bruteforce.Limiter
	metrics  *metrics.Metrics
	now      func() time.Time
}

// New returns the flows over their dependencies; now is the clock.
func New(accounts *account.Service, iss *jwtauth.Issuer, lim *bruteforce.Limiter, m *metrics.Metrics, now func() time.Time) *Flows {
	return &Flows{accounts: accounts, issuer: iss, limiter: lim, metrics: m, now: now}
}

// Login is the one login code path: the brute-force limits, the password
// check and a new session, whose family its access token carries as sid.
// addr is the client's address, for the limits and the logs.
func (f *Flows) Login(ctx context.Context, log *slog.Logger, username, password, addr string) (Tokens, error) {
	wait, ok, err := f.limiter.Begin(ctx, username, addr, f.now())
	if err != nil {
		return Tokens{}, err
	}
	if !ok {
		f.metrics.Login("rate_limited")
		log.Warn("login rate limited", "user", username, "client_ip", addr)
		return Tokens{}, &LimitedError{Wait: wait}
	}
	u, err := f.accounts.Authenticate(ctx, username, password)
	if errors.Is(err, account.ErrBadCredentials) {
		f.metrics.Login("invalid_credentials")
		log.Info("login failed", "user", username, "client_ip", addr)
	}
	if err != nil {
		return Tokens{}, err
	}
	if err := f.limiter.Succeeded(ctx, username, addr, f.now()); err != nil {
		return Tokens{}, err
	}
	refresh, session, err := f.accounts.StartSession(ctx, u)
	if err != nil {
		return Tokens{}, err
	}
	access, _, err := f.issuer.IssueSession(u.Username, u.Role, session.ID)
	if err != nil {
		return Tokens{}, err
	}
	f.metrics.Login("success")
	log.Info("login", "user", u.Username, "role", u.Role)
	return f.tokens(access, refresh, session), nil
}

// Refresh is the one refresh code path: the per-address limit, then the
// account service rotates the token (within its per-family limit), and a
// new access token of the same session (sid: the family) is signed for the
// user as the store knows it now.
func (f *Flows) Refresh(ctx context.Context, log *slog.Logger, presented, addr string) (Tokens, error) {
	wait, ok, err := f.limiter.BeginRefresh(ctx, addr, f.now())
	if err != nil {
		return Tokens{}, err
	}
	if !ok {
		f.metrics.Refresh("rate_limited")
		log.Warn("refresh rate limited", "client_ip", addr)
		return Tokens{}, &LimitedError{Wait: wait, Refresh: true}
	}
	u, next, session, err := f.accounts.Refresh(ctx, presented)
	if errors.Is(err, account.ErrTooManyRefreshes) {
		f.metrics.Refresh("rate_limited")
		log.Warn("refresh rate limited: family", "client_ip", addr)
	}
	var refused *account.RefreshError
	if errors.As(err, &refused) {
		f.metrics.Refresh(refused.Outcome)
		l := log.With("outcome", refused.Outcome)
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
		return Tokens{}, err
	}
	access, _, err := f.issuer.IssueSession(u.Username, u.Role, session.ID)
	if err != nil {
		return Tokens{}, err
	}
	f.metrics.Refresh("success")
	log.Info("refresh", "user", u.Username)
	return f.tokens(access, next, session), nil
}

func (f *Flows) tokens(access, refresh string, session account.Session) Tokens {
	return Tokens{Access: access, Refresh: refresh, AccessTTL: f.issuer.TTL(),
		SessionLeft: max(session.ExpiresAt.Sub(f.now()), 0)}
}

// ChangePassword sets username's new password after checking the current
// one, and revokes every refresh token of the user. Wrong current passwords
// count against the brute-force limits like failed logins; requests that
// could never succeed do not count as attempts.
func (f *Flows) ChangePassword(ctx context.Context, log *slog.Logger, username, current, next, addr string) error {
	if err := account.ValidatePasswordChange(current, next); err != nil {
		return err
	}
	wait, ok, err := f.limiter.Begin(ctx, username, addr, f.now())
	if err != nil {
		return err
	}
	if !ok {
		return &LimitedError{Wait: wait}
	}
	err = f.accounts.ChangePassword(ctx, username, current, next)
	if errors.Is(err, account.ErrWrongPassword) {
		log.Info("password change refused: wrong current password", "user", username)
	}
	if err != nil {
		return err
	}
	if err := f.limiter.Succeeded(ctx, username, addr, f.now()); err != nil {
		return err
	}
	log.Info("password changed; refresh tokens revoked", "user", username)
	return nil
}
