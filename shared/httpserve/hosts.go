package httpserve

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseListenAddress checks LISTEN_ADDRESS: empty (every interface), an IP
// address such as 127.0.0.1, 0.0.0.0 or ::1, or localhost. The error names
// the variable and the fix.
func ParseListenAddress(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "localhost" {
		return v, nil
	}
	a, err := netip.ParseAddr(strings.Trim(v, "[]"))
	if err != nil || a.Zone() != "" {
		return "", fmt.Errorf("LISTEN_ADDRESS=%q is not an IP address: use 127.0.0.1 (this host only), 0.0.0.0 (every interface) or leave it empty", v)
	}
	return a.String(), nil
}

// ParseAllowedHosts parses ALLOWED_HOSTS: host names (or IP addresses)
// separated by commas or spaces, without ports, compared case-insensitively.
// Empty means any Host is accepted.
func ParseAllowedHosts(v string) ([]string, error) {
	var hosts []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		h := strings.ToLower(f)
		if strings.ContainsAny(h, "/:@*[]") {
			if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
				hosts = append(hosts, a.String())
				continue
			}
			return nil, fmt.Errorf("ALLOWED_HOSTS entry %q is not a host name: list names only, without scheme, port or wildcard (e.g. login.example.com,localhost)", f)
		}
		hosts = append(hosts, strings.TrimSuffix(h, "."))
	}
	return hosts, nil
}

// CheckHost wraps next so that only requests whose Host header names one of
// allowed (port ignored) reach it; others get 421 Misdirected Request with
// a JSON {"error","message"} body. This defeats DNS rebinding: a page on
// another name that resolves to this server cannot talk to it. Loopback
// literals (127.0.0.1, ::1) and localhost are always accepted, so the
// container healthcheck, which asks 127.0.0.1, keeps working; a rebinding
// attack never sends them. With no allowed hosts every request passes.
func CheckHost(allowed []string, next http.Handler) http.Handler {
	if len(allowed) == 0 {
		return next
	}
	set := make(map[string]bool, len(allowed)+3)
	for _, h := range allowed {
		set[h] = true
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		set[h] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if set[hostOnly(r.Host)] {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusMisdirectedRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{
			"error":   "host_not_allowed",
			"message": "this server does not answer for the host named in the Host header; use one of the names in its ALLOWED_HOSTS",
		})
	})
}

// hostOnly returns the lower-cased host of a Host header, without port or
// IPv6 brackets.
func hostOnly(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
	if a, err := netip.ParseAddr(h); err == nil {
		return a.String()
	}
	return h
}
