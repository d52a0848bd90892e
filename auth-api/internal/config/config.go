// Package config reads and validates the auth-api configuration from the
// environment (and from a .env file in the working directory, when present).
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/jwt-micro-system/auth-api/internal/account"
)

// Config is the auth-api configuration. Field tags name the environment
// variables; SPEC.md "Configuration" is the contract.
type Config struct {
	SecretKey         string        `envconfig:"SECRET_KEY"`
	SecretKeyPrevious string        `envconfig:"SECRET_KEY_PREVIOUS"`
	Issuer            string        `envconfig:"ISSUER" default:"auth-api"`
	Audience          string        `envconfig:"JWT_AUDIENCE"`
	Port              int           `envconfig:"PORT" default:"10000"`
	LogLevel          string        `envconfig:"LOG_LEVEL" default:"info"`
	TrustedProxies    []string      `envconfig:"TRUSTED_PROXIES"`
	DatabaseURL       string        `envconfig:"DATABASE_URL" default:"sqlite://auth.db"`
	AccessTokenTTL    time.Duration `envconfig:"ACCESS_TOKEN_TTL" default:"30m"`
	RefreshTokenTTL   time.Duration `envconfig:"REFRESH_TOKEN_TTL" default:"168h"`
	BcryptCost        int           `envconfig:"BCRYPT_COST" default:"12"`
	BootstrapUsername string        `envconfig:"BOOTSTRAP_ADMIN_USERNAME"`
	BootstrapPassword string        `envconfig:"BOOTSTRAP_ADMIN_PASSWORD"`

	// Level is LOG_LEVEL parsed; DatabasePath is the file named by
	// DATABASE_URL. Both are set by Load.
	Level        slog.Level `ignored:"true"`
	DatabasePath string     `ignored:"true"`
}

// names lists every variable Config reads, for treating empty values as
// unset.
var names = []string{
	"SECRET_KEY", "SECRET_KEY_PREVIOUS", "ISSUER", "JWT_AUDIENCE", "PORT", "LOG_LEVEL",
	"TRUSTED_PROXIES", "DATABASE_URL", "ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL", "BCRYPT_COST",
	"BOOTSTRAP_ADMIN_USERNAME", "BOOTSTRAP_ADMIN_PASSWORD",
}

// Load reads the configuration from the environment and validates it. The
// error lists every problem, each naming its variable and the fix. Checks of
// SECRET_KEY itself are left to secretkey.NewKeys, which owns the policy.
func Load() (*Config, error) {
	// Compose files often pass "VAR=" for an unset optional value; treat an
	// empty value as unset so the default applies instead of a parse error.
	for _, n := range names {
		if v, ok := os.LookupEnv(n); ok && strings.TrimSpace(v) == "" {
			os.Unsetenv(n)
		}
	}
	var cfg Config
	if err := envconfig.Process("", &cfg); err != nil {
		return nil, explain(err)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// explain turns an envconfig parse error into one that names the variable
// and says what a valid value looks like.
func explain(err error) error {
	var pe *envconfig.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	var want string
	switch pe.TypeName {
	case "int":
		want = "a whole number"
	case "Duration", "time.Duration":
		want = "a duration such as 30m, 1h or 168h"
	default:
		want = "a " + pe.TypeName
	}
	return fmt.Errorf("%s=%q is not valid: want %s", pe.KeyName, pe.Value, want)
}

func (c *Config) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if c.Port < 0 || c.Port > 65535 {
		add("PORT=%d is out of range: use 1-65535 (or 0 for any free port)", c.Port)
	}
	if err := c.Level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		add("LOG_LEVEL=%q is not a level: use debug, info, warn or error", c.LogLevel)
	}
	var proxies []string
	for _, p := range c.TrustedProxies {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				add("TRUSTED_PROXIES entry %q is not an IP address or CIDR range (e.g. 10.0.0.0/8)", p)
			}
		}
		proxies = append(proxies, p)
	}
	c.TrustedProxies = proxies
	path, err := DatabasePath(c.DatabaseURL)
	if err != nil {
		errs = append(errs, err)
	}
	c.DatabasePath = path
	if c.AccessTokenTTL < time.Second {
		add("ACCESS_TOKEN_TTL=%s is too short: use at least 1s (default 30m)", c.AccessTokenTTL)
	}
	if c.RefreshTokenTTL < time.Second {
		add("REFRESH_TOKEN_TTL=%s is too short: use at least 1s (default 168h)", c.RefreshTokenTTL)
	}
	if c.BcryptCost < account.MinBcryptCost || c.BcryptCost > 31 {
		add("BCRYPT_COST=%d is out of range: use %d-31 (default %d)", c.BcryptCost, account.MinBcryptCost, account.DefaultBcryptCost)
	}
	if strings.TrimSpace(c.Issuer) == "" {
		add("ISSUER is empty: leave it unset for the default auth-api, or name this service")
	}
	switch {
	case c.BootstrapUsername == "" && c.BootstrapPassword == "":
	case c.BootstrapUsername == "":
		add("BOOTSTRAP_ADMIN_PASSWORD is set but BOOTSTRAP_ADMIN_USERNAME is not: set both or neither")
	case c.BootstrapPassword == "":
		add("BOOTSTRAP_ADMIN_USERNAME is set but BOOTSTRAP_ADMIN_PASSWORD is not: set both or neither")
	default:
		if err := account.ValidateUsername(c.BootstrapUsername); err != nil {
			add("BOOTSTRAP_ADMIN_USERNAME: %v", err)
		}
		if err := account.ValidatePassword(c.BootstrapPassword); err != nil {
			add("BOOTSTRAP_ADMIN_PASSWORD: %v", err)
		}
	}
	return errors.Join(errs...)
}

// DatabasePath returns the file named by a DATABASE_URL:
// sqlite://auth.db is the relative path auth.db and sqlite:///data/auth.db
// the absolute path /data/auth.db.
func DatabasePath(url string) (string, error) {
	path, ok := strings.CutPrefix(url, "sqlite://")
	if !ok {
		scheme, _, found := strings.Cut(url, "://")
		if !found {
			return "", fmt.Errorf("DATABASE_URL=%q is not a URL: use sqlite://auth.db (relative) or sqlite:///data/auth.db (absolute)", url)
		}
		return "", fmt.Errorf("DATABASE_URL scheme %q is not supported: use sqlite://auth.db (relative) or sqlite:///data/auth.db (absolute)", scheme)
	}
	switch {
	case path == "" || path == "/":
		return "", fmt.Errorf("DATABASE_URL=%q names no file: use sqlite://auth.db or sqlite:///data/auth.db", url)
	case strings.ContainsAny(path, "?#\x00"):
		return "", fmt.Errorf("DATABASE_URL=%q: options are not supported, name only the file (sqlite:///data/auth.db)", url)
	case strings.HasSuffix(path, "/"):
		return "", fmt.Errorf("DATABASE_URL=%q names a directory: add a file name (sqlite:///data/auth.db)", url)
	}
	return path, nil
}
