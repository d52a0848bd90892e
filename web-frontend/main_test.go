package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/servicetest"
)

// listeningAddr waits for run's "listening" line and returns the address
// to dial.
func listeningAddr(tb testing.TB, out *servicetest.Log, errc <-chan error) string {
	tb.Helper()
	addr, err := out.WaitListening(10*time.Second, errc)
	if err != nil {
		tb.Fatalf("%v\n%s", err, out)
	}
	return addr
}

func TestRunServesAndShutsDown(t *testing.T) {
	secret := servicetest.NewSecret()
	authAPI := httptest.NewServer(http.NotFoundHandler()) // unreachable-ish: /token-key 404
	defer authAPI.Close()
	t.Chdir(t.TempDir()) // no stray .env
	getenv := mapEnv(map[string]string{
		"SECRET_KEY":    secret,
		"PORT":          "0",
		"AUTH_API_URL":  authAPI.URL,
		"COOKIE_SECURE": "false",
	})

	ctx, cancel := context.WithCancel(context.Background())
	out := servicetest.NewLog()
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"web-frontend"}, getenv, out) }()
	addr := listeningAddr(t, out, errc)

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: got %d", resp.StatusCode)
	}
	resp, err = http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz without a working auth-api: got %d, want 503", resp.StatusCode)
	}

	probeEnv := mapEnv(map[string]string{"PORT": addr[strings.LastIndexByte(addr, ':')+1:]})
	if err := run(context.Background(), []string{"web-frontend", "healthcheck"}, probeEnv, io.Discard); err != nil {
		t.Errorf("healthcheck: %v", err)
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run after shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if strings.Contains(out.String(), secret) {
		t.Error("the secret was logged")
	}
	if err := run(context.Background(), []string{"web-frontend", "healthcheck"}, probeEnv, io.Discard); err == nil {
		t.Error("healthcheck succeeded with the server stopped")
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		name, secret, port string
		want               []string
	}{
		{"no secret", "", "0", []string{"SECRET_KEY is not set"}},
		{"placeholder", "supersecret", "0", []string{"SECRET_KEY is a published example"}},
		// Issue 14 item 1: these started.
		{"jwt.io example", "a-string-secret-at-least-256-bits-long", "0", []string{"SECRET_KEY", "openssl rand -base64 48"}},
		{"hex counting", "0123456789abcdef0123456789abcdef", "0", []string{"SECRET_KEY", "openssl rand -base64 48"}},
		{"secret_key x3", "secret_key_secret_key_secret_key", "0", []string{"SECRET_KEY", "openssl rand -base64 48"}},
		{"bad port", servicetest.NewSecret(), "eighty", []string{"PORT must be"}},
		{"every problem at once", "", "70000", []string{"SECRET_KEY is not set", "PORT must be", "LOG_LEVEL must be"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := mapEnv(map[string]string{"SECRET_KEY": tt.secret, "PORT": tt.port})
			if tt.name == "every problem at once" {
				getenv = mapEnv(map[string]string{"PORT": tt.port, "LOG_LEVEL": "loud"})
			}
			err := run(context.Background(), []string{"web-frontend"}, getenv, io.Discard)
			for _, want := range tt.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("got %v, want an error containing %q", err, want)
				}
			}
		})
	}
}

func TestSubcommands(t *testing.T) {
	var out bytes.Buffer
	none := mapEnv(nil)
	if err := run(context.Background(), []string{"web-frontend", "version"}, none, &out); err != nil || out.String() != "web-frontend dev\n" {
		t.Errorf("version: got %q, %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"web-frontend", "bogus"}, none, io.Discard); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("unknown command: got %v", err)
	}
	if err := run(context.Background(), []string{"web-frontend", "healthcheck"}, mapEnv(map[string]string{"PORT": "nope"}), io.Discard); err == nil {
		t.Error("healthcheck accepted a bad PORT")
	}
}

// mapEnv is a getenv over m, so tests need not touch the process
// environment.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}
