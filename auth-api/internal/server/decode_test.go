package server

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/decode"
)

// FuzzLoginRequest: whatever the body, the /login decoding (decode.LoginBody) either refuses it with a
// 4xx and a code and message, or returns a username and password that obey
// the rules. It never panics.
func FuzzLoginRequest(f *testing.F) {
	for _, seed := range []string{
		`{"username":"alice","password":"alice-pass-1"}`,
		`{"user_id":"alice","password":"x","role":"admin"}`,
		`{"username":"al\u0000ice","password":"x"}`,
		`{"username":"alice","password":"` + strings.Repeat("p", 73) + `"}`,
		`{"username":1}`, `[]`, `null`, `"x"`, `{} {}`, `{"a":`, "\x00", "",
		`{"username":"a","username":"b","password":"p"}`,
		`{"USERNAME":"a","PASSWORD":"p"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		user, pass, err := decode.LoginBody("application/json", bytes.NewReader(body))
		if err != nil {
			if err.Status < 400 || err.Status > 499 || err.Code == "" || err.Message == "" || !utf8.ValidString(err.Message) {
				t.Fatalf("bad refusal %+v", err)
			}
			return
		}
		if e := account.ValidateUsername(user); e != nil {
			t.Fatalf("accepted username %q: %v", user, e)
		}
		if pass == "" || len(pass) > account.MaxPasswordBytes {
			t.Fatalf("accepted password of %d bytes", len(pass))
		}
	})
}
