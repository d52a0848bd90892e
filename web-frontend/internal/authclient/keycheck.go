package authclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jwt-micro-system/shared/secretkey"
)

// ErrKeyMismatch means auth-api signs tokens this service cannot accept:
// a different SECRET_KEY, ISSUER or JWT_AUDIENCE.
var ErrKeyMismatch = errors.New("auth-api configuration does not match")

// checkTimeout bounds one attempt of WatchKeys.
const checkTimeout = 2 * time.Second

// firstRetry is WatchKeys' first pause; it doubles up to the interval, so
// an auth-api that starts a moment later than this service (compose starts
// both at once) is found within a fraction of a second.
const firstRetry = 50 * time.Millisecond

// startupGrace is how long auth-api may be unreachable before WatchKeys
// warns: starting together, auth-api may still be hashing the bootstrap
// admin's password.
const startupGrace = 10 * time.Second

// Expect is what this service accepts: auth-api must sign with one of Keys,
// for Issuer and Audience.
type Expect struct {
	Keys     *secretkey.Keys
	Issuer   string
	Audience string
}

// KeyAsker is the part of the Client that CheckKeys needs.
type KeyAsker interface {
	TokenKey(ctx context.Context) (TokenKey, error)
}

// CheckKeys asks auth-api for the id of its signing key (never the key)
// and compares it, its issuer and its audience with ours. It returns nil
// when tokens from auth-api will verify here, an error wrapping
// ErrUnavailable when auth-api cannot be asked, and one wrapping
// ErrKeyMismatch (with a message saying what to fix) when they will not.
func CheckKeys(ctx context.Context, auth KeyAsker, opts Expect) error {
	tk, err := auth.TokenKey(ctx)
	if err != nil {
		if !errors.Is(err, ErrUnavailable) {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return err
	}
	cur := opts.Keys.Current().ID()
	prev, hasPrev := opts.Keys.Previous()
	switch {
	case tk.KeyID != cur && (!hasPrev || tk.KeyID != prev.ID()):
		return fmt.Errorf("%w: SECRET_KEY differs between the services: auth-api signs with key id %s, this service has key id %s; "+
			"set the same SECRET_KEY on both (during a rotation, the old one as SECRET_KEY_PREVIOUS)", ErrKeyMismatch, tk.KeyID, cur)
	case tk.Alg != "" && tk.Alg != "HS256":
		return fmt.Errorf("%w: auth-api signs with %s, this service accepts HS256 only", ErrKeyMismatch, tk.Alg)
	case tk.Issuer != "" && tk.Issuer != opts.Issuer:
		return fmt.Errorf("%w: ISSUER differs: auth-api issues tokens with iss %q, this service expects %q; set the same ISSUER on both",
			ErrKeyMismatch, tk.Issuer, opts.Issuer)
	case tk.Audience != opts.Audience:
		return fmt.Errorf("%w: JWT_AUDIENCE differs: auth-api uses %q, this service expects %q; set the same JWT_AUDIENCE on both",
			ErrKeyMismatch, tk.Audience, opts.Audience)
	}
	return nil
}

// WatchKeys runs the start-up check: it retries CheckKeys while auth-api
// is unreachable (after firstRetry, doubling up to interval), warns once
// when that lasts longer than startupGrace, then logs the verdict once, in
// plain words. It returns when it has a verdict or ctx is done.
func WatchKeys(ctx context.Context, log *slog.Logger, auth KeyAsker, opts Expect, interval time.Duration) error {
	start := time.Now()
	pause := min(firstRetry, interval)
	warned := false
	for {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		err := CheckKeys(cctx, auth, opts)
		cancel()
		switch {
		case err == nil:
			log.Info("auth-api key check passed: SECRET_KEY matches", "kid", opts.Keys.Current().ID())
			return nil
		case errors.Is(err, ErrKeyMismatch):
			log.Error("auth-api key check failed: "+err.Error(), "problem", "key_mismatch")
			return err
		case !warned && time.Since(start) >= startupGrace:
			log.Warn("auth-api not reachable; will keep checking", "err", err, "for", time.Since(start).Round(time.Second).String())
			warned = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, interval)
	}
}
