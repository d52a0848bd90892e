package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestUsersAdminOnly(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", adminPassword).AccessToken
	alice := ts.login(t, "alice", alicePassword).AccessToken
	for _, tt := range []struct {
		method, path, body string
	}{
		{"GET", "/users", ""},
		{"POST", "/users", `{"username":"bob","password":"bob-password"}`},
		{"DELETE", "/users/admin", ""},
	} {
		t.Run(tt.method+" as user", func(t *testing.T) {
			checkError(t, ts.do(t, request{method: tt.method, path: tt.path, body: tt.body, token: alice}), 403, "forbidden")
		})
		t.Run(tt.method+" without token", func(t *testing.T) {
			checkError(t, ts.do(t, request{method: tt.method, path: tt.path, body: tt.body}), 401, "invalid_token")
		})
	}

	w := ts.do(t, request{method: "GET", path: "/users", token: admin})
	if w.Code != 200 {
		t.Fatalf("list: got %d %s", w.Code, w.Body)
	}
	var list struct {
		Users []struct {
			Username  string    `json:"username"`
			Role      string    `json:"role"`
			CreatedAt time.Time `json:"created_at"`
		} `json:"users"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Users) != 2 || list.Users[0].Username != "admin" || list.Users[1].Role != "user" || list.Users[0].CreatedAt.IsZero() {
		t.Errorf("got %+v, want admin and alice", list.Users)
	}
	if strings.Contains(w.Body.String(), "hash") || strings.Contains(w.Body.String(), "$2a$") {
		t.Errorf("the user list shows password hashes: %s", w.Body)
	}
}

func TestCreateAndDeleteUser(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", adminPassword).AccessToken
	for _, tt := range []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"user with default role", `{"username":"bob","password":"bob-password"}`, 201, ""},
		{"admin", `{"username":"carol@example.com","password":"carol-password","role":"admin"}`, 201, ""},
		{"duplicate in another case", `{"username":"BOB","password":"bob-password"}`, 409, "user_exists"},
		{"bad name", `{"username":"bob smith","password":"bob-password"}`, 400, "invalid_request"},
		{"empty name", `{"username":"","password":"bob-password"}`, 400, "invalid_request"},
		{"short password", `{"username":"dave","password":"short"}`, 400, "invalid_request"},
		{"73-byte password", `{"username":"dave","password":"` + strings.Repeat("p", 73) + `"}`, 400, "invalid_request"},
		{"bad role", `{"username":"dave","password":"dave-password","role":"root"}`, 400, "invalid_request"},
		{"null byte in name", `{"username":"da\u0000ve","password":"dave-password"}`, 400, "invalid_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := ts.do(t, request{method: "POST", path: "/users", body: tt.body, token: admin})
			if tt.status != 201 {
				checkError(t, w, tt.status, tt.code)
				return
			}
			if w.Code != 201 || !strings.HasPrefix(w.Header().Get("Location"), "/users/") {
				t.Fatalf("got %d %s (Location %q), want 201", w.Code, w.Body, w.Header().Get("Location"))
			}
		})
	}
	for _, tt := range hostileBodies {
		t.Run("hostile/"+tt.name, func(t *testing.T) {
			checkError(t, ts.do(t, request{method: "POST", path: "/users", token: admin, body: tt.body, contentType: tt.contentType}), tt.status, "")
		})
	}

	bob := ts.login(t, "bob", "bob-password")
	carol := ts.login(t, "carol@example.com", "carol-password")
	for _, tt := range []struct {
		name   string
		path   string
		status int
		code   string
	}{
		{"bob", "/users/bob", 204, ""},
		{"bob again", "/users/bob", 404, "not_found"},
		{"never existed", "/users/zed", 404, "not_found"},
		{"oneself, in another case", "/users/ADMIN", 409, "cannot_delete_self"},
		{"invalid name", "/users/a%20b", 400, "invalid_request"},
		{"too long", "/users/" + strings.Repeat("a", 65), 400, "invalid_request"},
	} {
		t.Run("delete "+tt.name, func(t *testing.T) {
			w := ts.do(t, request{method: "DELETE", path: tt.path, token: admin})
			if tt.status == 204 {
				if w.Code != 204 {
					t.Errorf("got %d %s, want 204", w.Code, w.Body)
				}
				return
			}
			checkError(t, w, tt.status, tt.code)
		})
	}
	// Deleting bob revoked his refresh tokens and his password.
	checkError(t, ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody(bob.RefreshToken)}), 401, "invalid_refresh_token")
	checkError(t, ts.do(t, request{method: "POST", path: "/login", body: `{"username":"bob","password":"bob-password"}`}), 401, "invalid_credentials")

	// An admin deleted by another admin loses admin access at once.
	if w := ts.do(t, request{method: "DELETE", path: "/users/admin", token: carol.AccessToken}); w.Code != 204 {
		t.Fatalf("carol deletes admin: got %d %s", w.Code, w.Body)
	}
	checkError(t, ts.do(t, request{method: "GET", path: "/users", token: admin}), 401, "invalid_token")
}

func TestResetPassword(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", adminPassword).AccessToken
	alice := ts.login(t, "alice", alicePassword)
	for _, tt := range []struct {
		name, path, body, token string
		status                  int
		code                    string
	}{
		{"as user", "/users/alice/password", `{"password":"new-password-1"}`, alice.AccessToken, 403, "forbidden"},
		{"without token", "/users/alice/password", `{"password":"new-password-1"}`, "", 401, "invalid_token"},
		{"short password", "/users/alice/password", `{"password":"short"}`, admin, 400, "invalid_request"},
		{"no such user", "/users/nobody/password", `{"password":"new-password-1"}`, admin, 404, "not_found"},
		{"not JSON", "/users/alice/password", `password=x`, admin, 400, ""},
		{"success", "/users/alice/password", `{"password":"new-password-1"}`, admin, 204, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := ts.do(t, request{method: "PUT", path: tt.path, body: tt.body, token: tt.token})
			if tt.status == 204 {
				if w.Code != 204 {
					t.Fatalf("got %d %s, want 204", w.Code, w.Body)
				}
				return
			}
			if tt.code == "" {
				if w.Code != tt.status {
					t.Errorf("got %d %s, want %d", w.Code, w.Body, tt.status)
				}
				return
			}
			checkError(t, w, tt.status, tt.code)
		})
	}
	w := ts.do(t, request{method: "POST", path: "/login", body: `{"username":"alice","password":"` + alicePassword + `"}`})
	checkError(t, w, 401, "invalid_credentials")
	ts.login(t, "alice", "new-password-1")
	w = ts.do(t, request{method: "POST", path: "/refresh", body: jsonBody(t, map[string]string{"refresh_token": alice.RefreshToken})})
	checkError(t, w, 401, "invalid_refresh_token")
}
