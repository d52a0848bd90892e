// Package healthprobe asks a service on this host whether it is alive. It
// is the healthcheck subcommand of both binaries, which is the container
// HEALTHCHECK of images that have no shell and no curl.
package healthprobe

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Timeout bounds one probe.
const Timeout = 3 * time.Second

// Check asks http://127.0.0.1:port/healthz and returns nil when it answers
// 200. port is the service's PORT value; anything but a TCP port number is
// an error that names PORT.
func Check(ctx context.Context, port string) error {
	return CheckAt(ctx, "", port)
}

// CheckAt is Check for a service bound to listen (its LISTEN_ADDRESS): a
// specific address is asked there, while empty, 0.0.0.0 or :: (every
// interface) ask 127.0.0.1. The request names Host: localhost, which
// ALLOWED_HOSTS always lets through.
func CheckAt(ctx context.Context, listen, port string) error {
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return fmt.Errorf("PORT must be a TCP port number, got %q", port)
	}
	host := "127.0.0.1"
	if a, err := netip.ParseAddr(strings.Trim(strings.TrimSpace(listen), "[]")); err == nil && !a.IsUnspecified() {
		host = a.String()
	} else if strings.TrimSpace(listen) == "localhost" {
		host = "localhost"
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Host = "localhost"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}
