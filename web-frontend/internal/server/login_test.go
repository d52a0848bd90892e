package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLoginPage(t *testing.T) {
	e := newEnv(t, envConfig{})
	tests := []struct {
		name, path, lang string
		want             []string
		notWant          []string
	}{
		{"plain", "/login", "", []string{`<form id="login"`, `id="username"`, `id="password"`, `<label for="username">Username</label>`, `name="next" id="next" value="/"`}, []string{`class="flash`}},
		{"expired", "/login?msg=expired", "", []string{`class="flash flash-warning"`, "Your session has expired or is invalid. Please log in again."}, nil},
		{"expired ja", "/login?msg=expired", "ja,en;q=0.8", []string{`<html lang="ja">`, "セッションの有効期限が切れているか無効です。再度ログインしてください。", "ユーザー名"}, []string{"Your session"}},
		{"logged out", "/login?msg=logged_out", "", []string{`class="flash flash-info"`, "You have signed out."}, nil},
		{"unknown message code", "/login?msg=%3Cscript%3E", "", nil, []string{`class="flash`, "<script>"}},
		{"local next kept", "/login?next=%2Fadmin%3Fx%3D1", "", []string{`value="/admin?x=1"`}, nil},
		{"hostile next dropped", "/login?next=%2F%2Fevil.example", "", []string{`name="next" id="next" value="/"`}, []string{"evil"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(tt.path)
			if tt.lang != "" {
				r.Header.Set("Accept-Language", tt.lang)
			}
			w := e.do(t, r)
			if w.Code != http.StatusOK {
				t.Fatalf("got status %d, want 200", w.Code)
			}
			body := w.Body.String()
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(body, s) {
					t.Errorf("page contains %q", s)
				}
			}
		})
	}
}

func TestLoginPageWithLiveSessionGoesOn(t *testing.T) {
	e := newEnv(t, envConfig{})
	c := e.login(t, "alice")
	w := e.do(t, get("/login?next=%2Fadmin", c))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin" {
		t.Errorf("got %d to %q, want 303 to /admin", w.Code, w.Header().Get("Location"))
	}
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name       string
		form       url.Values
		setup      func(*env)
		wantStatus int
		wantLoc    string // for 303
		wantText   string // for a re-rendered form
	}{
		{"success", url.Values{"username": {"alice"}, "password": {"alice-password"}}, nil, 303, "/", ""},
		{"success to next", url.Values{"username": {"bob"}, "password": {"bob-password"}, "next": {"/api/me"}}, nil, 303, "/api/me", ""},
		{"hostile next", url.Values{"username": {"bob"}, "password": {"bob-password"}, "next": {"https://evil.example/"}}, nil, 303, "/", ""},
		{"scheme-relative next", url.Values{"username": {"bob"}, "password": {"bob-password"}, "next": {"//evil.example"}}, nil, 303, "/", ""},
		{"wrong password", url.Values{"username": {"alice"}, "password": {"nope-nope"}}, nil, 401, "", "Incorrect username or password."},
		{"unknown user", url.Values{"username": {"mallory"}, "password": {"whatever1"}}, nil, 401, "", "Incorrect username or password."},
		{"missing password", url.Values{"username": {"alice"}}, nil, 400, "", "Enter your username and password."},
		{"blank username", url.Values{"username": {"  "}, "password": {"secret-value-1"}}, nil, 400, "", "Enter your username and password."},
		{"username too long", url.Values{"username": {strings.Repeat("a", 300)}, "password": {"secret-value-1"}}, nil, 400, "", "too long"},
		{"password auth-api refuses", url.Values{"username": {"alice"}, "password": {strings.Repeat("p", 100)}}, nil, 400, "", "at most 72 bytes"},
		{"rate limited", url.Values{"username": {"alice"}, "password": {"secret-value-2"}}, func(e *env) { e.fake.rateLimit.Store(true) }, 429, "", "Too many attempts. Try again in less than a minute."},
		{"auth-api down", url.Values{"username": {"alice"}, "password": {"alice-password"}}, func(e *env) { e.fake.down.Store(true) }, 503, "", "not reachable"},
		{"auth-api gone", url.Values{"username": {"alice"}, "password": {"alice-password"}}, func(e *env) { e.authSrv.Close() }, 503, "", "not reachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envConfig{})
			if tt.setup != nil {
				tt.setup(e)
			}
			w := e.do(t, postForm("/login", tt.form))
			if w.Code != tt.wantStatus {
				t.Fatalf("got status %d, want %d: %s", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantStatus == 303 {
				if got := w.Header().Get("Location"); got != tt.wantLoc {
					t.Errorf("got Location %q, want %q", got, tt.wantLoc)
				}
				if e.sessionCookie(w) == nil {
					t.Error("no session cookie set")
				}
				return
			}
			body := w.Body.String()
			if !strings.Contains(body, tt.wantText) || !strings.Contains(body, `class="flash flash-error"`) {
				t.Errorf("form lacks the error %q", tt.wantText)
			}
			if !strings.Contains(body, `<form id="login"`) {
				t.Error("the form is not shown again")
			}
			if pw := tt.form.Get("password"); pw != "" && strings.Contains(body, pw) {
				t.Error("the password is echoed back")
			}
			if e.sessionCookie(w) != nil {
				t.Error("a failed login set a session cookie")
			}
			if tt.wantStatus == 429 && w.Header().Get("Retry-After") != "42" {
				t.Errorf("got Retry-After %q, want 42", w.Header().Get("Retry-After"))
			}
		})
	}
}

func TestLoginKeepsUsernameOnFailure(t *testing.T) {
	e := newEnv(t, envConfig{})
	w := e.do(t, postForm("/login", url.Values{"username": {"alice"}, "password": {"wrong-password"}}))
	if !strings.Contains(w.Body.String(), `value="alice"`) {
		t.Error("username not kept in the form")
	}
}

func TestLoginOversizedBody(t *testing.T) {
	e := newEnv(t, envConfig{})
	w := e.do(t, postForm("/login", url.Values{"username": {"alice"}, "password": {strings.Repeat("p", maxFormBytes)}}))
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("got status %d, want 413", w.Code)
	}
}

func TestLoginBadForm(t *testing.T) {
	e := newEnv(t, envConfig{})
	r := postForm("/login", nil)
	r.Body = http.NoBody
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r2 := rawPost("/login", "username=%zz&password=x")
	for _, req := range []*http.Request{r, r2} {
		w := e.do(t, req)
		if w.Code != http.StatusBadRequest {
			t.Errorf("got status %d, want 400", w.Code)
		}
	}
}

func TestLoginForwardsClientAddress(t *testing.T) {
	tests := []struct {
		name, trusted, remote, xff, want string
	}{
		{"direct", "", "203.0.113.7:5555", "198.51.100.1", "203.0.113.7"},
		{"trusted proxy", "10.0.0.0/8", "10.1.2.3:5555", "198.51.100.1, 10.9.9.9", "198.51.100.1"},
		{"untrusted proxy", "10.0.0.0/8", "192.0.2.1:5555", "198.51.100.1", "192.0.2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envConfig{trusted: tt.trusted})
			r := postForm("/login", url.Values{"username": {"alice"}, "password": {"alice-password"}})
			r.RemoteAddr = tt.remote
			r.Header.Set("X-Forwarded-For", tt.xff)
			e.do(t, r)
			if got, _ := e.fake.lastClient.Load().(string); got != tt.want {
				t.Errorf("auth-api verified the client address %q, want %q", got, tt.want)
			}
		})
	}
}
