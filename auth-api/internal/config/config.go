// Package config reads and validates the auth-api configuration from
// environment variables, read through a getenv function (the process
// environment overlaid on a .env file, in main; a map, in tests).
package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/jwt-micro-system/shared/envfile"
	"github.com/jwt-micro-system/shared/httpserve"
	"github.com/sethvargo/go-envconfig"

	"github.com/jwt-micro-system/auth-api/internal/account"
)

// Config is the auth-api configuration. Field tags name the environment
// variables and their defaults; SPEC.md "Configuration" is the contract.
type Config struct {
	SecretKey         string        `env:"SECRET_KEY"`
	SecretKeyPrevious string        `env:"SECRET_KEY_PREVIOUS"`
	Issuer            string        `env:"ISSUER, default=auth-api"`
	Audience          string        `env:"JWT_AUDIENCE"`
	Port              int           `env:"PORT, default=10000"`
	ListenAddress     string        `env:"LISTEN_ADDRESS"`
	AllowedHosts      string        `env:"ALLOWED_HOSTS"`
	MetricsAddress    string        `env:"METRICS_ADDRESS"`
	MetricsToken      string        `env:"METRICS_TOKEN"`
	LogLevel          string        `env:"LOG_LEVEL, default=info"`
	TrustedProxies    []string      `env:"TRUSTED_PROXIES"`
	DatabaseURL       string        `env:"DATABASE_URL, default=sqlite://auth.db"`
	AccessTokenTTL    time.Duration `env:"ACCESS_TOKEN_TTL, default=30m"`
	RefreshTokenTTL   time.Duration `env:"REFRESH_TOKEN_TTL, default=168h"`
	BcryptCost        int           `env:"BCRYPT_COST, default=12"`
	// RefreshReuseInterval: a refresh token presented again this soon
	// after its rotation gets the same successor; 0 turns that off.
	RefreshReuseInterval time.Duration `env:"REFRESH_REUSE_INTERVAL, default=30s"`
	// RefreshRatePerFamily and RefreshRatePerAddress are refreshes per
	// minute; 0 turns the limit off.
	RefreshRatePerFamily  int    `env:"REFRESH_RATE_PER_FAMILY, default=60"`
	RefreshRatePerAddress int    `env:"REFRESH_RATE_PER_ADDRESS, default=600"`
	BootstrapUsername     string `env:"BOOTSTRAP_ADMIN_USERNAME"`
	BootstrapPassword     string `env:"BOOTSTRAP_ADMIN_PASSWORD"`
	InstanceName          string `env:"INSTANCE_NAME"` // sent as X-Instance when set
	// ShutdownDelay: how long to go on serving after SIGTERM.
	ShutdownDelay time.Duration `env:"SHUTDOWN_DELAY, default=0s"`

	// Level is LOG_LEVEL parsed; DatabasePath is the SQLite file named by
	// DATABASE_URL, empty when it names PostgreSQL; Hosts is ALLOWED_HOSTS
	// parsed (nil: any Host). All are set by Load.
	Level        slog.Level
	DatabasePath string
	Hosts        []string
}

// Upper bounds of the token lifetimes: a stolen token must not stay good
// for longer.
const (
	MaxAccessTokenTTL  = 24 * time.Hour
	MaxRefreshTokenTTL = 90 * 24 * time.Hour
)

// MinMetricsTokenLen is the shortest METRICS_TOKEN accepted.
const MinMetricsTokenLen = 16

// FileVariables returns the variables that may instead be read from the
// file their _FILE variable names (SECRET_KEY_FILE=/run/secrets/secret_key,
// as Docker secrets are mounted); see envfile.WithFiles.
func FileVariables() []string {
	return []string{"SECRET_KEY", "SECRET_KEY_PREVIOUS", "DATABASE_URL", "BOOTSTRAP_ADMIN_PASSWORD", "METRICS_TOKEN"}
}

