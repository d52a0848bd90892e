package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/envfile"
)

// mapEnv is a getenv that reads env and nothing else, so tests never touch
// the process environment and can run in parallel.
func mapEnv(env map[string]string) func(string) string {
	return func(key string) string { return env[key] }
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Load(mapEnv(nil))
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
		{"REFRESH_REUSE_INTERVAL", cfg.RefreshReuseInterval, 30 * time.Second},
		{"REFRESH_RATE_PER_FAMILY", cfg.RefreshRatePerFamily, 60},
		{"REFRESH_RATE_PER_ADDRESS", cfg.RefreshRatePerAddress, 600},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestLoadValues(t *testing.T) {
	t.Parallel()
	cfg, err := Load(mapEnv(map[string]string{
		"PORT": "0", "LOG_LEVEL": "debug", "DATABASE_URL": "sqlite:///data/auth.db",
		"ACCESS_TOKEN_TTL": "5m", "BCRYPT_COST": "10", "TRUSTED_PROXIES": "10.0.0.0/8, 172.18.0.2,",
		"BOOTSTRAP_ADMIN_USERNAME": "admin", "BOOTSTRAP_ADMIN_PASSWORD": "a-long-password",
		"ISSUER": "   ", "JWT_AUDIENCE": "",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 0 || cfg.DatabasePath != "/data/auth.db" || cfg.AccessTokenTTL != 5*time.Minute ||
		cfg.BcryptCost != 10 || len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[1] != "172.18.0.2" || cfg.Level.String() != "DEBUG" ||
		cfg.Issuer != "auth-api" {
		t.Errorf("got %+v (a blank ISSUER counts as unset)", cfg)
	}
}

// 0 turns the reuse interval and the refresh limits off; it is a value, not
// "unset".
func TestLoadRefreshOff(t *testing.T) {
	t.Parallel()
	cfg, err := Load(mapEnv(map[string]string{"REFRESH_REUSE_INTERVAL": "0", "REFRESH_RATE_PER_FAMILY": "0", "REFRESH_RATE_PER_ADDRESS": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RefreshReuseInterval != 0 || cfg.RefreshRatePerFamily != 0 || cfg.RefreshRatePerAddress != 0 {
		t.Errorf("got %s, %d, %d; want 0, 0, 0", cfg.RefreshReuseInterval, cfg.RefreshRatePerFamily, cfg.RefreshRatePerAddress)
	}
}

func TestLoadPostgres(t *testing.T) {
	t.Parallel()
	for _, url := range []string{"postgres://auth:secret@db:5432/auth?sslmode=disable", "postgresql://auth:secret@db/auth"} {
		cfg, err := Load(mapEnv(map[string]string{"DATABASE_URL": url}))
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if !cfg.Postgres() || cfg.DatabasePath != "" || strings.Contains(cfg.Database(), "secret") {
			t.Errorf("%s: got Postgres %v, path %q, database %q; want true, no path, no password", url, cfg.Postgres(), cfg.DatabasePath, cfg.Database())
		}
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
		{"unknown scheme", map[string]string{"DATABASE_URL": "mysql://db/auth"}, `DATABASE_URL scheme "mysql" is not supported`},
		{"not a URL", map[string]string{"DATABASE_URL": "auth.db"}, "DATABASE_URL=\"auth.db\" is not a URL"},
		{"no file", map[string]string{"DATABASE_URL": "sqlite://"}, "names no file"},
		{"options", map[string]string{"DATABASE_URL": "sqlite://a.db?mode=ro"}, "options are not supported"},
		{"directory", map[string]string{"DATABASE_URL": "sqlite:///data/"}, "names a directory"},
		{"reuse interval negative", map[string]string{"REFRESH_REUSE_INTERVAL": "-1s"}, "REFRESH_REUSE_INTERVAL=-1s is out of range"},
		{"reuse interval long", map[string]string{"REFRESH_REUSE_INTERVAL": "1h"}, "REFRESH_REUSE_INTERVAL=1h0m0s is out of range: use 0 (off) to 5m"},
		{"reuse interval bad", map[string]string{"REFRESH_REUSE_INTERVAL": "soon"}, `REFRESH_REUSE_INTERVAL="soon" is not valid: want a duration`},
		{"family rate negative", map[string]string{"REFRESH_RATE_PER_FAMILY": "-5"}, "REFRESH_RATE_PER_FAMILY=-5 is negative"},
		{"address rate bad", map[string]string{"REFRESH_RATE_PER_ADDRESS": "many"}, `REFRESH_RATE_PER_ADDRESS="many" is not valid: want a whole number`},
		{"admin name only", map[string]string{"BOOTSTRAP_ADMIN_USERNAME": "admin"}, "BOOTSTRAP_ADMIN_PASSWORD is not: set both or neither"},
		{"admin password only", map[string]string{"BOOTSTRAP_ADMIN_PASSWORD": "a-long-password"}, "BOOTSTRAP_ADMIN_USERNAME is not"},
		{"admin password short", map[string]string{"BOOTSTRAP_ADMIN_USERNAME": "admin", "BOOTSTRAP_ADMIN_PASSWORD": "short"}, "BOOTSTRAP_ADMIN_PASSWORD: password is too short"},
		{"admin name bad", map[string]string{"BOOTSTRAP_ADMIN_USERNAME": "ad min", "BOOTSTRAP_ADMIN_PASSWORD": "a-long-password"}, "BOOTSTRAP_ADMIN_USERNAME: username may contain only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(mapEnv(tt.env))
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
	t.Parallel()
	_, err := Load(mapEnv(map[string]string{"BCRYPT_COST": "4", "DATABASE_URL": "mysql://x", "LOG_LEVEL": "x"}))
	if err == nil {
		t.Fatal("got no error")
	}
	for _, name := range []string{"BCRYPT_COST", "DATABASE_URL", "LOG_LEVEL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

// The .env file fills in what the real environment leaves unset or empty;
// the real environment wins.
func TestLoadEnvFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), ".env")
	content := "# comment\nISSUER=from-file\nPORT=12345\nLOG_LEVEL=debug\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv, err := envfile.Getenv(path, mapEnv(map[string]string{"ISSUER": "from-real-env", "LOG_LEVEL": ""}))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Issuer != "from-real-env" {
		t.Errorf("got ISSUER %q, want the real environment to win", cfg.Issuer)
	}
	if cfg.Port != 12345 || cfg.LogLevel != "debug" {
		t.Errorf("got PORT %d, LOG_LEVEL %q; want the file's values", cfg.Port, cfg.LogLevel)
	}
}
