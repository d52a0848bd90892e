package authclient

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/shared/servicetest"
)

// Test secrets are fresh for every run, as the secret policy wants them.
var testSecret, otherSecret = servicetest.NewSecret(), servicetest.NewSecret()

// stubAuth answers TokenKey only.
type stubAuth struct {
	key TokenKey
	err error
}

func (s stubAuth) TokenKey(context.Context) (TokenKey, error) { return s.key, s.err }

func TestCheckKeys(t *testing.T) {
	ks, _ := secretkey.NewKeys(testSecret, "")
	rotating, _ := secretkey.NewKeys(testSecret, otherSecret)
	other, _ := secretkey.NewKeys(otherSecret, "")
	kid, otherKID := ks.Current().ID(), other.Current().ID()
	tests := []struct {
		name string
		keys *secretkey.Keys
		aud  string
		stub stubAuth
		want error
		msg  string
	}{
		{"match", ks, "", stubAuth{key: TokenKey{Alg: "HS256", KeyID: kid, Issuer: "auth-api"}}, nil, ""},
		{"auth-api still on our previous key", rotating, "", stubAuth{key: TokenKey{KeyID: otherKID, Issuer: "auth-api"}}, nil, ""},
		{"different key", ks, "", stubAuth{key: TokenKey{KeyID: otherKID, Issuer: "auth-api"}}, ErrKeyMismatch, "SECRET_KEY differs"},
		{"different issuer", ks, "", stubAuth{key: TokenKey{KeyID: kid, Issuer: "someone"}}, ErrKeyMismatch, "ISSUER differs"},
		{"different audience", ks, "app", stubAuth{key: TokenKey{KeyID: kid, Issuer: "auth-api"}}, ErrKeyMismatch, "JWT_AUDIENCE differs"},
		{"other algorithm", ks, "", stubAuth{key: TokenKey{Alg: "RS256", KeyID: kid}}, ErrKeyMismatch, "HS256"},
		{"unreachable", ks, "", stubAuth{err: ErrUnavailable}, ErrUnavailable, ""},
		{"no endpoint", ks, "", stubAuth{err: &Error{Status: 404}}, ErrUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckKeys(context.Background(), tt.stub, Expect{Keys: tt.keys, Issuer: "auth-api", Audience: tt.aud})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want %v mentioning %q", err, tt.want, tt.msg)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), otherSecret) {
				t.Error("the error reveals a key")
			}
		})
	}
}

func TestWatchKeys(t *testing.T) {
	ks, _ := secretkey.NewKeys(testSecret, "")
	other, _ := secretkey.NewKeys(otherSecret, "")
	var logs strings.Builder // WatchKeys logs from this goroutine only
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	opts := Expect{Keys: ks, Issuer: "auth-api"}

	err := WatchKeys(context.Background(), log, stubAuth{key: TokenKey{KeyID: other.Current().ID(), Issuer: "auth-api"}}, opts, time.Millisecond)
	if !errors.Is(err, ErrKeyMismatch) || !strings.Contains(logs.String(), `"level":"ERROR"`) || !strings.Contains(logs.String(), "SECRET_KEY differs") {
		t.Errorf("mismatch: got %v, logs %s", err, logs.String())
	}
	if err := WatchKeys(context.Background(), log, stubAuth{key: TokenKey{KeyID: ks.Current().ID(), Issuer: "auth-api"}}, opts, time.Millisecond); err != nil {
		t.Errorf("match: got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WatchKeys(ctx, log, stubAuth{err: ErrUnavailable}, opts, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("unreachable then cancelled: got %v", err)
	}
}

// flakyAuth is unreachable for its first down calls, then answers key.
type flakyAuth struct {
	down  int
	calls int
	key   TokenKey
}

func (f *flakyAuth) TokenKey(context.Context) (TokenKey, error) {
	f.calls++
	if f.calls <= f.down {
		return TokenKey{}, ErrUnavailable
	}
	return f.key, nil
}

// TestWatchKeysStartup: an auth-api that comes up a moment after this
// service is found quickly (the pauses start short and double) and without
// a warning; one that stays away past startupGrace is warned about once.
func TestWatchKeysStartup(t *testing.T) {
	ks, _ := secretkey.NewKeys(testSecret, "")
	opts := Expect{Keys: ks, Issuer: "auth-api"}
	key := TokenKey{KeyID: ks.Current().ID(), Issuer: "auth-api"}
	tests := []struct {
		name     string
		down     int
		maxWait  time.Duration // the check passes within this (fake) time
		wantWarn bool
	}{
		{"up at once", 0, 0, false},
		{"up after three tries", 3, 400 * time.Millisecond, false}, // 50+100+200 ms
		{"away for a minute", 32, 70 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var logs strings.Builder
				log := slog.New(slog.NewJSONHandler(&logs, nil))
				auth := &flakyAuth{down: tt.down, key: key}
				start := time.Now()
				if err := WatchKeys(t.Context(), log, auth, opts, 2*time.Second); err != nil {
					t.Fatalf("got %v", err)
				}
				if took := time.Since(start); took > tt.maxWait {
					t.Errorf("passed after %s of fake time, want within %s", took, tt.maxWait)
				}
				if got := strings.Count(logs.String(), "not reachable"); got != map[bool]int{false: 0, true: 1}[tt.wantWarn] {
					t.Errorf("%d warnings, want warned=%v; logs %s", got, tt.wantWarn, logs.String())
				}
			})
		})
	}
}
