package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// refresh_expires_in is the seconds left of the session (the family's
// absolute expiry, REFRESH_TOKEN_TTL = 168 h in the test server): full at
// login, and smaller by the time passed after each refresh of the same
// family, through /refresh and /token alike.
func TestRefreshExpiresIn(t *testing.T) {
	const ttl = int64(168 * time.Hour / time.Second)
	for _, tt := range []struct {
		name    string
		login   func(ts *testServer) request
		refresh func(token string) request
	}{
		{"login and /refresh",
			func(*testServer) request {
				return request{method: "POST", path: "/login", body: `{"username":"alice","password":"` + alicePassword + `"}`}
			},
			func(tok string) request {
				return request{method: "POST", path: "/refresh", body: `{"refresh_token":"` + tok + `"}`}
			}},
		{"/token password and refresh grants",
			func(*testServer) request { return tokenReq(passwordForm("alice", alicePassword)) },
			func(tok string) request {
				return tokenReq("grant_type=refresh_token&refresh_token=" + url.QueryEscape(tok))
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			got := func(r request) (refreshToken string, left int64) {
				t.Helper()
				w := ts.do(t, r)
				if w.Code != http.StatusOK {
					t.Fatalf("%s %s: got %d %s, want 200", r.method, r.path, w.Code, w.Body)
				}
				var body map[string]any
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
					t.Fatal(err)
				}
				n, ok := body["refresh_expires_in"].(float64)
				if !ok || n != float64(int64(n)) {
					t.Fatalf("%s: refresh_expires_in is %v (%T), want an integer", r.path, body["refresh_expires_in"], body["refresh_expires_in"])
				}
				return body["refresh_token"].(string), int64(n)
			}
			tok, left := got(tt.login(ts))
			if left != ttl {
				t.Errorf("at login: got refresh_expires_in %d, want %d", left, ttl)
			}
			for _, step := range []time.Duration{time.Hour, 90 * time.Minute, 24 * time.Hour} {
				ts.clock.Advance(step)
				before := left
				tok, left = got(tt.refresh(tok))
				if want := before - int64(step/time.Second); left != want {
					t.Errorf("after %s: got refresh_expires_in %d, want %d (rotation must not extend the session)", step, left, want)
				}
			}
			// A new login is a new session, with the full lifetime again.
			if _, fresh := got(tt.login(ts)); fresh != ttl {
				t.Errorf("second login: got refresh_expires_in %d, want %d", fresh, ttl)
			}
		})
	}
}
