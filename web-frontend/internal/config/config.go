// Package config reads and validates the web-frontend configuration from
// the environment (and from a .env file when one is present).
package config

import (
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/kelseyhightower/envconfig"
)

// Config is the web-frontend configuration. Every field comes from the
// environment variable in its envconfig tag.
type Config struct {
	SecretKey         string `envconfig:"SECRET_KEY"`
	SecretKeyPrevious string `envconfig:"SECRET_KEY_PREVIOUS"`
	Issuer            string `envconfig:"ISSUER" default:"auth-api"`
	Audience          string `envconfig:"JWT_AUDIENCE"`
	Port              string `envconfig:"PORT" default:"8080"`
	LogLevel          string `envconfig:"LOG_LEVEL" default:"info"`
	TrustedProxies    string `envconfig:"TRUSTED_PROXIES"`
	AuthAPIURL        string `envconfig:"AUTH_API_URL" default:"http://localhost:10000"`
	CookieSecure      string `envconfig:"COOKIE_SECURE" default:"true"`
}

// Settings is a validated Config, in the types the service uses.
type Settings struct {
	Keys           *secretkey.Keys
	Issuer         string
	Audience       string
	Port           string
	LogLevel       slog.Level
	TrustedProxies []netip.Prefix
	AuthAPIURL     *url.URL
	CookieSecure   bool
}

// Load reads the configuration from the environment and validates it.
func Load() (*Settings, error) {
	var c Config
	if err := envconfig.Process("", &c); err != nil {
		return nil, fmt.Errorf("reading environment: %w", err)
	}
	return c.Validate()
}

// Validate checks every field and returns the typed settings. Each error
// names the variable and says how to fix it.
func (c Config) Validate() (*Settings, error) {
	keys, err := secretkey.NewKeys(c.SecretKey, c.SecretKeyPrevious)
	if err != nil {
		return nil, err
	}
	s := &Settings{Keys: keys, Issuer: strings.TrimSpace(c.Issuer), Audience: strings.TrimSpace(c.Audience)}
	if s.Issuer == "" {
		s.Issuer = jwtauth.DefaultIssuer
	}

	port, err := strconv.Atoi(c.Port)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("PORT must be a TCP port number between 0 and 65535, got %q", c.Port)
	}
	s.Port = strconv.Itoa(port)

	if err := s.LogLevel.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("LOG_LEVEL must be one of debug, info, warn, error; got %q", c.LogLevel)
	}

	s.TrustedProxies, err = ParseProxies(c.TrustedProxies)
	if err != nil {
		return nil, err
	}

	u, err := url.Parse(strings.TrimSpace(c.AuthAPIURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("AUTH_API_URL must be an http(s) URL such as http://auth-api:10000, got %q", c.AuthAPIURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	s.AuthAPIURL = u

	s.CookieSecure, err = strconv.ParseBool(strings.TrimSpace(c.CookieSecure))
	if err != nil {
		return nil, fmt.Errorf("COOKIE_SECURE must be true or false, got %q", c.CookieSecure)
	}
	return s, nil
}

// ParseProxies parses TRUSTED_PROXIES: addresses or CIDR prefixes separated
// by commas or spaces.
func ParseProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("TRUSTED_PROXIES: %q is neither an IP address nor a CIDR prefix (e.g. 10.0.0.0/8)", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
