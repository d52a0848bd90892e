package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwt-micro-system/shared/secretkey"

	"github.com/jwt-micro-system/auth-api/internal/bruteforce"
)

func TestMe(t *testing.T) {
	ts := newTestServer(t)
	tr := ts.login(t, "alice", alicePassword)

	w := ts.do(t, request{method: "GET", path: "/me", token: tr.AccessToken})
	if w.Code != 200 {
		t.Fatalf("got %d %s, want 200", w.Code, w.Body)
	}
	var claims map[string]any
	json.Unmarshal(w.Body.Bytes(), &claims)
	if claims["sub"] != "alice" || claims["role"] != "user" || claims["iss"] != "auth-api" || claims["exp"] == nil || claims["jti"] == "" {
		t.Errorf("got %v, want alice's verified claims", claims)
	}

	alg := func(m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		tok := jwt.NewWithClaims(m, claims)
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	now := ts.clock.Now()
	base := jwt.MapClaims{"sub": "alice", "role": "admin", "iss": "auth-api", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	withIss := jwt.MapClaims{"sub": "alice", "role": "admin", "iss": "someone-else", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	noExp := jwt.MapClaims{"sub": "alice", "role": "admin", "iss": "auth-api"}
	for _, tt := range []struct {
		name   string
		header string
	}{
		{"no header", ""},
		{"basic scheme", "Basic YWRtaW46eA=="},
		{"empty bearer", "Bearer "},
		{"garbage", "Bearer not.a.jwt"},
		{"huge", "Bearer " + strings.Repeat("A", 8000)},
		{"null bytes", "Bearer a\x00b.c\x00d.e"},
		{"alg none", "Bearer " + alg(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, base)},
		{"other key", "Bearer " + alg(jwt.SigningMethodHS256, []byte(otherSecret), base)},
		{"wrong issuer", "Bearer " + alg(jwt.SigningMethodHS256, []byte(testSecret), withIss)},
		{"no expiry", "Bearer " + alg(jwt.SigningMethodHS256, []byte(testSecret), noExp)},
		{"tampered payload", "Bearer " + tamper(tr.AccessToken)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := ts.do(t, request{method: "GET", path: "/me", header: map[string]string{"Authorization": tt.header}})
			checkError(t, w, 401, "invalid_token")
			if got := w.Header().Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
				t.Errorf("got WWW-Authenticate %q, want %q", got, `Bearer error="invalid_token"`)
			}
		})
	}

	t.Run("lower-case scheme", func(t *testing.T) {
		if w := ts.do(t, request{method: "GET", path: "/me", header: map[string]string{"Authorization": "bearer " + tr.AccessToken}}); w.Code != 200 {
			t.Errorf("got %d, want 200", w.Code)
		}
	})
	t.Run("expired", func(t *testing.T) {
		ts.clock.Advance(31 * time.Minute)
		w := ts.do(t, request{method: "GET", path: "/me", token: tr.AccessToken})
		checkError(t, w, 401, "invalid_token")
		if !strings.Contains(w.Body.String(), "expired") {
			t.Errorf("got %s, want a message about expiry", w.Body)
		}
	})
}

// tamper changes the role in a token's payload and keeps the signature.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	raw, _ := jwtDecode(parts[1])
	raw = []byte(strings.Replace(string(raw), `"role":"user"`, `"role":"admin"`, 1))
	parts[1] = jwtEncode(raw)
	return strings.Join(parts, ".")
}

