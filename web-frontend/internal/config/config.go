// Package config reads and validates the web-frontend configuration from
// the environment (main adds a .env file with shared/envfile).
package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/jwt-micro-system/shared/envfile"
	"github.com/jwt-micro-system/shared/httpserve"
	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/sethvargo/go-envconfig"
)

// Config is the web-frontend configuration. Field tags name the
// environment variables; SPEC.md "Configuration" is the contract. An empty
// variable counts as unset, so its default applies.
type Config struct {
	SecretKey         string   `env:"SECRET_KEY"`
	SecretKeyPrevious string   `env:"SECRET_KEY_PREVIOUS"`
	Issuer            string   `env:"ISSUER, default=auth-api"`
	Audience          string   `env:"JWT_AUDIENCE"`
	Port              int      `env:"PORT, default=8080"`
	ListenAddress     string   `env:"LISTEN_ADDRESS"`
	AllowedHosts      string   `env:"ALLOWED_HOSTS"`
	MetricsAddress    string   `env:"METRICS_ADDRESS"`
	MetricsToken      string   `env:"METRICS_TOKEN"`
	LogLevel          string   `env:"LOG_LEVEL, default=info"`
	TrustedProxies    []string `env:"TRUSTED_PROXIES"`
	AuthAPIURL        string   `env:"AUTH_API_URL, default=http://localhost:10000"`
	CookieSecure      bool     `env:"COOKIE_SECURE, default=true"`
	InstanceName      string   `env:"INSTANCE_NAME"` // sent as X-Instance when set
	// ShutdownDelay: how long to go on serving after SIGTERM.
	ShutdownDelay time.Duration `env:"SHUTDOWN_DELAY, default=0s"`
}

// Settings is a validated Config, in the types the service uses.
type Settings struct {
	Keys           *secretkey.Keys
	Issuer         string
	Audience       string
	Port           int
	ListenAddress  string   // LISTEN_ADDRESS; empty: every interface
	AllowedHosts   []string // ALLOWED_HOSTS; nil: any Host
	MetricsAddress string   // METRICS_ADDRESS; empty: /metrics on the service port
	MetricsToken   string   // METRICS_TOKEN; empty: /metrics open
	LogLevel       slog.Level
	TrustedProxies []netip.Prefix
	AuthAPIURL     *url.URL
	CookieSecure   bool
	InstanceName   string // empty when unset
	ShutdownDelay  time.Duration
}

// MinMetricsTokenLen is the shortest METRICS_TOKEN accepted.
const MinMetricsTokenLen = 16

// FileVariables returns the variables that may instead be read from the
// file their _FILE variable names (SECRET_KEY_FILE=/run/secrets/secret_key,
// as Docker secrets are mounted); see envfile.WithFiles.
func FileVariables() []string {
	return []string{"SECRET_KEY", "SECRET_KEY_PREVIOUS", "METRICS_TOKEN"}
}

// Load reads the configuration through getenv (os.Getenv in production, a
// map in tests) and validates it. Each variable of FileVariables may come
// from the file its _FILE variable names instead.
func Load(getenv func(string) string) (*Settings, error) {
	getenv, err := envfile.WithFiles(getenv, FileVariables()...)
	if err != nil {
		return nil, err
	}
	var c Config
	err = envconfig.ProcessWith(context.Background(), &envconfig.Config{
		Target: &c,
		Lookuper: envconfig.LookuperFunc(func(key string) (string, bool) {
			v := getenv(key)
			return v, strings.TrimSpace(v) != ""
		}),
	})
	if err != nil {
		return nil, explain(err)
	}
	return c.Validate()
}

// explain turns an envconfig parse error into one that names the variable
// and says what a valid value looks like.
func explain(err error) error {
	msg := err.Error()
	for _, f := range []struct{ field, fix string }{
		{"Port", "PORT must be a TCP port number between 0 and 65535"},
		{"CookieSecure", "COOKIE_SECURE must be true or false"},
	} {
		if strings.HasPrefix(msg, f.field+":") {
			return fmt.Errorf("%s: %w", f.fix, err)
		}
	}
	return fmt.Errorf("reading environment: %w", err)
}

// Validate checks every field and returns the typed settings. The error
// lists every problem, each naming its variable and how to fix it. Checks
// of SECRET_KEY itself are left to secretkey.NewKeys, which owns the policy.
func (c Config) Validate() (*Settings, error) {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	keys, err := secretkey.NewKeys(c.SecretKey, c.SecretKeyPrevious)
	if err != nil {
		errs = append(errs, err)
	}
	s := &Settings{Keys: keys, Issuer: strings.TrimSpace(c.Issuer), Audience: strings.TrimSpace(c.Audience),
		Port: c.Port, CookieSecure: c.CookieSecure, InstanceName: strings.TrimSpace(c.InstanceName),
		ShutdownDelay: c.ShutdownDelay}
	if c.ShutdownDelay < 0 || c.ShutdownDelay > httpserve.MaxShutdownDelay {
		add("SHUTDOWN_DELAY=%s is out of range: use 0s to %s (e.g. 2s behind a load balancer)", c.ShutdownDelay, httpserve.MaxShutdownDelay)
	}
	if s.Issuer == "" {
		s.Issuer = jwtauth.DefaultIssuer
	}
	if c.Port < 0 || c.Port > 65535 {
		add("PORT must be a TCP port number between 0 and 65535, got %d", c.Port)
	}
	if s.InstanceName != "" && !ValidInstanceName(s.InstanceName) {
		add("INSTANCE_NAME must be 1-128 letters, digits, '.', '_' or '-' (e.g. web-frontend.2), got %q", c.InstanceName)
	}
	if err := s.LogLevel.UnmarshalText([]byte(c.LogLevel)); err != nil {
		add("LOG_LEVEL must be one of debug, info, warn, error; got %q", c.LogLevel)
	}
	if s.TrustedProxies, err = ParseProxies(strings.Join(c.TrustedProxies, ",")); err != nil {
		errs = append(errs, err)
	}
	if s.ListenAddress, err = httpserve.ParseListenAddress(c.ListenAddress); err != nil {
		errs = append(errs, err)
	}
	if s.AllowedHosts, err = httpserve.ParseAllowedHosts(c.AllowedHosts); err != nil {
		errs = append(errs, err)
	}
	if c.MetricsAddress != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddress); err != nil || port == "" {
			add("METRICS_ADDRESS=%q is not host:port: use e.g. 127.0.0.1:9101 (or :9101 for every interface)", c.MetricsAddress)
		}
	}
	s.MetricsAddress = c.MetricsAddress
	if c.MetricsToken != "" && len(c.MetricsToken) < MinMetricsTokenLen {
		add("METRICS_TOKEN is too short (%d bytes, need at least %d); generate one with: openssl rand -base64 32", len(c.MetricsToken), MinMetricsTokenLen)
	}
	s.MetricsToken = c.MetricsToken
	u, err := url.Parse(strings.TrimSpace(c.AuthAPIURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		add("AUTH_API_URL must be an http(s) URL such as http://auth-api:10000, got %q", c.AuthAPIURL)
	} else {
		u.Path = strings.TrimRight(u.Path, "/")
		s.AuthAPIURL = u
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseProxies parses TRUSTED_PROXIES: addresses or CIDR prefixes separated
// by commas or spaces.
func ParseProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var errs []error
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is neither an IP address nor a CIDR prefix (e.g. 10.0.0.0/8)", f))
			continue
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, errors.Join(errs...)
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
