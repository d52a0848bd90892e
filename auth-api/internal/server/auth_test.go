package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"

	"github.com/jwt-micro-system/shared/secretkey"

	"github.com/jwt-micro-system/auth-api/internal/bruteforce"
	"github.com/jwt-micro-system/auth-api/internal/decode"
)

// hostileBodies are sent to every JSON endpoint; each must get a JSON 4xx.
// (/login also takes the form body, as a login.)
var hostileBodies = []struct {
	name        string
	body        string
	contentType string
	status      int
	code        string
}{
	{"malformed JSON", `{"username":`, "", 400, "invalid_json"},
	{"not JSON at all", `hello`, "", 400, "invalid_json"},
	{"empty body", ``, "application/json", 400, "empty_body"},
	{"whitespace body", "  \n ", "", 400, "empty_body"},
	{"form body", `username=admin&password=x`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
	{"no content type", `{"username":"admin"}`, "-", 415, "unsupported_media_type"},
	{"array", `[]`, "", 400, "invalid_json"},
	{"string", `"admin"`, "", 400, "invalid_json"},
	{"wrong type", `{"username":123,"password":true}`, "", 400, "invalid_field"},
	{"unknown field", `{"username":"admin","password":"x","evil":1}`, "", 400, "unknown_field"},
	{"trailing data", `{"username":"admin"} {}`, "", 400, "invalid_json"},
	{"raw null byte", "{\"username\":\"ad\x00min\"}", "", 400, "invalid_json"},
	{"duplicate field", `{"username":"admin","username":"root"}`, "", 400, "duplicate_field"},
	{"case-variant field", `{"username":"admin","Username":"root"}`, "", 400, "duplicate_field"},
	{"2 MiB body", `{"username":"` + strings.Repeat("a", 2<<20) + `"}`, "", 413, "body_too_large"},
}

func TestLogin(t *testing.T) {
	ts := newTestServer(t)
	for _, tt := range []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"username", `{"username":"admin","password":"` + adminPassword + `"}`, 200, ""},
		{"user_id alias, as the seed sends it", `{"user_id":"alice","password":"` + alicePassword + `"}`, 200, ""},
		{"both names, equal", `{"username":"alice","user_id":"alice","password":"` + alicePassword + `"}`, 200, ""},
		{"name in another case", `{"username":"ALICE","password":"` + alicePassword + `"}`, 200, ""},
		{"role in request is ignored", `{"username":"alice","password":"` + alicePassword + `","role":"admin"}`, 200, ""},
		{"wrong password", `{"username":"alice","password":"wrong-password"}`, 401, "invalid_credentials"},
		{"unknown user", `{"username":"mallory","password":"wrong-password"}`, 401, "invalid_credentials"},
		// Issue 14 item 5: bcrypt cycles "password\x00", so these matched.
		{"NUL-joined repetition", `{"username":"alice","password":"` + alicePassword + `\u0000` + alicePassword + `"}`, 401, "invalid_credentials"},
		{"eight NULs for one", `{"username":"alice","password":"` + alicePassword + strings.Repeat(`\u0000`, 8) + `"}`, 401, "invalid_credentials"},
		{"control character", `{"username":"alice","password":"` + alicePassword + `\u001b"}`, 401, "invalid_credentials"},
		{"names differ", `{"username":"alice","user_id":"admin","password":"x"}`, 400, "invalid_request"},
		{"no username", `{"password":"x"}`, 400, "invalid_request"},
		{"no password", `{"username":"alice"}`, 400, "invalid_request"},
		{"null", `null`, 400, "invalid_request"},
		{"escaped null byte in name", `{"username":"al\u0000ice","password":"x"}`, 400, "invalid_request"},
		{"password over 72 bytes", `{"username":"alice","password":"` + strings.Repeat("p", 73) + `"}`, 400, "invalid_request"},
		{"name over 64 characters", `{"username":"` + strings.Repeat("a", 65) + `","password":"x"}`, 400, "invalid_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := ts.do(t, request{method: "POST", path: "/login", body: tt.body})
			if tt.status != 200 {
				checkError(t, w, tt.status, tt.code)
				return
			}
			if w.Code != 200 {
				t.Fatalf("got %d %s, want 200", w.Code, w.Body)
			}
			var tr tokenResponse
			if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil {
				t.Fatal(err)
			}
			if tr.TokenType != "Bearer" || tr.ExpiresIn != 1800 || tr.AccessToken == "" || tr.Token != tr.AccessToken || len(tr.RefreshToken) < 22 {
				t.Errorf("got %+v, want a Bearer pair with expires_in 1800 and token = access_token", tr)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("got Cache-Control %q, want no-store", cc)
			}
			claims, err := ts.verifier.Verify(tr.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			wantRole := "user"
			if strings.Contains(tt.body, "admin\",\"password") {
				wantRole = "admin"
			}
			if claims.Role != wantRole {
				t.Errorf("got role %q, want %q (from the store)", claims.Role, wantRole)
			}
		})
	}
	for _, tt := range hostileBodies {
		if tt.contentType == decode.FormType {
			continue // a login may be a form (form_test.go)
		}
		t.Run("hostile/"+tt.name, func(t *testing.T) {
			checkError(t, ts.do(t, request{method: "POST", path: "/login", body: tt.body, contentType: tt.contentType}), tt.status, tt.code)
		})
	}
}

