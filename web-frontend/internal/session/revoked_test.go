package session

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/revocation"
	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/web-frontend/internal/authclient"
)

// refusingAuth is an auth-api that refuses every refresh, as auth-api does
// for a revoked family.
type refusingAuth struct{}

func (refusingAuth) Refresh(context.Context, string) (authclient.Tokens, error) {
	return authclient.Tokens{}, &authclient.Error{Status: http.StatusUnauthorized, Code: "invalid_refresh_token"}
}
func (refusingAuth) Logout(context.Context, string) error { return nil }

// A revoked session's cookies are all refused and cleared, the older ones
// too, at once and without asking auth-api; other sessions go on.
func TestLoadRefusesRevokedSessions(t *testing.T) {
	keys, err := secretkey.NewKeys(testSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	clk := newTestClock()
	set := revocation.NewSet()
	v, err := jwtauth.NewVerifier(keys, jwtauth.VerifierConfig{Leeway: jwtauth.MaxLeeway, Now: clk.Now, Revocations: set})
	if err != nil {
		t.Fatal(err)
	}
	is, err := jwtauth.NewIssuer(keys, jwtauth.IssuerConfig{TTL: tokenTTL, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	codec, err := NewCodec(keys, true)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	m, err := NewManager(slog.New(slog.NewJSONHandler(io.Discard, nil)), codec, v, refusingAuth{},
		Options{Now: clk.Now, Observe: func(o, r string) { outcomes = append(outcomes, o+"/"+r) }})
	if err != nil {
		t.Fatal(err)
	}
	cookie := func(sid string) *http.Cookie {
		tok, _, err := is.IssueSession("bob", "user", sid)
		if err != nil {
			t.Fatal(err)
		}
		val, err := codec.Encode(Session{AccessToken: tok, RefreshToken: "rt-" + sid})
		if err != nil {
			t.Fatal(err)
		}
		return &http.Cookie{Name: codec.Name(), Value: val}
	}
	older := cookie("s1")
	clk.Advance(time.Minute)
	newer := cookie("s1")
	other := cookie("s2")
	load := func(c *http.Cookie) (*http.Cookie, error) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(c)
		w := httptest.NewRecorder()
		_, err := m.Load(w, r)
		for _, set := range w.Result().Cookies() {
			if set.Name == codec.Name() {
				return set, err
			}
		}
		return nil, err
	}
	for _, c := range []*http.Cookie{older, newer, other} {
		if _, err := load(c); err != nil {
			t.Fatalf("before the revocation: %v", err)
		}
	}
	set.Add(revocation.Entry{SessionID: "s1", ExpiresAt: clk.Now().Add(time.Hour)})
	outcomes = nil
	for _, tt := range []struct {
		name    string
		c       *http.Cookie
		refused bool
	}{{"the newest cookie", newer, true}, {"an older cookie", older, true}, {"another session", other, false}} {
		set, err := load(tt.c)
		switch {
		case tt.refused && (!errors.Is(err, ErrExpired) || set == nil || set.MaxAge >= 0):
			t.Errorf("%s: got %v, cookie %v; want ErrExpired and the cookie cleared", tt.name, err, set)
		case !tt.refused && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	if want := []string{"invalid/revoked", "invalid/revoked", "ok/"}; len(outcomes) != 3 || outcomes[0] != want[0] || outcomes[1] != want[1] || outcomes[2] != want[2] {
		t.Errorf("outcomes %v, want %v", outcomes, want)
	}
}
