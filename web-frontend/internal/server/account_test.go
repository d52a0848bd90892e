package server

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jwt-micro-system/web-frontend/internal/pages"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

func TestAccountPage(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	w := e.do(t, get("/account", ck))
	if w.Code != http.StatusOK {
		t.Fatalf("got %d, want 200", w.Code)
	}
	for _, want := range []string{`id="account-user">bob<`, `action="/account/password"`, `name="current_password"`,
		`name="new_password"`, `name="confirmation"`, `action="/account/logout-all"`, "Sign out everywhere",
		`id="nav-account" aria-current="page"`, "<title>Your account ·"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	e.wantLoginRedirect(t, e.do(t, get("/account")), false)
}

// Issue 15: the account page says when the user has to sign in again:
// the refresh family's expiry, from auth-api's refresh_expires_in, kept in
// the cookie and never moved by a renewal. An auth-api that does not say
// (older) or a cookie of the previous format leaves the line out.
func TestAccountSaysWhenToSignInAgain(t *testing.T) {
	const day = 24 * time.Hour
	for _, tt := range []struct {
		name      string
		familyTTL time.Duration // 0: auth-api does not send refresh_expires_in
		advance   time.Duration // after the login, past renewals
		lang      string
		want      string // "": no line
	}{
		{name: "30 days", familyTTL: 30 * day, want: "You will have to sign in again in 30 days."},
		{name: "Japanese", familyTTL: 30 * day, lang: "ja", want: "30日後にもう一度ログインが必要です。"},
		{name: "after renewals the expiry stays", familyTTL: 2 * day, advance: 25 * time.Hour, want: "You will have to sign in again in 23 hours."},
		{name: "older auth-api"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envConfig{})
			e.fake.familyTTL = tt.familyTTL
			start := e.clock.Now()
			ck := e.login(t, "bob")
			for left := tt.advance; left > 0; left -= tokenTTL {
				e.clock.Advance(min(left, tokenTTL))
				if w := e.do(t, get("/account", ck)); w.Code != http.StatusOK {
					t.Fatalf("renewing: got %d", w.Code)
				} else if c := e.sessionCookie(w); c != nil {
					ck = c
				}
			}
			r := get("/account", ck)
			if tt.lang != "" {
				r.Header.Set("Accept-Language", tt.lang)
			}
			body := e.do(t, r).Body.String()
			if tt.want == "" {
				if strings.Contains(body, `id="sign-in-again"`) {
					t.Errorf("the page names an expiry it does not know:\n%s", body)
				}
				return
			}
			iso := start.Add(tt.familyTTL).UTC().Format(time.RFC3339)
			for _, want := range []string{`id="sign-in-again">` + tt.want, `<time datetime="` + iso + `" data-local>`} {
				if !strings.Contains(body, want) {
					t.Errorf("account page lacks %q", want)
				}
			}
		})
	}
}

// A cookie of the previous format (version 1, before the expiry was kept)
// still signs in; the page leaves the line out.
func TestAccountWithPreviousCookieFormat(t *testing.T) {
	e := newEnv(t, envConfig{})
	e.fake.familyTTL = 30 * 24 * time.Hour
	s, err := e.codec.Decode(e.login(t, "bob").Value)
	if err != nil {
		t.Fatal(err)
	}
	old := &http.Cookie{Name: e.codec.Name(), Value: sealV1(t, e, s)}
	w := e.do(t, get("/account", old))
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `id="sign-in-again"`) {
		t.Errorf("got %d, sign-in-again shown: %v; want 200 without it", w.Code, strings.Contains(w.Body.String(), `id="sign-in-again"`))
	}
}