// An unknown user and a wrong password get byte-for-byte the same answer.
func TestLoginDoesNotRevealUsers(t *testing.T) {
	ts := newTestServer(t)
	unknown := ts.do(t, request{method: "POST", path: "/login", body: `{"username":"nobody","password":"some-password"}`})
	wrong := ts.do(t, request{method: "POST", path: "/login", body: `{"username":"alice","password":"some-password"}`})
	if unknown.Code != wrong.Code || unknown.Body.String() != wrong.Body.String() {
		t.Errorf("unknown user got %d %s; wrong password got %d %s; want the same", unknown.Code, unknown.Body, wrong.Code, wrong.Body)
	}
}

// A token from /login verifies with nothing but HMAC-SHA256 and SECRET_KEY,
// as any standard HS256 library (the seed's PyJWT) would check it.
func TestTokenVerifiesWithPlainHMAC(t *testing.T) {
	ts := newTestServer(t)
	tr := ts.login(t, "admin", adminPassword)
	parts := strings.Split(tr.Token, ".")
	if len(parts) != 3 {
		t.Fatalf("got %d parts, want 3", len(parts))
	}
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if got, want := parts[2], base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Fatalf("got signature %q, want %q", got, want)
	}
	var header map[string]any
	var claims map[string]any
	for i, dst := range []any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	if header["alg"] != "HS256" || header["typ"] != "JWT" || header["kid"] != ts.keys.Current().ID() {
		t.Errorf("got header %v, want alg HS256, typ JWT, kid %s", header, ts.keys.Current().ID())
	}
	if claims["sub"] != "admin" || claims["role"] != "admin" || claims["iss"] != "auth-api" || claims["jti"] == "" {
		t.Errorf("got claims %v", claims)
	}
	iat, exp := claims["iat"].(float64), claims["exp"].(float64)
	if exp-iat != 1800 || int64(iat) != ts.clock.Now().Unix() {
		t.Errorf("got iat %v exp %v, want exp = iat + 1800 and iat = now", iat, exp)
	}
}

func refreshBody(token string) string { return `{"refresh_token":"` + token + `"}` }

func TestRefreshRotationAndReuse(t *testing.T) {
	ts := newTestServer(t)
	first := ts.login(t, "alice", alicePassword)

	w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(first.RefreshToken)})
	if w.Code != 200 {
		t.Fatalf("refresh: got %d %s", w.Code, w.Body)
	}
	var second tokenResponse
	json.Unmarshal(w.Body.Bytes(), &second)
	if second.RefreshToken == first.RefreshToken || second.Token != second.AccessToken || second.TokenType != "Bearer" {
		t.Errorf("got %+v, want a new pair", second)
	}
	if c, err := ts.verifier.Verify(second.AccessToken); err != nil || c.Subject != "alice" || c.Role != "user" {
		t.Errorf("new access token: %v, %v", c, err)
	}
	// Reusing the first token is theft as far as we can tell: the whole
	// family dies, including the second token.
	checkError(t, ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(first.RefreshToken)}), 401, "invalid_refresh_token")
	checkError(t, ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(second.RefreshToken)}), 401, "invalid_refresh_token")
	// Another session of the same user is not affected.
	other := ts.login(t, "alice", alicePassword)
	if w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(other.RefreshToken)}); w.Code != 200 {
		t.Errorf("independent session: got %d %s, want 200", w.Code, w.Body)
	}
}

