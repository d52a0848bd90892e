package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwt-micro-system/shared/envfile"
)

const goodSecret = "t3st-s3cret-0123456789-abcdefghijklmnop"

func valid() Config {
	return Config{SecretKey: goodSecret, Issuer: "auth-api", Port: "8080", LogLevel: "info",
		AuthAPIURL: "http://localhost:10000", CookieSecure: "true"}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string // substring; "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"missing secret", func(c *Config) { c.SecretKey = "" }, "SECRET_KEY is not set"},
		{"short secret", func(c *Config) { c.SecretKey = "short" }, "SECRET_KEY is too short"},
		{"placeholder secret", func(c *Config) { c.SecretKey = "supersecret" }, "SECRET_KEY is a published placeholder"},
		{"bad previous", func(c *Config) { c.SecretKeyPrevious = "short" }, "SECRET_KEY_PREVIOUS"},
		{"bad port", func(c *Config) { c.Port = "http" }, "PORT must be"},
		{"port too big", func(c *Config) { c.Port = "70000" }, "PORT must be"},
		{"port zero", func(c *Config) { c.Port = "0" }, ""},
		{"bad level", func(c *Config) { c.LogLevel = "loud" }, "LOG_LEVEL"},
		{"debug level", func(c *Config) { c.LogLevel = "debug" }, ""},
		{"bad url", func(c *Config) { c.AuthAPIURL = "auth-api:10000" }, "AUTH_API_URL"},
		{"ftp url", func(c *Config) { c.AuthAPIURL = "ftp://auth-api" }, "AUTH_API_URL"},
		{"url with user", func(c *Config) { c.AuthAPIURL = "http://u:p@auth-api" }, "AUTH_API_URL"},
		{"bad cookie secure", func(c *Config) { c.CookieSecure = "maybe" }, "COOKIE_SECURE"},
		{"cookie insecure", func(c *Config) { c.CookieSecure = "false" }, ""},
		{"bad proxy", func(c *Config) { c.TrustedProxies = "10.0.0.0/8, nonsense" }, "TRUSTED_PROXIES"},
		{"proxies", func(c *Config) { c.TrustedProxies = "10.0.0.0/8 192.168.1.1,::1" }, ""},
		{"empty issuer", func(c *Config) { c.Issuer = " " }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.mutate(&c)
			s, err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %q, want none", err)
				}
				if s.Issuer == "" || s.AuthAPIURL == nil || s.Keys == nil {
					t.Errorf("incomplete settings %+v", s)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadFromEnvironmentAndDotEnv(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	if err := os.WriteFile(env, []byte("SECRET_KEY="+goodSecret+"\nPORT=9999\nCOOKIE_SECURE=false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SECRET_KEY", "")
	os.Unsetenv("SECRET_KEY")
	t.Setenv("PORT", "7777") // the real environment wins over .env
	if err := envfile.Load(env); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Unsetenv("COOKIE_SECURE") })
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if s.Port != "7777" {
		t.Errorf("got PORT %q, want the real environment's 7777", s.Port)
	}
	if s.CookieSecure {
		t.Error("COOKIE_SECURE=false from .env was not applied")
	}
	if got := s.AuthAPIURL.String(); got != "http://localhost:10000" {
		t.Errorf("got AUTH_API_URL %q, want the default", got)
	}
	if err := envfile.Load(filepath.Join(dir, "missing.env")); err != nil {
		t.Errorf("a missing .env gave %v, want nil", err)
	}
	bad := filepath.Join(dir, "bad.env")
	if err := os.WriteFile(bad, []byte("NOT A LINE\n'unterminated"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := envfile.Load(bad); err == nil {
		t.Error("a malformed .env was accepted")
	}
}
