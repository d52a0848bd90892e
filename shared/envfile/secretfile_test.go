package envfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWithFiles(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	secret := file("secret", "s3cret value\n")
	crlf := file("crlf", "from-windows\r\n")
	twoLines := file("two", "keep\n\n")
	empty := file("empty", "\n")
	huge := file("huge", strings.Repeat("x", maxFileBytes+1))
	tests := []struct {
		name    string
		env     map[string]string
		key     string
		want    string
		wantErr []string // substrings of the error; nil means no error
	}{
		{"file wins over nothing", map[string]string{"SECRET_KEY_FILE": secret}, "SECRET_KEY", "s3cret value", nil},
		{"plain variable", map[string]string{"SECRET_KEY": "direct"}, "SECRET_KEY", "direct", nil},
		{"CRLF trimmed", map[string]string{"SECRET_KEY_FILE": crlf}, "SECRET_KEY", "from-windows", nil},
		{"one newline trimmed", map[string]string{"SECRET_KEY_FILE": twoLines}, "SECRET_KEY", "keep\n", nil},
		{"other variables untouched", map[string]string{"SECRET_KEY_FILE": secret, "PORT": "1"}, "PORT", "1", nil},
		{"not in the list", map[string]string{"PORT_FILE": secret, "PORT": "1"}, "PORT", "1", nil},
		{"both set", map[string]string{"SECRET_KEY": "x", "SECRET_KEY_FILE": secret}, "", "", []string{"SECRET_KEY and SECRET_KEY_FILE"}},
		{"missing file", map[string]string{"SECRET_KEY_FILE": filepath.Join(dir, "nope")}, "", "", []string{"SECRET_KEY_FILE", "nope"}},
		{"empty file", map[string]string{"SECRET_KEY_FILE": empty}, "", "", []string{"SECRET_KEY_FILE", "empty"}},
		{"huge file", map[string]string{"SECRET_KEY_FILE": huge}, "", "", []string{"SECRET_KEY_FILE", "larger than"}},
		{"a directory", map[string]string{"SECRET_KEY_FILE": dir}, "", "", []string{"SECRET_KEY_FILE"}},
		{"two errors", map[string]string{"SECRET_KEY": "x", "SECRET_KEY_FILE": secret, "DATABASE_URL_FILE": empty}, "", "",
			[]string{"SECRET_KEY and SECRET_KEY_FILE", "DATABASE_URL_FILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv, err := WithFiles(func(k string) string { return tt.env[k] }, "SECRET_KEY", "DATABASE_URL")
			if tt.wantErr != nil {
				if err == nil {
					t.Fatal("got no error")
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("got %q, want it to contain %q", err, want)
					}
				}
				if strings.Contains(err.Error(), "s3cret value") {
					t.Errorf("error %q repeats a secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := getenv(tt.key); got != tt.want {
				t.Errorf("getenv(%q): got %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}