func TestRefreshErrors(t *testing.T) {
	ts := newTestServer(t, func(c *testConfig) { c.Accounts.RefreshTokenTTL = time.Hour })
	expiring := ts.login(t, "alice", alicePassword)
	ts.clock.Advance(time.Hour)
	for _, tt := range []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"expired", refreshBody(expiring.RefreshToken), 401, "invalid_refresh_token"},
		{"unknown", refreshBody("bm90LWEtcmVhbC10b2tlbg"), 401, "invalid_refresh_token"},
		{"very long", refreshBody(strings.Repeat("x", 5000)), 401, "invalid_refresh_token"},
		{"missing", `{}`, 400, "invalid_request"},
		{"wrong type", `{"refresh_token":42}`, 400, "invalid_field"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, ts.do(t, request{method: "POST", path: "/refresh", body: tt.body}), tt.status, tt.code)
		})
	}
	for _, tt := range hostileBodies {
		t.Run("hostile/"+tt.name, func(t *testing.T) {
			checkError(t, ts.do(t, request{method: "POST", path: "/refresh", body: tt.body, contentType: tt.contentType}), tt.status, "")
		})
	}
}

// Many clients present the same refresh token at once: exactly one gets a
// new pair, every other gets 401, nobody gets a 500.
func TestConcurrentRefresh(t *testing.T) {
	ts := newTestServer(t)
	tr := ts.login(t, "alice", alicePassword)
	const n = 24
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			codes[i] = ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(tr.RefreshToken)}).Code
		})
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 401:
		default:
			t.Errorf("got status %d, want 200 or 401", c)
		}
	}
	if ok != 1 {
		t.Errorf("got %d successful refreshes, want exactly 1", ok)
	}
}

func TestLogout(t *testing.T) {
	ts := newTestServer(t)
	tr := ts.login(t, "alice", alicePassword)
	// Rotate once so the family has two tokens; logging out with the
	// current one revokes the family.
	w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(tr.RefreshToken)})
	var next tokenResponse
	json.Unmarshal(w.Body.Bytes(), &next)

	if w := ts.do(t, request{method: "POST", path: "/logout", body: refreshBody(next.RefreshToken)}); w.Code != 204 || w.Body.Len() != 0 {
		t.Fatalf("logout: got %d %q, want 204 and no body", w.Code, w.Body)
	}
	checkError(t, ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(next.RefreshToken)}), 401, "invalid_refresh_token")
	for _, tt := range []struct {
		name   string
		body   string
		status int
	}{
		{"again", refreshBody(next.RefreshToken), 204},
		{"unknown token", refreshBody("unknown"), 204},
		{"huge token", refreshBody(strings.Repeat("x", 1000)), 204},
		{"missing token", `{}`, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := ts.do(t, request{method: "POST", path: "/logout", body: tt.body})
			if tt.status != 204 {
				checkError(t, w, tt.status, "invalid_request")
			} else if w.Code != 204 {
				t.Errorf("got %d %s, want 204", w.Code, w.Body)
			}
		})
	}
	for _, tt := range hostileBodies {
		t.Run("hostile/"+tt.name, func(t *testing.T) {
			checkError(t, ts.do(t, request{method: "POST", path: "/logout", body: tt.body, contentType: tt.contentType}), tt.status, "")
		})
	}
}

