package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Issue 14 item 9: /api/me names no verifier reason to the client (auth-api
// does not either); the reason goes to the log.
func TestBearerRefusalNamesNoReason(t *testing.T) {
	e := newEnv(t, envConfig{})
	for _, tt := range []struct{ name, token, reason string }{
		{"alg none", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJib2IiLCJyb2xlIjoiYWRtaW4ifQ.", "bad_algorithm"},
		{"garbage", "garbage", "malformed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := get("/api/me")
			r.Header.Set("Authorization", "Bearer "+tt.token)
			w := e.do(t, r)
			var body map[string]string
			if w.Code != http.StatusUnauthorized || json.Unmarshal(w.Body.Bytes(), &body) != nil {
				t.Fatalf("got %d %s, want a 401 JSON body", w.Code, w.Body)
			}
			if strings.Contains(body["message"], "(") || strings.Contains(body["message"], tt.reason) || strings.Contains(body["message"], "algorithm") {
				t.Errorf("message %q names the verifier's reason", body["message"])
			}
		})
	}
	if !strings.Contains(e.logs.String(), `"reason":"bad_algorithm"`) {
		t.Errorf("the reason is not in the log: %s", e.logs)
	}
}

// Issue 14 item 9: Strict-Transport-Security when the site runs on https.
func TestHSTS(t *testing.T) {
	for _, tt := range []struct {
		insecure bool
		want     string
	}{
		{false, "max-age=31536000"},
		{true, ""},
	} {
		e := newEnv(t, envConfig{insecure: tt.insecure})
		for _, path := range []string{"/login", "/healthz", "/api/me", "/nowhere"} {
			if got := e.do(t, get(path)).Header().Get("Strict-Transport-Security"); got != tt.want {
				t.Errorf("COOKIE_SECURE=%v %s: got %q, want %q", !tt.insecure, path, got, tt.want)
			}
		}
	}
}

// Issue 14 item 8: over plain http the cookie is not the "session" other
// apps on the host use; a second real session next to ours (planted by a
// sibling app under a more specific path, to log the victim into the
// planter's account) ends the session instead of winning.
func TestCookiePlanting(t *testing.T) {
	e := newEnv(t, envConfig{insecure: true})
	victim := e.login(t, "bob")
	planted := e.login(t, "alice")
	if victim.Name != "jwtms_session" {
		t.Errorf("got cookie name %q over http, want jwtms_session", victim.Name)
	}
	for _, order := range [][]*http.Cookie{{planted, victim}, {victim, planted}} {
		w := e.do(t, get("/api/me", order...))
		if w.Code != http.StatusUnauthorized {
			t.Errorf("two sessions: got %d %s, want 401", w.Code, w.Body)
		}
		if ck := e.sessionCookie(w); ck == nil || ck.MaxAge >= 0 {
			t.Errorf("two sessions: the cookie was not cleared (%v)", ck)
		}
	}
	// Another app's cookie called "session" is none of our business.
	w := e.do(t, get("/api/me", &http.Cookie{Name: "session", Value: "other-app"}, victim))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "bob") {
		t.Errorf("with another app's cookie: got %d %s, want bob's session", w.Code, w.Body)
	}
	secure := newEnv(t, envConfig{})
	if ck := secure.login(t, "bob"); ck.Name != "__Host-jwtms_session" || !ck.Secure {
		t.Errorf("COOKIE_SECURE=true: got %s, want a Secure __Host- cookie", ck)
	}
}

// Issue 14 item 6: DNS rebinding is refused when ALLOWED_HOSTS is set.
func TestAllowedHosts(t *testing.T) {
	e := newEnv(t, envConfig{allowedHosts: []string{"login.example.com"}})
	for _, tt := range []struct {
		host string
		want int
	}{
		{"login.example.com", http.StatusOK},
		{"login.example.com:8080", http.StatusOK},
		{"127.0.0.1:8080", http.StatusOK},
		{"rebind.attacker.test", http.StatusMisdirectedRequest},
	} {
		r := get("/login")
		r.Host = tt.host
		if w := e.do(t, r); w.Code != tt.want {
			t.Errorf("Host %q: got %d, want %d", tt.host, w.Code, tt.want)
		}
	}
}

// Issue 14 item 9: /metrics behind METRICS_TOKEN.
func TestMetricsToken(t *testing.T) {
	e := newEnv(t, envConfig{metricsToken: "scrape-0123456789-token"})
	if w := e.do(t, get("/metrics")); w.Code != http.StatusUnauthorized {
		t.Errorf("without the token: got %d, want 401", w.Code)
	}
	r := get("/metrics")
	r.Header.Set("Authorization", "Bearer scrape-0123456789-token")
	if w := e.do(t, r); w.Code != http.StatusOK {
		t.Errorf("with the token: got %d, want 200", w.Code)
	}
	if w := newEnv(t, envConfig{}).do(t, get("/metrics")); w.Code != http.StatusOK {
		t.Errorf("no METRICS_TOKEN: got %d, want 200 (default unchanged)", w.Code)
	}
}
