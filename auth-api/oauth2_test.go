package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"golang.org/x/oauth2"
)

// golang.org/x/oauth2, a client nobody here wrote, against the real binary:
// it logs in at /token, calls /me with its own transport, which renews
// the (one-second) access token through /token before every request, and
// the refresh tokens it spent are refused afterwards, ending the session.
func TestOAuth2ClientAgainstBinary(t *testing.T) {
	p := start(t, t.TempDir(), baseEnv("SECRET_KEY="+e2eSecret, "BOOTSTRAP_ADMIN_USERNAME="+e2eAdmin,
		"BOOTSTRAP_ADMIN_PASSWORD="+e2eAdminPwd, "DATABASE_URL=sqlite://auth.db",
		// Shorter than the client's 10 s expiry margin: every Token call
		// refreshes. No reuse leeway, so a spent token is refused at once.
		"ACCESS_TOKEN_TTL=1s", "REFRESH_REUSE_INTERVAL=0"))
	cfg := &oauth2.Config{ClientID: "go-oauth2", Endpoint: oauth2.Endpoint{TokenURL: p.base + "/token"}}
	ctx := context.Background()

	first, err := cfg.PasswordCredentialsToken(ctx, e2eAdmin, e2eAdminPwd)
	if err != nil {
		t.Fatal(err)
	}
	if first.TokenType != "Bearer" || first.RefreshToken == "" {
		t.Fatalf("got %+v, want a Bearer token with a refresh token", first)
	}
	hc := oauth2.NewClient(ctx, cfg.TokenSource(ctx, first))
	for i := range 3 {
		resp, err := hc.Get(p.base + "/me")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		var claims struct {
			Sub string `json:"sub"`
		}
		err = json.NewDecoder(resp.Body).Decode(&claims)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || claims.Sub != e2eAdmin {
			t.Fatalf("request %d: got %d, sub %q, %v; want 200 as %s", i, resp.StatusCode, claims.Sub, err, e2eAdmin)
		}
	}

	// The login's refresh token was spent by the first renewal: presenting
	// it again is refused and revokes the family, so the client's session
	// ends too.
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: first.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest || re.ErrorCode != "invalid_grant" {
		t.Fatalf("spent refresh token: got %v, want 400 invalid_grant", err)
	}
	if resp, err := hc.Get(p.base + "/me"); err == nil {
		resp.Body.Close()
		t.Fatalf("after reuse: got %d, want the renewal to fail", resp.StatusCode)
	} else if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("after reuse: got %v, want invalid_grant", err)
	}
	p.stop(t)
}