func TestBruteForceLimits(t *testing.T) {
	limits := func(c *testConfig) { c.Limits = bruteforce.Limits{PerUsername: 3, PerAddress: 6, Window: time.Minute} }
	wrong := func(user string) string { return `{"username":"` + user + `","password":"wrong-password"}` }
	right := `{"username":"alice","password":"` + alicePassword + `"}`

	t.Run("per username, from any address", func(t *testing.T) {
		ts := newTestServer(t, limits)
		for i := range 3 {
			checkError(t, ts.do(t, request{method: "POST", path: "/login", body: wrong("alice"), remote: "198.51.100." + string(rune('1'+i))}), 401, "invalid_credentials")
		}
		// Locked, even with the right password and from a new address.
		w := ts.do(t, request{method: "POST", path: "/login", body: right, remote: "203.0.113.9"})
		checkError(t, w, 429, "too_many_attempts")
		if ra := w.Header().Get("Retry-After"); ra != "60" {
			t.Errorf("got Retry-After %q, want 60", ra)
		}
		// Another account is not locked out.
		ts.login(t, "admin", adminPassword)
		// The window passes; the right password works again.
		ts.clock.Advance(time.Minute)
		if w := ts.do(t, request{method: "POST", path: "/login", body: right, remote: "203.0.113.9"}); w.Code != 200 {
			t.Errorf("after the window: got %d %s, want 200", w.Code, w.Body)
		}
	})

	t.Run("per address, across usernames", func(t *testing.T) {
		ts := newTestServer(t, limits)
		for i := range 6 {
			checkError(t, ts.do(t, request{method: "POST", path: "/login", body: wrong("user" + string(rune('a'+i)))}), 401, "invalid_credentials")
		}
		// X-Forwarded-For is not believed from an untrusted peer.
		w := ts.do(t, request{method: "POST", path: "/login", body: right, header: map[string]string{"X-Forwarded-For": "203.0.113.50"}})
		checkError(t, w, 429, "too_many_attempts")
		if w.Header().Get("Retry-After") == "" {
			t.Error("no Retry-After header")
		}
		// A legitimate user elsewhere is not affected.
		if w := ts.do(t, request{method: "POST", path: "/login", body: right, remote: "203.0.113.7"}); w.Code != 200 {
			t.Errorf("other address: got %d %s, want 200", w.Code, w.Body)
		}
	})

	t.Run("success forgives the username", func(t *testing.T) {
		ts := newTestServer(t, limits)
		for range 2 {
			ts.do(t, request{method: "POST", path: "/login", body: wrong("alice"), remote: "198.51.100.1"})
		}
		ts.login(t, "alice", alicePassword)
		for range 2 {
			checkError(t, ts.do(t, request{method: "POST", path: "/login", body: wrong("alice"), remote: "198.51.100.2"}), 401, "invalid_credentials")
		}
	})

	t.Run("trusted proxy", func(t *testing.T) {
		ts := newTestServer(t, limits, func(c *testConfig) { c.TrustedProxies = []string{testRemoteAddr} })
		for i := range 6 {
			ts.do(t, request{method: "POST", path: "/login", body: wrong("user" + string(rune('a'+i))), header: map[string]string{"X-Forwarded-For": "198.51.100.1"}})
		}
		checkError(t, ts.do(t, request{method: "POST", path: "/login", body: right, header: map[string]string{"X-Forwarded-For": "198.51.100.1"}}), 429, "too_many_attempts")
		if w := ts.do(t, request{method: "POST", path: "/login", body: right, header: map[string]string{"X-Forwarded-For": "198.51.100.2"}}); w.Code != 200 {
			t.Errorf("another client behind the proxy: got %d %s, want 200", w.Code, w.Body)
		}
	})

	t.Run("parallel guesses cannot pass the limit", func(t *testing.T) {
		ts := newTestServer(t, limits)
		var wg sync.WaitGroup
		var mu sync.Mutex
		counts := map[int]int{}
		for range 20 {
			wg.Go(func() {
				c := ts.do(t, request{method: "POST", path: "/login", body: wrong("alice"), remote: "198.51.100.3"}).Code
				mu.Lock()
				counts[c]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if counts[401] != 3 || counts[429] != 17 {
			t.Errorf("got %v, want 3×401 and 17×429", counts)
		}
	})
}

func TestUnusedKeysAreRejected(t *testing.T) {
	ts := newTestServer(t)
	other, err := secretkey.NewKeys(otherSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	iss, _ := jwtauth.NewIssuer(other, jwtauth.IssuerConfig{TTL: time.Minute})
	forged, _, _ := iss.Issue("admin", "admin")
	w := ts.do(t, request{method: "GET", path: "/users", token: forged})
	checkError(t, w, 401, "invalid_token")
}

// Rotation does not extend a session: the family expires
// REFRESH_TOKEN_TTL after the login.
func TestRefreshFamilyExpiryIsAbsolute(t *testing.T) {
	ts := newTestServer(t, func(c *testConfig) { c.Accounts.RefreshTokenTTL = 10 * time.Hour })
	refresh := ts.login(t, "alice", alicePassword).RefreshToken
	for range 3 {
		ts.clock.Advance(3 * time.Hour)
		w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(refresh)})
		if w.Code != 200 {
			t.Fatalf("refresh within the lifetime: got %d %s", w.Code, w.Body)
		}
		var tr tokenResponse
		json.Unmarshal(w.Body.Bytes(), &tr)
		refresh = tr.RefreshToken
	}
	ts.clock.Advance(time.Hour) // 10 hours after the login
	checkError(t, ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(refresh)}), 401, "invalid_refresh_token")
}

