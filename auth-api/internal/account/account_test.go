package account

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestValidateUsername(t *testing.T) {
	for _, tt := range []struct {
		name    string
		in      string
		wantErr string
	}{
		{"simple", "alice", ""},
		{"all allowed characters", "a.B_c-9@x", ""},
		{"64 characters", strings.Repeat("a", 64), ""},
		{"empty", "", "username is required"},
		{"65 characters", strings.Repeat("a", 65), "too long"},
		{"space", "al ice", "may contain only"},
		{"null byte", "al\x00ice", "may contain only"},
		{"non-ASCII letter", "ålice", "may contain only"},
		{"slash", "a/b", "may contain only"},
		{"newline", "alice\n", "may contain only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateUsername(tt.in)
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestValidatePassword(t *testing.T) {
	for _, tt := range []struct {
		name    string
		in      string
		wantErr string
	}{
		{"8 characters", "vqjtmzkw", ""},
		{"72 bytes", "lantern-harbor-quiet-" + strings.Repeat("x", 72-len("lantern-harbor-quiet-")), ""},
		{"spaces are fine", "four unrelated words here", ""},
		// Issue 14 item 4: NIST SP 800-63B blocklist, no composition rules.
		{"bootstrap example", "changeme", "too common"},
		{"common with digit", "password1", "too common"},
		{"digits", "12345678", "too common"},
		{"8 spaces", "        ", "too common"},
		{"sequence", "abcdefgh", "too common"},
		{"keyboard walk", "qwertyuiop", "too common"},
		{"leet", "P@ssw0rd", "too common"},
		{"repetition", strings.Repeat("x", 72), "too common"},
		{"capitalised with digits", "Monkey123", "too common"},
		{"leet with sign", "P@$$w0rd!", "too common"},
		{"leading leet", "@dmin1234", "too common"},
		{"reversed", "drowssap", "too common"},
		{"spelt out", "p a s s w o r d", "too common"},
		{"word and year", "football2024", "too common"},
		{"word and sequence", "sunshine123456", "too common"},
		{"English word", "understanding", "too common"},
		{"name", "Jennifer", "too common"},
		{"service words", "jwtmicrosystem", "too common"},
		{"repeated word", "adminadmin", "too common"},
		{"short unit repeated", "abcabcabc", "too common"},
		{"descending", "87654321", "too common"},
		{"keyboard column", "1qaz2wsx3edc", "too common"},
		{"word and random digits", "cat84729163", ""},
		{"two words", "harborlantern", ""},
		{"passphrase", "correct horse battery staple", ""},
		{"random", "k7Qp2xW9", ""},
		// Issue 14 item 5: control characters.
		{"NUL", "abcdefgh\x00abcdefgh", "control characters"},
		{"only NULs", strings.Repeat("\x00", 8), "control characters"},
		{"newline", "lantern-harbor\n", "control characters"},
		{"tab", "lantern\tharbor", "control characters"},
		{"escape", "lantern\x1b[2Jharbor", "control characters"},
		{"DEL", "lantern\x7fharbor", "control characters"},
		{"C1", "lantern\u0085harbor", "control characters"},
		{"multibyte counts characters for the minimum", "ééééééé", "too short"},
		{"8 multibyte characters", "éàüöçñøå", ""},
		{"multibyte repetition", "éééééééé", "too common"},
		{"empty", "", "password is required"},
		{"7 characters", "abcdefg", "too short"},
		{"73 bytes", strings.Repeat("x", 73), "too long (73 bytes, at most 72"},
		{"invalid UTF-8", "abcdefgh\xff", "UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, ValidatePassword(tt.in), tt.wantErr)
		})
	}
}

func TestValidateRole(t *testing.T) {
	for _, tt := range []struct {
		in      string
		wantErr string
	}{
		{"admin", ""},
		{"user", ""},
		{"", "role is required"},
		{"Admin", "admin or user"},
		{"root", "admin or user"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			checkErr(t, ValidateRole(tt.in), tt.wantErr)
		})
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("correct horse", bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := bcrypt.CompareHashAndPassword(h, []byte("correct horse")); err != nil {
		t.Errorf("hash does not match its password: %v", err)
	}
	if err := bcrypt.CompareHashAndPassword(h, []byte("wrong horse")); err == nil {
		t.Error("hash matches a wrong password")
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("got error %q, want none", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want one containing %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("got %q, want it to contain %q", err, want)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error %q is not ErrInvalid", err)
	}
}

// BenchmarkPasswordCheck is the bare cost of one password check at cost
// 10; compare with server's BenchmarkLogin.
func BenchmarkPasswordCheck(b *testing.B) {
	hash, err := HashPassword("bench-password", 10)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !passwordMatches(hash, "bench-password") {
			b.Fatal("no match")
		}
	}
}
