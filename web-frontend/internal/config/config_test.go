package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwt-micro-system/shared/envfile"
	"github.com/jwt-micro-system/shared/servicetest"
)

// goodSecret is fresh for every run, as the secret policy wants it.
var goodSecret = servicetest.NewSecret()

func getenvOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string // substrings; none means valid
	}{
		{"defaults", nil, nil},
		{"missing secret", map[string]string{"SECRET_KEY": ""}, []string{"SECRET_KEY is not set"}},
		{"short secret", map[string]string{"SECRET_KEY": "short"}, []string{"SECRET_KEY is too short"}},
		{"placeholder secret", map[string]string{"SECRET_KEY": "supersecret"}, []string{"SECRET_KEY is a published example"}},
		// Issue 14 item 1: published examples that started.
		{"jwt.io secret", map[string]string{"SECRET_KEY": "a-string-secret-at-least-256-bits-long"}, []string{"SECRET_KEY", "openssl rand -base64 48"}},
		{"supersecretkey x3", map[string]string{"SECRET_KEY": "supersecretkeysupersecretkeysupersecretkey"}, []string{"SECRET_KEY", "openssl rand -base64 48"}},
		{"words", map[string]string{"SECRET_KEY": "my-jwt-signing-key-for-production-2024!"}, []string{"SECRET_KEY is not random enough"}},
		// _FILE variables (Docker secrets).
		{"secret and secret file", map[string]string{"SECRET_KEY_FILE": "/run/secrets/secret_key"}, []string{"both SECRET_KEY and SECRET_KEY_FILE are set"}},
		// Issue 14 items 6 and 9.
		{"listen address", map[string]string{"LISTEN_ADDRESS": "127.0.0.1"}, nil},
		{"bad listen address", map[string]string{"LISTEN_ADDRESS": "everywhere"}, []string{"LISTEN_ADDRESS"}},
		{"allowed hosts", map[string]string{"ALLOWED_HOSTS": "login.example.com,localhost"}, nil},
		{"bad allowed hosts", map[string]string{"ALLOWED_HOSTS": "https://login.example.com"}, []string{"ALLOWED_HOSTS"}},
		{"metrics address", map[string]string{"METRICS_ADDRESS": "127.0.0.1:9101"}, nil},
		{"bad metrics address", map[string]string{"METRICS_ADDRESS": "9101"}, []string{"METRICS_ADDRESS"}},
		{"short metrics token", map[string]string{"METRICS_TOKEN": "short"}, []string{"METRICS_TOKEN is too short"}},
		{"bad previous", map[string]string{"SECRET_KEY_PREVIOUS": "short"}, []string{"SECRET_KEY_PREVIOUS"}},
		{"bad port", map[string]string{"PORT": "http"}, []string{"PORT must be"}},
		{"port too big", map[string]string{"PORT": "70000"}, []string{"PORT must be"}},
		{"port zero", map[string]string{"PORT": "0"}, nil},
		{"bad level", map[string]string{"LOG_LEVEL": "loud"}, []string{"LOG_LEVEL"}},
		{"debug level", map[string]string{"LOG_LEVEL": "debug"}, nil},
		{"bad url", map[string]string{"AUTH_API_URL": "auth-api:10000"}, []string{"AUTH_API_URL"}},
		{"ftp url", map[string]string{"AUTH_API_URL": "ftp://auth-api"}, []string{"AUTH_API_URL"}},
		{"url with user", map[string]string{"AUTH_API_URL": "http://u:p@auth-api"}, []string{"AUTH_API_URL"}},
		{"bad cookie secure", map[string]string{"COOKIE_SECURE": "maybe"}, []string{"COOKIE_SECURE"}},
		{"cookie insecure", map[string]string{"COOKIE_SECURE": "false"}, nil},
		{"bad proxy", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, nonsense"}, []string{"TRUSTED_PROXIES"}},
		{"proxies", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8 192.168.1.1,::1"}, nil},
		{"empty issuer", map[string]string{"ISSUER": " "}, nil},
		{"instance name", map[string]string{"INSTANCE_NAME": "stack_web-frontend.1.k2x"}, nil},
		{"instance name with space", map[string]string{"INSTANCE_NAME": "web frontend"}, []string{"INSTANCE_NAME must be"}},
		{"instance name with newline", map[string]string{"INSTANCE_NAME": "a\r\nX-Evil: 1"}, []string{"INSTANCE_NAME must be"}},
		{"instance name too long", map[string]string{"INSTANCE_NAME": strings.Repeat("a", 129)}, []string{"INSTANCE_NAME must be"}},
		{"empty values are unset", map[string]string{"PORT": "", "LOG_LEVEL": " ", "COOKIE_SECURE": ""}, nil},
		{"every problem at once", map[string]string{"SECRET_KEY": "short", "LOG_LEVEL": "loud", "AUTH_API_URL": "ftp://x", "TRUSTED_PROXIES": "a,b", "PORT": "-1"},
			[]string{"SECRET_KEY is too short", "LOG_LEVEL", "AUTH_API_URL", `"a"`, `"b"`, "PORT must be"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"SECRET_KEY": goodSecret}
			for k, v := range tt.env {
				env[k] = v
			}
			s, err := Load(getenvOf(env))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("got error %q, want none", err)
				}
				if s.Issuer == "" || s.AuthAPIURL == nil || s.Keys == nil {
					t.Errorf("incomplete settings %+v", s)
				}
				return
			}
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("got error %v, want one containing %q", err, want)
				}
			}
		})
	}
}

func TestLoadFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	prev := servicetest.NewSecret()
	s, err := Load(getenvOf(map[string]string{
		"SECRET_KEY_FILE":          write("secret_key", goodSecret+"\n"),
		"SECRET_KEY_PREVIOUS_FILE": write("previous", prev+"\n"),
		"METRICS_TOKEN_FILE":       write("metrics", "scrape-0123456789-token\n"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := s.Keys.Previous()
	if string(s.Keys.Current().Secret()) != goodSecret || !ok || string(p.Secret()) != prev || s.MetricsToken != "scrape-0123456789-token" {
		t.Errorf("the _FILE values were not used: %+v", s)
	}
}

func TestLoadDefaults(t *testing.T) {
	s, err := Load(getenvOf(map[string]string{"SECRET_KEY": goodSecret}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Port != 8080 || !s.CookieSecure || s.Issuer != "auth-api" || s.AuthAPIURL.String() != "http://localhost:10000" {
		t.Errorf("got %+v, want the documented defaults", s)
	}
}

// A .env file read by shared/envfile feeds Load; the real environment
// wins, and the process environment is not changed.
func TestLoadWithDotEnv(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	if err := os.WriteFile(env, []byte("SECRET_KEY="+goodSecret+"\nPORT=9999\nCOOKIE_SECURE=false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv, err := envfile.Getenv(env, getenvOf(map[string]string{"PORT": "7777"}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if s.Port != 7777 {
		t.Errorf("got PORT %d, want the real environment's 7777", s.Port)
	}
	if s.CookieSecure {
		t.Error("COOKIE_SECURE=false from .env was not applied")
	}
	if _, ok := os.LookupEnv("COOKIE_SECURE"); ok {
		t.Error("the process environment was changed")
	}
}