func TestChangePassword(t *testing.T) {
	form := func(current, next, again string) url.Values {
		return url.Values{"current_password": {current}, "new_password": {next}, "confirmation": {again}}
	}
	for _, tt := range []struct {
		name      string
		form      url.Values
		status    int
		field     string // the input marked invalid
		wantText  string
		unchanged bool
	}{
		{"nothing filled", form("", "", ""), 400, "current_password", "Enter your current password.", true},
		{"no confirmation", form("bob-password", "bob-password-2", ""), 400, "confirmation", "Enter the new password again.", true},
		{"confirmation differs", form("bob-password", "bob-password-2", "bob-password-3"), 400, "confirmation", "do not match", true},
		{"wrong current password", form("not-bobs", "bob-password-2", "bob-password-2"), 403, "current_password", "That is not your current password.", true},
		{"weak new password", form("bob-password", "short", "short"), 400, "new_password", "at least 8 characters", true},
		{"same as before", form("bob-password", "bob-password", "bob-password"), 400, "new_password", "must differ", true},
		{"success", form("bob-password", "bob-password-2", "bob-password-2"), 303, "", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envConfig{})
			ck := e.login(t, "bob")
			other := e.login(t, "bob")
			w := e.do(t, postForm("/account/password", tt.form, ck))
			if w.Code != tt.status {
				t.Fatalf("got %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.field != "" {
				body := w.Body.String()
				for _, want := range []string{`id="` + tt.field + `"`, `aria-invalid="true" aria-describedby="` + tt.field + `-error`,
					`id="` + tt.field + `-error">` + "", tt.wantText, "<title>Error: Your account"} {
					if !strings.Contains(body, want) {
						t.Errorf("the page lacks %q", want)
					}
				}
				if strings.Contains(body, "bob-password") || strings.Contains(body, "not-bobs") {
					t.Error("a password is echoed in the page")
				}
			}
			e.fake.mu.Lock()
			pw := e.fake.users["bob"][0]
			e.fake.mu.Unlock()
			if changed := pw != "bob-password"; changed == tt.unchanged {
				t.Fatalf("password changed: %v, want %v", changed, !tt.unchanged)
			}
			if tt.unchanged {
				return
			}
			// This session continues with a new cookie; the other one's
			// refresh token is revoked.
			if loc := w.Header().Get("Location"); loc != "/account?done=password" {
				t.Errorf("got Location %q", loc)
			}
			fresh := e.sessionCookie(w)
			if fresh == nil || fresh.Value == "" || fresh.Value == ck.Value {
				t.Fatal("no new session cookie after the change")
			}
			if w := e.do(t, get("/account?done=password", fresh)); !strings.Contains(w.Body.String(), "Your password was changed.") {
				t.Errorf("no confirmation on the account page: %d", w.Code)
			}
			s, _ := e.codec.Decode(other.Value)
			if !e.fake.familyRevoked(s.RefreshToken) {
				t.Error("the other session's refresh token was not revoked")
			}
			s, _ = e.codec.Decode(fresh.Value)
			if e.fake.familyRevoked(s.RefreshToken) {
				t.Error("this session's new refresh token is revoked")
			}
		})
	}
}

func TestLogoutAll(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	other := e.login(t, "bob")
	w := e.do(t, postForm("/account/logout-all", nil, ck))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?msg="+pages.MsgLoggedOutAll {
		t.Fatalf("got %d %q", w.Code, w.Header().Get("Location"))
	}
	if c := e.sessionCookie(w); c == nil || c.MaxAge >= 0 {
		t.Error("this session's cookie was not cleared")
	}
	for _, c := range []string{ck.Value, other.Value} {
		s, _ := e.codec.Decode(c)
		if !e.fake.familyRevoked(s.RefreshToken) {
			t.Error("a session's refresh token was not revoked")
		}
	}
	if body := e.do(t, get("/login?msg="+pages.MsgLoggedOutAll)).Body.String(); !strings.Contains(body, "You have signed out everywhere.") {
		t.Error("the login page does not say so")
	}
}

// sealV1 seals s as web-frontend sealed cookies before version 2, written
// out here so the old format stays pinned: version byte 1, the uvarint
// length of the access token, both tokens, AES-256-GCM with a random
// nonce under the cookie key.
func sealV1(tb testing.TB, e *env, s session.Session) string {
	tb.Helper()
	key, err := e.keys.Derive(session.Purpose, 32)
	if err != nil {
		tb.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		tb.Fatal(err)
	}
	plain := binary.AppendUvarint(nil, uint64(len(s.AccessToken)))
	plain = append(append(plain, s.AccessToken...), s.RefreshToken...)
	sealed := aead.Seal([]byte{1}, nil, plain, []byte("jwt-micro-system/web-frontend/session/v1"))
	return base64.RawURLEncoding.EncodeToString(sealed)
}