func TestChangePassword(t *testing.T) {
	ts := newTestServer(t)
	tr := ts.login(t, "alice", alicePassword)
	body := func(cur, next string) string {
		return jsonBody(t, map[string]string{"current_password": cur, "new_password": next})
	}
	for _, tt := range []struct {
		name   string
		token  string
		body   string
		status int
		code   string
	}{
		{"no token", "", body(alicePassword, "new-password-1"), 401, "invalid_token"},
		{"wrong current password", tr.AccessToken, body("not-my-password", "new-password-1"), 403, "invalid_credentials"},
		{"new too short", tr.AccessToken, body(alicePassword, "short"), 400, "invalid_request"},
		{"new too long", tr.AccessToken, body(alicePassword, strings.Repeat("p", 73)), 400, "invalid_request"},
		{"new equals current", tr.AccessToken, body(alicePassword, alicePassword), 400, "invalid_request"},
		{"no current", tr.AccessToken, `{"new_password":"new-password-1"}`, 400, "invalid_request"},
		{"unknown field", tr.AccessToken, `{"current_password":"a","new_password":"b","password":"c"}`, 400, "unknown_field"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, ts.do(t, request{method: "POST", path: "/me/password", token: tt.token, body: tt.body}), tt.status, tt.code)
		})
	}
	for _, tt := range hostileBodies {
		t.Run("hostile/"+tt.name, func(t *testing.T) {
			checkError(t, ts.do(t, request{method: "POST", path: "/me/password", token: tr.AccessToken, body: tt.body, contentType: tt.contentType}), tt.status, "")
		})
	}

	w := ts.do(t, request{method: "POST", path: "/me/password", token: tr.AccessToken, body: body(alicePassword, "new-password-1")})
	if w.Code != 204 {
		t.Fatalf("change: got %d %s, want 204", w.Code, w.Body)
	}
	checkError(t, ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(tr.RefreshToken)}), 401, "invalid_refresh_token")
	checkError(t, ts.do(t, request{method: "POST", path: "/login", body: `{"username":"alice","password":"` + alicePassword + `"}`}), 401, "invalid_credentials")
	ts.login(t, "alice", "new-password-1")
}

// During a key rotation tokens signed with the previous key still work;
// new tokens are signed with the new key.
func TestKeyRotation(t *testing.T) {
	old := newTestServer(t)
	token := old.login(t, "alice", alicePassword).AccessToken

	rotated := newTestServer(t)
	keys, err := secretkey.NewKeys(otherSecret, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(rotated.log, rotated.cfg.Config, rotated.accounts, rotated.store, keys)
	if err != nil {
		t.Fatal(err)
	}
	rotated.Server, rotated.keys = s, keys
	if w := rotated.do(t, request{method: "GET", path: "/me", token: token}); w.Code != 200 {
		t.Errorf("old-key token during rotation: got %d %s, want 200", w.Code, w.Body)
	}
	fresh := rotated.login(t, "alice", alicePassword).AccessToken
	header, _ := jwtDecode(strings.Split(fresh, ".")[0])
	if !strings.Contains(string(header), keys.Current().ID()) {
		t.Errorf("new token header %s lacks the new kid %s", header, keys.Current().ID())
	}

	// Once the previous key is dropped, old tokens are refused.
	newOnly, _ := secretkey.NewKeys(otherSecret, "")
	s, err = NewServer(rotated.log, rotated.cfg.Config, rotated.accounts, rotated.store, newOnly)
	if err != nil {
		t.Fatal(err)
	}
	rotated.Server = s
	checkError(t, rotated.do(t, request{method: "GET", path: "/me", token: token}), 401, "invalid_token")
}

func TestChangePasswordBruteForce(t *testing.T) {
	ts := newTestServer(t, func(c *testConfig) { c.Limits = bruteforce.Limits{PerUsername: 2, PerAddress: 10, Window: time.Minute} })
	token := ts.login(t, "alice", alicePassword).AccessToken
	wrong := `{"current_password":"guess-password","new_password":"new-password-1"}`
	for range 2 {
		checkError(t, ts.do(t, request{method: "POST", path: "/me/password", token: token, body: wrong}), 403, "invalid_credentials")
	}
	w := ts.do(t, request{method: "POST", path: "/me/password", token: token, body: wrong})
	checkError(t, w, 429, "too_many_attempts")
	if w.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After header")
	}
}

func TestLogoutAll(t *testing.T) {
	ts := newTestServer(t)
	one := ts.login(t, "alice", alicePassword)
	two := ts.login(t, "alice", alicePassword)
	checkError(t, ts.do(t, request{method: "POST", path: "/me/logout-all"}), 401, "invalid_token")
	if w := ts.do(t, request{method: "POST", path: "/me/logout-all", token: one.AccessToken}); w.Code != 204 {
		t.Fatalf("got %d %s, want 204", w.Code, w.Body)
	}
	for _, rt := range []string{one.RefreshToken, two.RefreshToken} {
		w := ts.do(t, request{method: "POST", path: "/refresh", body: jsonBody(t, map[string]string{"refresh_token": rt})})
		checkError(t, w, 401, "invalid_refresh_token")
	}
	ts.login(t, "alice", alicePassword) // the password is unchanged
}
