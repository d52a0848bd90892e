package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/envfile"
)

// setEnv clears every variable Config reads, then sets env.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, n := range names {
		t.Setenv(n, "")
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestLoadDefaults(t *testing.T) {
	setEnv(t, nil)
	cfg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"ISSUER", cfg.Issuer, "auth-api"},
		{"PORT", cfg.Port, 10000},
		{"LOG_LEVEL", cfg.Level.String(), "INFO"},
		{"DATABASE_URL", cfg.DatabasePath, "auth.db"},
		{"ACCESS_TOKEN_TTL", cfg.AccessTokenTTL, 30 * time.Minute},
		{"REFRESH_TOKEN_TTL", cfg.RefreshTokenTTL, 168 * time.Hour},
		{"BCRYPT_COST", cfg.BcryptCost, 12},
		{"TRUSTED_PROXIES", len(cfg.TrustedProxies), 0},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestLoadValues(t *testing.T) {
	setEnv(t, map[string]string{
		"PORT": "0", "LOG_LEVEL": "debug", "DATABASE_URL": "sqlite:///data/auth.db",
		"ACCESS_TOKEN_TTL": "5m", "BCRYPT_COST": "10", "TRUSTED_PROXIES": "10.0.0.0/8, 172.18.0.2,",
		"BOOTSTRAP_ADMIN_USERNAME": "admin", "BOOTSTRAP_ADMIN_PASSWORD": "a-long-password",
	})
	cfg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 0 || cfg.DatabasePath != "/data/auth.db" || cfg.AccessTokenTTL != 5*time.Minute ||
		cfg.BcryptCost != 10 || len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[1] != "172.18.0.2" || cfg.Level.String() != "DEBUG" {
		t.Errorf("got %+v", cfg)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"port not a number", map[string]string{"PORT": "http"}, `PORT="http" is not valid: want a whole number`},
		{"port out of range", map[string]string{"PORT": "70000"}, "PORT=70000 is out of range"},
		{"bad duration", map[string]string{"ACCESS_TOKEN_TTL": "30"}, "ACCESS_TOKEN_TTL=\"30\" is not valid: want a duration"},
		{"negative ttl", map[string]string{"REFRESH_TOKEN_TTL": "-1h"}, "REFRESH_TOKEN_TTL=-1h0m0s is too short"},
		{"cost below 10", map[string]string{"BCRYPT_COST": "9"}, "BCRYPT_COST=9 is out of range: use 10-31"},
		{"cost above 31", map[string]string{"BCRYPT_COST": "32"}, "BCRYPT_COST=32 is out of range"},
		{"bad level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL=\"loud\" is not a level"},
		{"bad proxy", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,proxy"}, `TRUSTED_PROXIES entry "proxy"`},
		{"unknown scheme", map[string]string{"DATABASE_URL": "postgres://db/auth"}, `DATABASE_URL scheme "postgres" is not supported`},
		{"not a URL", map[string]string{"DATABASE_URL": "auth.db"}, "DATABASE_URL=\"auth.db\" is not a URL"},
		{"no file", map[string]string{"DATABASE_URL": "sqlite://"}, "names no file"},
		{"options", map[string]string{"DATABASE_URL": "sqlite://a.db?mode=ro"}, "options are not supported"},
		{"directory", map[string]string{"DATABASE_URL": "sqlite:///data/"}, "names a directory"},
		{"admin name only", map[string]string{"BOOTSTRAP_ADMIN_USERNAME": "admin"}, "BOOTSTRAP_ADMIN_PASSWORD is not: set both or neither"},
		{"admin password only", map[string]string{"BOOTSTRAP_ADMIN_PASSWORD": "a-long-password"}, "BOOTSTRAP_ADMIN_USERNAME is not"},
		{"admin password short", map[string]string{"BOOTSTRAP_ADMIN_USERNAME": "admin", "BOOTSTRAP_ADMIN_PASSWORD": "short"}, "BOOTSTRAP_ADMIN_PASSWORD: password is too short"},
		{"admin name bad", map[string]string{"BOOTSTRAP_ADMIN_USERNAME": "ad min", "BOOTSTRAP_ADMIN_PASSWORD": "a-long-password"}, "BOOTSTRAP_ADMIN_USERNAME: username may contain only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			_, err := Load()
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	setEnv(t, map[string]string{"BCRYPT_COST": "4", "DATABASE_URL": "mysql://x", "LOG_LEVEL": "x"})
	_, err := Load()
	if err == nil {
		t.Fatal("got no error")
	}
	for _, name := range []string{"BCRYPT_COST", "DATABASE_URL", "LOG_LEVEL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestLoadEnvFile(t *testing.T) {
	setEnv(t, map[string]string{"ISSUER": "from-real-env"})
	t.Setenv("UNRELATED_TEST_VAR", "")
	os.Unsetenv("UNRELATED_TEST_VAR")
	os.Unsetenv("PORT")
	path := filepath.Join(t.TempDir(), ".env")
	content := "# comment\nISSUER=from-file\nPORT=12345\nUNRELATED_TEST_VAR=\"quoted value\"\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := envfile.Load(path); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Issuer != "from-real-env" {
		t.Errorf("got ISSUER %q, want the real environment to win", cfg.Issuer)
	}
	if cfg.Port != 12345 || os.Getenv("UNRELATED_TEST_VAR") != "quoted value" {
		t.Errorf("got PORT %d, UNRELATED_TEST_VAR %q; want the file's values", cfg.Port, os.Getenv("UNRELATED_TEST_VAR"))
	}
	if err := envfile.Load(filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Errorf("missing file: got %v, want nil", err)
	}
}
