package decode

import (
	"strings"
	"testing"
)

func TestDecodeLogin(t *testing.T) {
	for _, tt := range []struct {
		name, ct, body string
		wantUser       string
		wantStatus     int
	}{
		{"json", "application/json", `{"username":"a","password":"p"}`, "a", 0},
		{"json with charset", "application/json; charset=utf-8", `{"username":"a","password":"p"}`, "a", 0},
		{"user_id", "application/json", `{"user_id":"b","password":"p"}`, "b", 0},
		{"role of any type is ignored", "application/json", `{"username":"a","password":"p","role":{"x":1}}`, "a", 0},
		{"text/plain", "text/plain", `{"username":"a","password":"p"}`, "", 415},
		{"bad media type", "application/json; =", `{}`, "", 415},
		{"deep nesting", "application/json", strings.Repeat("[", 10000), "", 400},
		{"invalid UTF-8 name", "application/json", "{\"username\":\"\xff\",\"password\":\"p\"}", "", 400},
		// Issue 14 item 9: ambiguous JSON is refused, not merged.
		{"duplicate key", "application/json", `{"username":"a","username":"b","password":"p"}`, "", 400},
		{"case-variant duplicate", "application/json", `{"username":"a","USERNAME":"b","password":"p"}`, "", 400},
		{"password twice, other case", "application/json", `{"username":"a","password":"p","PASSWORD":"q"}`, "", 400},
		{"Kelvin sign variant", "application/json", "{\"username\":\"a\",\"password\":\"p\",\"role\":1,\"\u212aey\":1}", "", 400},
		{"case variant alone", "application/json", `{"USERNAME":"a","password":"p"}`, "", 400},
		{"duplicate inside an ignored value", "application/json", `{"username":"a","password":"p","role":{"x":1,"X":2}}`, "", 400},
		{"a value equal to a key is fine", "application/json", `{"username":"password","password":"username"}`, "password", 0},
		{"keys in nested arrays of objects", "application/json", `{"username":"a","password":"p","role":[{"x":1},{"x":2}]}`, "a", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			user, _, err := LoginBody(tt.ct, strings.NewReader(tt.body))
			switch {
			case tt.wantStatus == 0 && err != nil:
				t.Fatalf("got %v, want success", err)
			case tt.wantStatus != 0 && (err == nil || err.Status != tt.wantStatus):
				t.Fatalf("got %v, want status %d", err, tt.wantStatus)
			case user != tt.wantUser:
				t.Errorf("got user %q, want %q", user, tt.wantUser)
			}
		})
	}
}
