package server

import (
	"bytes"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jwt-micro-system/auth-api/internal/decode"
	"github.com/jwt-micro-system/auth-api/internal/oauth"
)

// /login takes the form FastAPI's OAuth2PasswordRequestForm clients and
// Swagger UI send, as strictly as its JSON body.
func TestLoginForm(t *testing.T) {
	ts := newTestServer(t)
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	good := form("username", "alice", "password", alicePassword)
	for _, tt := range []struct {
		name, body, contentType string
		status                  int
		code                    string
	}{
		{"form", good, decode.FormType, 200, ""},
		{"with charset", good, decode.FormType + "; charset=utf-8", 200, ""},
		{"user_id", form("user_id", "alice", "password", alicePassword), decode.FormType, 200, ""},
		{"OAuth2PasswordRequestForm", form("grant_type", "password", "username", "alice", "password", alicePassword,
			"scope", "", "client_id", "", "client_secret", ""), decode.FormType, 200, ""},
		{"scope and client_id are ignored", good + "&scope=me+items&client_id=fastapi", decode.FormType, 200, ""},
		{"a role is ignored", good + "&role=admin", decode.FormType, 200, ""},

		{"wrong password", form("username", "alice", "password", "wrong-password"), decode.FormType, 401, "invalid_credentials"},
		{"unknown user", form("username", "nobody", "password", "wrong-password"), decode.FormType, 401, "invalid_credentials"},
		{"duplicate username", good + "&username=admin", decode.FormType, 400, "invalid_request"},
		{"duplicate password, one empty", good + "&password=", decode.FormType, 400, "invalid_request"},
		{"unknown field", good + "&evil=1", decode.FormType, 400, "unknown_field"},
		{"field in another case", good + "&Role=admin", decode.FormType, 400, "unknown_field"},
		{"another grant", good + "&grant_type=refresh_token", decode.FormType, 400, "invalid_request"},
		{"client secret", good + "&client_secret=s3cret", decode.FormType, 400, "invalid_request"},
		{"empty form", "", decode.FormType, 400, "invalid_request"},
		{"no password", form("username", "alice"), decode.FormType, 400, "invalid_request"},
		{"username and user_id differ", good + "&user_id=admin", decode.FormType, 400, "invalid_request"},
		{"bad escape", good + "&x=%g0", decode.FormType, 400, "invalid_request"},
		{"invalid UTF-8", "username=%ff&password=x", decode.FormType, 400, "invalid_request"},
		{"another charset", good, decode.FormType + "; charset=latin1", 415, "unsupported_media_type"},
		{"multipart", "--b\r\n\r\n--b--", "multipart/form-data; boundary=b", 415, "unsupported_media_type"},
		{"text", good, "text/plain", 415, "unsupported_media_type"},
		{"none", good, "-", 415, "unsupported_media_type"},
		{"huge", good + "&pad=" + strings.Repeat("x", 2*MaxBodyBytes), decode.FormType, 413, "body_too_large"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := ts.do(t, request{method: "POST", path: "/login", body: tt.body, contentType: tt.contentType})
			if tt.code != "" {
				checkError(t, w, tt.status, tt.code)
				return
			}
			if w.Code != 200 {
				t.Fatalf("got %d %s, want 200", w.Code, w.Body)
			}
			// The same answer as a JSON login, "token" included.
			if !strings.Contains(w.Body.String(), `"token":"`) || !strings.Contains(w.Body.String(), `"token_type":"Bearer"`) {
				t.Errorf("got %s, want the /login answer", w.Body)
			}
		})
	}
	// JSON stays as it was, and a 415 names both body types.
	ts.login(t, "alice", alicePassword)
	w := ts.do(t, request{method: "POST", path: "/login", body: good, contentType: "text/plain"})
	if !strings.Contains(w.Body.String(), "application/json") || !strings.Contains(w.Body.String(), decode.FormType) {
		t.Errorf("got %s, want a message naming both body types", w.Body)
	}
}

// FuzzTokenForm: whatever the body, /token's decoding refuses it with a 4xx
// in RFC 6749's shape or yields a grant it serves; it never panics.
func FuzzTokenForm(f *testing.F) {
	for _, seed := range []string{
		"grant_type=password&username=alice&password=alice-pass-1",
		"grant_type=refresh_token&refresh_token=abc",
		"grant_type=password&grant_type=password", "grant_type=", "a=%zz", "a;b", "=&=&", "%ff=1",
		"grant_type=password&username=al%00ice&password=x", "scope=a++b&grant_type=client_credentials",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/token", bytes.NewReader(body))
		r.Header.Set("Content-Type", decode.FormType)
		req, err := oauth.DecodeTokenRequest(r)
		if err != nil {
			oe := oauthErrorOf(err)
			if oe.Status < 400 || oe.Status > 499 || oe.Code == "" || oe.Description == "" || !utf8.ValidString(oe.Description) {
				t.Fatalf("bad refusal %+v", oe)
			}
			return
		}
		switch req.GrantType {
		case oauth.GrantPassword:
			if req.Username == "" || req.Password == "" {
				t.Fatalf("password grant without credentials: %+v", req)
			}
		case oauth.GrantRefresh:
			if req.RefreshToken == "" {
				t.Fatal("refresh grant without a token")
			}
		default:
			t.Fatalf("served grant type %q", req.GrantType)
		}
	})
}
