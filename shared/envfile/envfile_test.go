package envfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(tb testing.TB, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), ".env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestRead(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    map[string]string
		wantErr bool
	}{
		{"plain", "A=1\nB=two\n", map[string]string{"A": "1", "B": "two"}, false},
		{"comments and blanks", "# comment\n\nA=1 # trailing\n", map[string]string{"A": "1"}, false},
		{"quotes", "A=\"quoted value\"\nB='single'\n", map[string]string{"A": "quoted value", "B": "single"}, false},
		{"export prefix", "export A=1\n", map[string]string{"A": "1"}, false},
		{"empty value", "A=\n", map[string]string{"A": ""}, false},
		{"CRLF", "A=1\r\nB=2\r\n", map[string]string{"A": "1", "B": "2"}, false},
		{"malformed", "NOT A LINE\n'unterminated", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.content)
			got, err := Read(path)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), path) {
					t.Fatalf("got %v, want an error naming %s", err, path)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s: got %q, want %q", k, got[k], v)
				}
			}
		})
	}
	got, err := Read(filepath.Join(t.TempDir(), "missing"))
	if err != nil || len(got) != 0 {
		t.Errorf("missing file: got %v, %v; want an empty map and nil", got, err)
	}
}

func TestLoadRealEnvironmentWins(t *testing.T) {
	const set, unset, empty = "ENVFILE_TEST_SET", "ENVFILE_TEST_UNSET", "ENVFILE_TEST_EMPTY"
	t.Setenv(set, "from-env")
	t.Setenv(empty, "")
	t.Setenv(unset, "")
	os.Unsetenv(unset)
	path := writeFile(t, set+"=from-file\n"+unset+"=from-file\n"+empty+"=from-file\n")
	if err := Load(path); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{set: "from-env", unset: "from-file", empty: ""} {
		if got := os.Getenv(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	if err := Load(filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Errorf("missing file: got %v, want nil", err)
	}
	if err := Load(writeFile(t, "'unterminated")); err == nil {
		t.Error("a malformed file was accepted")
	}
}

func TestGetenv(t *testing.T) {
	env := map[string]string{"PORT": "7777", "EMPTY": ""}
	getenv, err := Getenv(writeFile(t, "PORT=1\nEMPTY=from-file\nONLY_FILE=yes\n"), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ key, want string }{
		{"PORT", "7777"},       // the environment wins
		{"EMPTY", "from-file"}, // empty counts as unset, as the configs treat it
		{"ONLY_FILE", "yes"},
		{"NOWHERE", ""},
	}
	for _, tt := range tests {
		if got := getenv(tt.key); got != tt.want {
			t.Errorf("getenv(%q): got %q, want %q", tt.key, got, tt.want)
		}
	}
	if _, err := Getenv(writeFile(t, "'unterminated"), os.Getenv); err == nil {
		t.Error("a malformed file was accepted")
	}
	same, err := Getenv(filepath.Join(t.TempDir(), "missing"), func(k string) string { return env[k] })
	if err != nil || same("PORT") != "7777" {
		t.Errorf("missing file: got %v, PORT %q; want nil and the environment's value", err, same("PORT"))
	}
}
