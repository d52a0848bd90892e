package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunInProcess calls run itself, several times at once: the
// environment comes only from the getenv it is given, so parallel runs
// with different settings do not see each other's.
func TestRunInProcess(t *testing.T) {
	t.Parallel()
	for _, issuer := range []string{"first", "second"} {
		t.Run(issuer, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{
				"SECRET_KEY": e2eSecret, "ISSUER": issuer, "PORT": "0", "BCRYPT_COST": "10", "LOG_LEVEL": "info",
				"DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "auth.db"),
			}
			ctx, stop := context.WithCancel(context.Background())
			pr, pw := io.Pipe()
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"auth-api"}, func(k string) string { return env[k] }, strings.NewReader(""), pw)
				pw.Close()
			}()
			t.Cleanup(func() {
				stop()
				if err := <-done; err != nil {
					t.Errorf("run: %v", err)
				}
			})
			sc := bufio.NewScanner(pr)
			var addr string
			for addr == "" && sc.Scan() {
				var entry struct{ Msg, Addr, Issuer string }
				if json.Unmarshal(sc.Bytes(), &entry) == nil && entry.Msg == "listening" {
					if entry.Issuer != issuer {
						t.Errorf("got issuer %q, want %q", entry.Issuer, issuer)
					}
					addr = entry.Addr
				}
			}
			go io.Copy(io.Discard, pr)
			if addr == "" {
				t.Fatal(`run ended without logging "listening"`)
			}
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				t.Fatal(err)
			}
			client := &http.Client{Timeout: 10 * time.Second}
			resp, err := client.Get("http://127.0.0.1:" + port + "/token-key")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var key struct{ Issuer string }
			if err := json.NewDecoder(resp.Body).Decode(&key); err != nil || key.Issuer != issuer {
				t.Errorf("token-key: got issuer %q (%v), want %q", key.Issuer, err, issuer)
			}
		})
	}
}
