package authclient

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/clientaddr"
	"github.com/jwt-micro-system/shared/revocation"
	"github.com/jwt-micro-system/shared/secretkey"
)

func newClient(tb testing.TB, h http.HandlerFunc) *Client {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		tb.Fatal(err)
	}
	return New(u, nil)
}

func testKeys(tb testing.TB) *secretkey.Keys {
	tb.Helper()
	ks, err := secretkey.NewKeys(testSecret, "")
	if err != nil {
		tb.Fatal(err)
	}
	return ks
}

func TestLoginSendsCredentialsAndClientIP(t *testing.T) {
	addrs, err := clientaddr.NewVerifier(testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		if r.Method != http.MethodPost || r.URL.Path != "/login" || json.NewDecoder(r.Body).Decode(&in) != nil {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		a, err := addrs.Verify(r.Header.Get(clientaddr.Header), time.Now())
		if in["username"] != "alice" || in["password"] != "pw" || err != nil || a.String() != "203.0.113.9" ||
			r.Header.Get("X-Forwarded-For") != "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"access_token":"a","token_type":"Bearer","expires_in":1800,"refresh_token":"r","token":"a"}`))
	})
	if err := c.UseKeys(testKeys(t)); err != nil {
		t.Fatal(err)
	}
	got, err := c.Login(context.Background(), "alice", "pw", "203.0.113.9")
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != "a" || got.RefreshToken != "r" || got.ExpiresIn != 1800 {
		t.Errorf("got %+v", got)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		retryAfter string
		want       error
		wantMsg    string
		wantRetry  time.Duration
	}{
		{"unauthorized", 401, `{"error":"invalid_credentials","message":"wrong"}`, "", ErrUnauthorized, "wrong", 0},
		{"forbidden", 403, `{"error":"forbidden","message":"admins only"}`, "", ErrForbidden, "admins only", 0},
		{"rate limited", 429, `{"error":"rate_limited","message":"slow down"}`, "17", ErrRateLimited, "slow down", 17 * time.Second},
		{"bad request", 400, `{"error":"invalid_request","message":"password too long"}`, "", ErrRejected, "password too long", 0},
		{"conflict", 409, `{"error":"conflict","message":"exists"}`, "", ErrRejected, "exists", 0},
		{"server error", 500, `oops`, "", ErrUnavailable, "", 0},
		{"unavailable", 503, ``, "", ErrUnavailable, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, func(w http.ResponseWriter, _ *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			_, err := c.Refresh(context.Background(), "r")
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var ae *Error
			if errors.As(err, &ae) && (ae.Message != tt.wantMsg || ae.RetryAfter != tt.wantRetry) {
				t.Errorf("got message %q retry %s, want %q %s", ae.Message, ae.RetryAfter, tt.wantMsg, tt.wantRetry)
			}
		})
	}
}

func TestUnreachableAndBrokenAnswers(t *testing.T) {
	// A closed port: connection refused.
	srv := httptest.NewServer(http.NotFoundHandler())
	u, _ := url.Parse(srv.URL)
	srv.Close()
	if _, err := New(u, nil).TokenKey(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("closed port: got %v, want ErrUnavailable", err)
	}

	tests := []struct {
		name string
		body string
	}{
		{"not json", `<html>`},
		{"no tokens", `{"token_type":"Bearer"}`},
	}
	for _, tt := range tests {
		c := newClient(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(tt.body)) })
		if _, err := c.Login(context.Background(), "a", "b", ""); !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: got %v, want ErrUnavailable", tt.name, err)
		}
	}
	c := newClient(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"alg":"HS256"}`)) })
	if _, err := c.TokenKey(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("token-key without kid: got %v, want ErrUnavailable", err)
	}
}

func TestHangingServerIsBoundedByContext(t *testing.T) {
	release := make(chan struct{})
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Users(ctx, "tok"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("got %v, want ErrUnavailable", err)
	}
}

func TestUsersAndLogout(t *testing.T) {
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/users" && r.Header.Get("Authorization") == "Bearer tok":
			_, _ = w.Write([]byte(`{"users":[{"username":"alice","role":"admin","created_at":"2026-11-22T03:00:00Z"}]}`))
		case r.URL.Path == "/logout" && r.Method == http.MethodPost:
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	users, err := c.Users(context.Background(), "tok")
	if err != nil || len(users) != 1 || users[0].Username != "alice" || users[0].CreatedAt.IsZero() {
		t.Errorf("got %+v, %v", users, err)
	}
	if _, err := c.Users(context.Background(), "other"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("got %v, want ErrUnauthorized", err)
	}
	if err := c.Logout(context.Background(), "r"); err != nil {
		t.Errorf("logout: %v", err)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.invalid/steal", http.StatusFound)
	})
	if _, err := c.Users(context.Background(), "tok"); !errors.Is(err, ErrRejected) {
		t.Errorf("got %v, want ErrRejected (redirect not followed)", err)
	}
}

func TestRevocations(t *testing.T) {
	key, err := revocation.FeedKey(testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/revocations" || r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"revocations":[{"sid":"s1","expires_at":"2026-11-24T12:00:00Z"}],"cursor":` +
			r.URL.Query().Get("since") + `7,"more":false}`))
	})
	if _, err := c.Revocations(context.Background(), 4); err == nil {
		t.Error("without UseKeys: got no error")
	}
	if err := c.UseKeys(testKeys(t)); err != nil {
		t.Fatal(err)
	}
	p, err := c.Revocations(context.Background(), 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Revocations) != 1 || p.Revocations[0].SessionID != "s1" || p.Cursor != 47 {
		t.Errorf("got %+v, want s1 and cursor 47 (the since 4 was sent)", p)
	}
}

// The account and admin calls send the method, the escaped path, the
// bearer and the body auth-api expects.
func TestAccountAndAdminCalls(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name, method, path, body string
		call                     func(c *Client) error
	}{
		{"change password", "POST", "/me/password", `{"current_password":"old","new_password":"new"}`,
			func(c *Client) error { return c.ChangePassword(ctx, "tok", "old", "new") }},
		{"logout all", "POST", "/me/logout-all", ``,
			func(c *Client) error { return c.LogoutAll(ctx, "tok") }},
		{"create user", "POST", "/users", `{"password":"pw","role":"user","username":"bob"}`,
			func(c *Client) error { return c.CreateUser(ctx, "tok", "bob", "pw", "user") }},
		{"set password, escaped name", "PUT", "/users/a%2Fb/password", `{"password":"pw"}`,
			func(c *Client) error { return c.SetPassword(ctx, "tok", "a/b", "pw") }},
		{"delete user", "DELETE", "/users/bob", ``,
			func(c *Client) error { return c.DeleteUser(ctx, "tok", "bob") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				var body []byte
				if r.Body != nil {
					var m map[string]string
					if json.NewDecoder(r.Body).Decode(&m) == nil {
						body, _ = json.Marshal(m)
					}
				}
				got = r.Method + " " + r.URL.EscapedPath() + " " + r.Header.Get("Authorization") + " " + string(body)
				w.WriteHeader(http.StatusNoContent)
			})
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			if want := tt.method + " " + tt.path + " Bearer tok " + tt.body; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}