// Within the reuse interval, concurrent refreshes of one token all get the
// same successor (a browser's parallel requests, several frontend
// replicas); later, the replaced token revokes the family.
func TestRefreshReuseInterval(t *testing.T) {
	ts := newTestServer(t, func(c *testConfig) { c.Accounts.ReuseInterval = 30 * time.Second })
	tr := ts.login(t, "alice", alicePassword)
	const n = 12
	got := make([]tokenResponse, n)
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(tr.RefreshToken)})
			codes[i] = w.Code
			json.Unmarshal(w.Body.Bytes(), &got[i])
		})
	}
	wg.Wait()
	for i := range n {
		if codes[i] != 200 || got[i].RefreshToken != got[0].RefreshToken || got[i].AccessToken == "" {
			t.Errorf("refresh %d: got %d, refresh token %.10q…; want 200 and the one successor", i, codes[i], got[i].RefreshToken)
		}
	}
	ts.clock.Advance(30 * time.Second)
	checkError(t, ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(tr.RefreshToken)}), 401, "invalid_refresh_token")
	checkError(t, ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(got[0].RefreshToken)}), 401, "invalid_refresh_token")
}

// Issue 14.2: a loop of refreshes gets 429 with Retry-After, per family and
// per client address (an IPv6 client by its /64).
func TestRefreshRateLimits(t *testing.T) {
	t.Run("per family", func(t *testing.T) {
		ts := newTestServer(t, func(c *testConfig) { c.Accounts.RefreshLimit = 3 })
		rt := ts.login(t, "alice", alicePassword).RefreshToken
		for i := range 3 {
			w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(rt)})
			if w.Code != 200 {
				t.Fatalf("refresh %d: got %d %s", i, w.Code, w.Body)
			}
			var tr tokenResponse
			json.Unmarshal(w.Body.Bytes(), &tr)
			rt = tr.RefreshToken
		}
		w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(rt)})
		checkError(t, w, 429, "too_many_requests")
		if ra := w.Header().Get("Retry-After"); ra != "60" {
			t.Errorf("got Retry-After %q, want 60", ra)
		}
		// Another session of the same user is not affected; after the
		// window the token (still current) works.
		other := ts.login(t, "alice", alicePassword).RefreshToken
		if w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(other)}); w.Code != 200 {
			t.Errorf("another family: got %d", w.Code)
		}
		ts.clock.Advance(time.Minute)
		if w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(rt)}); w.Code != 200 {
			t.Errorf("after the window: got %d %s", w.Code, w.Body)
		}
	})
	t.Run("per address", func(t *testing.T) {
		ts := newTestServer(t, func(c *testConfig) {
			c.Limits = bruteforce.Limits{RefreshPerAddress: 4, RefreshWindow: time.Minute}
		})
		for i := range 4 {
			// Unknown tokens count too: the limit is on requests.
			if w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody("nope"), remote: "[2001:db8:1:2::" + strconv.Itoa(i+1) + "]"}); w.Code != 401 {
				t.Fatalf("request %d: got %d", i, w.Code)
			}
		}
		w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody("nope"), remote: "[2001:db8:1:2::99]"})
		checkError(t, w, 429, "too_many_requests")
		if w.Header().Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
		rt := ts.login(t, "alice", alicePassword).RefreshToken
		if w := ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(rt), remote: "[2001:db8:1:3::1]"}); w.Code != 200 {
			t.Errorf("another /64: got %d", w.Code)
		}
	})
}
