package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/web-frontend/internal/authclient"
)

// stubAuth answers TokenKey only.
type stubAuth struct {
	AuthAPI
	key authclient.TokenKey
	err error
}

func (s stubAuth) TokenKey(context.Context) (authclient.TokenKey, error) { return s.key, s.err }

func TestCheckAuthAPI(t *testing.T) {
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
		{"match", ks, "", stubAuth{key: authclient.TokenKey{Alg: "HS256", KeyID: kid, Issuer: "auth-api"}}, nil, ""},
		{"auth-api still on our previous key", rotating, "", stubAuth{key: authclient.TokenKey{KeyID: otherKID, Issuer: "auth-api"}}, nil, ""},
		{"different key", ks, "", stubAuth{key: authclient.TokenKey{KeyID: otherKID, Issuer: "auth-api"}}, ErrKeyMismatch, "SECRET_KEY differs"},
		{"different issuer", ks, "", stubAuth{key: authclient.TokenKey{KeyID: kid, Issuer: "someone"}}, ErrKeyMismatch, "ISSUER differs"},
		{"different audience", ks, "app", stubAuth{key: authclient.TokenKey{KeyID: kid, Issuer: "auth-api"}}, ErrKeyMismatch, "JWT_AUDIENCE differs"},
		{"other algorithm", ks, "", stubAuth{key: authclient.TokenKey{Alg: "RS256", KeyID: kid}}, ErrKeyMismatch, "HS256"},
		{"unreachable", ks, "", stubAuth{err: authclient.ErrUnavailable}, authclient.ErrUnavailable, ""},
		{"no endpoint", ks, "", stubAuth{err: &authclient.Error{Status: 404}}, authclient.ErrUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAuthAPI(context.Background(), tt.stub, Options{Keys: tt.keys, Issuer: "auth-api", Audience: tt.aud})
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

func TestReadyz(t *testing.T) {
	e := newEnv(t, envConfig{})
	if w := e.do(t, get("/readyz")); w.Code != http.StatusOK {
		t.Errorf("matching keys: got %d, want 200", w.Code)
	}
	if w := e.do(t, get("/healthz")); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"ok"`) {
		t.Errorf("healthz: got %d %s", w.Code, w.Body)
	}

	mismatch := newEnv(t, envConfig{authSecret: otherSecret})
	w := mismatch.do(t, get("/readyz"))
	var body map[string]string
	if w.Code != http.StatusServiceUnavailable || json.Unmarshal(w.Body.Bytes(), &body) != nil || body["error"] != "key_mismatch" {
		t.Errorf("mismatched keys: got %d %s", w.Code, w.Body)
	}
	if !strings.Contains(mismatch.logs.String(), "SECRET_KEY differs") {
		t.Error("mismatch not logged")
	}

	e.authSrv.Close()
	w = e.do(t, get("/readyz"))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "auth_api_unreachable") {
		t.Errorf("auth-api down: got %d %s", w.Code, w.Body)
	}
	if w := e.do(t, get("/healthz")); w.Code != http.StatusOK {
		t.Errorf("healthz with auth-api down: got %d, want 200", w.Code)
	}
}

func TestWatchAuthAPI(t *testing.T) {
	ks, _ := secretkey.NewKeys(testSecret, "")
	other, _ := secretkey.NewKeys(otherSecret, "")
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	opts := Options{Keys: ks, Issuer: "auth-api"}

	err := WatchAuthAPI(context.Background(), log, stubAuth{key: authclient.TokenKey{KeyID: other.Current().ID(), Issuer: "auth-api"}}, opts, time.Millisecond)
	if !errors.Is(err, ErrKeyMismatch) || !strings.Contains(logs.String(), `"level":"ERROR"`) || !strings.Contains(logs.String(), "SECRET_KEY differs") {
		t.Errorf("mismatch: got %v, logs %s", err, logs.String())
	}
	if err := WatchAuthAPI(context.Background(), log, stubAuth{key: authclient.TokenKey{KeyID: ks.Current().ID(), Issuer: "auth-api"}}, opts, time.Millisecond); err != nil {
		t.Errorf("match: got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WatchAuthAPI(ctx, log, stubAuth{err: authclient.ErrUnavailable}, opts, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("unreachable then cancelled: got %v", err)
	}
	if !strings.Contains(logs.String(), "not reachable yet") {
		t.Error("unreachable auth-api not logged")
	}
}
