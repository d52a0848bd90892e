// Package healthprobe asks a service on this host whether it is alive. It
// is the healthcheck subcommand of both binaries, which is the container
// HEALTHCHECK of images that have no shell and no curl.
package healthprobe

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Timeout bounds one probe.
const Timeout = 3 * time.Second

// Check asks http://127.0.0.1:port/healthz and returns nil when it answers
// 200. port is the service's PORT value; anything but a TCP port number is
// an error that names PORT.
func Check(ctx context.Context, port string) error {
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return fmt.Errorf("PORT must be a TCP port number, got %q", port)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	url := "http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
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