// Load reads the configuration through getenv (os.Getenv, or a test's map,
// or envfile.Getenv's overlay of a .env file) and validates it. The error
// lists every problem, each naming its variable and the fix. Checks of
// SECRET_KEY itself are left to secretkey.NewKeys, which owns the policy.
// Each variable of FileVariables may come from the file its _FILE variable
// names instead.
func Load(getenv func(string) string) (*Config, error) {
	getenv, err := envfile.WithFiles(getenv, FileVariables()...)
	if err != nil {
		return nil, err
	}
	// Compose files often pass "VAR=" for an unset optional value; an empty
	// (or blank) value counts as unset, so the default applies instead of a
	// parse error.
	lookup := envconfig.LookuperFunc(func(key string) (string, bool) {
		v := getenv(key)
		return v, strings.TrimSpace(v) != ""
	})
	var cfg Config
	if err := envconfig.ProcessWith(context.Background(), &envconfig.Config{Target: &cfg, Lookuper: lookup}); err != nil {
		return nil, explain(err, getenv)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// explain turns an envconfig parse error, which names the Go field, into
// one that names the variable, its value and what a valid value looks like.
func explain(err error, getenv func(string) string) error {
	field, _, ok := strings.Cut(err.Error(), ":")
	if !ok {
		return err
	}
	f, found := reflect.TypeFor[Config]().FieldByName(field)
	if !found {
		return err
	}
	key, _, _ := strings.Cut(f.Tag.Get("env"), ",")
	want := "a " + f.Type.String()
	switch f.Type {
	case reflect.TypeFor[int]():
		want = "a whole number"
	case reflect.TypeFor[time.Duration]():
		want = "a duration such as 30m, 1h or 168h"
	}
	return fmt.Errorf("%s=%q is not valid: want %s", key, getenv(key), want)
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
	if !c.Postgres() {
		path, err := DatabasePath(c.DatabaseURL)
		if err != nil {
			errs = append(errs, err)
		}
		c.DatabasePath = path
	}
	if c.AccessTokenTTL < time.Second {
		add("ACCESS_TOKEN_TTL=%s is too short: use at least 1s (default 30m)", c.AccessTokenTTL)
	}
	if c.AccessTokenTTL > MaxAccessTokenTTL {
		add("ACCESS_TOKEN_TTL=%s is too long: use at most 24h (default 30m); clients refresh instead", c.AccessTokenTTL)
	}
	if c.RefreshTokenTTL < time.Second {
		add("REFRESH_TOKEN_TTL=%s is too short: use at least 1s (default 168h)", c.RefreshTokenTTL)
	}
	if c.RefreshTokenTTL > MaxRefreshTokenTTL {
		add("REFRESH_TOKEN_TTL=%s is too long: use at most 2160h (90 days; default 168h)", c.RefreshTokenTTL)
	}
	if addr, err := httpserve.ParseListenAddress(c.ListenAddress); err != nil {
		errs = append(errs, err)
	} else {
		c.ListenAddress = addr
	}
	hosts, err := httpserve.ParseAllowedHosts(c.AllowedHosts)
	if err != nil {
		errs = append(errs, err)
	}
	c.Hosts = hosts
	if c.MetricsAddress != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddress); err != nil || port == "" {
			add("METRICS_ADDRESS=%q is not host:port: use e.g. 127.0.0.1:9100 (or :9100 for every interface)", c.MetricsAddress)
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < MinMetricsTokenLen {
		add("METRICS_TOKEN is too short (%d bytes, need at least %d); generate one with: openssl rand -base64 32", len(c.MetricsToken), MinMetricsTokenLen)
	}
	if c.RefreshReuseInterval < 0 || c.RefreshReuseInterval > 5*time.Minute {
		add("REFRESH_REUSE_INTERVAL=%s is out of range: use 0 (off) to 5m (default 30s)", c.RefreshReuseInterval)
	}
	if c.RefreshRatePerFamily < 0 {
		add("REFRESH_RATE_PER_FAMILY=%d is negative: use refreshes per minute, 0 for no limit (default 60)", c.RefreshRatePerFamily)
	}
	if c.RefreshRatePerAddress < 0 {
		add("REFRESH_RATE_PER_ADDRESS=%d is negative: use refreshes per minute, 0 for no limit (default 600)", c.RefreshRatePerAddress)
	}
	if c.BcryptCost < account.MinBcryptCost || c.BcryptCost > 31 {
		add("BCRYPT_COST=%d is out of range: use %d-31 (default %d)", c.BcryptCost, account.MinBcryptCost, account.DefaultBcryptCost)
	}
	if strings.TrimSpace(c.Issuer) == "" {
		add("ISSUER is empty: leave it unset for the default auth-api, or name this service")
	}
	if c.ShutdownDelay < 0 || c.ShutdownDelay > httpserve.MaxShutdownDelay {
		add("SHUTDOWN_DELAY=%s is out of range: use 0s to %s (e.g. 2s behind a load balancer)", c.ShutdownDelay, httpserve.MaxShutdownDelay)
	}
	if c.InstanceName != "" && !ValidInstanceName(c.InstanceName) {
		add("INSTANCE_NAME=%q is not a plain name: use 1-128 letters, digits, '.', '_' or '-' (e.g. auth-api.2)", c.InstanceName)
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

// Postgres reports whether DATABASE_URL names a PostgreSQL database
// (postgres://… or postgresql://…, checked when connecting) rather than a
// SQLite file.
func (c *Config) Postgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// Database names the database for the log: the SQLite file, or the
// PostgreSQL URL without its password.
func (c *Config) Database() string {
	if !c.Postgres() {
		return c.DatabasePath
	}
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return "postgres"
	}
	return u.Redacted()
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
		return "", fmt.Errorf("DATABASE_URL scheme %q is not supported: use sqlite://auth.db (relative), sqlite:///data/auth.db (absolute) or postgres://user:password@host/database", scheme)
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

// ValidInstanceName reports whether name may be sent as the X-Instance
// header: 1-128 letters, digits, '.', '_' or '-', as Docker's replica and
// host names are.
func ValidInstanceName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
