package httpserve

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckHost(t *testing.T) {
	allowed, err := ParseAllowedHosts("Login.Example.com, localhost ::1")
	if err != nil {
		t.Fatal(err)
	}
	h := CheckHost(allowed, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	tests := []struct {
		host string
		want int
	}{
		{"login.example.com", http.StatusNoContent},
		{"LOGIN.example.com:8080", http.StatusNoContent},
		{"login.example.com.", http.StatusNoContent},
		{"127.0.0.1:10000", http.StatusNoContent}, // the healthcheck
		{"[::1]:8080", http.StatusNoContent},
		{"localhost:8080", http.StatusNoContent},
		// DNS rebinding: the attacker's name, resolved to this server.
		{"evil.example.net", http.StatusMisdirectedRequest},
		{"rebind.attacker.test:8080", http.StatusMisdirectedRequest},
		{"login.example.com.evil.test", http.StatusMisdirectedRequest},
		{"192.168.1.10:8080", http.StatusMisdirectedRequest},
		{"", http.StatusMisdirectedRequest},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		r.Host = tt.host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("Host %q: got %d, want %d", tt.host, w.Code, tt.want)
		}
		if tt.want == http.StatusMisdirectedRequest && !strings.Contains(w.Body.String(), "ALLOWED_HOSTS") {
			t.Errorf("Host %q: body %q does not say what to fix", tt.host, w.Body)
		}
	}
	open := CheckHost(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Host = "anything.test"
	w := httptest.NewRecorder()
	open.ServeHTTP(w, r)
	if w.Code != http.StatusNoContent {
		t.Errorf("no ALLOWED_HOSTS: got %d, want every host accepted", w.Code)
	}
}

func TestParseSettings(t *testing.T) {
	for _, bad := range []string{"http://example.com", "example.com:8080", "*.example.com", "a@b"} {
		if _, err := ParseAllowedHosts(bad); err == nil || !strings.Contains(err.Error(), "ALLOWED_HOSTS") {
			t.Errorf("ParseAllowedHosts(%q): got %v, want an error naming ALLOWED_HOSTS", bad, err)
		}
	}
	for in, want := range map[string]string{"": "", " 127.0.0.1 ": "127.0.0.1", "0.0.0.0": "0.0.0.0", "::1": "::1", "[::]": "::", "localhost": "localhost"} {
		got, err := ParseListenAddress(in)
		if err != nil || got != want {
			t.Errorf("ParseListenAddress(%q): got %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"example.com", "127.0.0.1:80", "fe80::1%eth0", "1.2.3"} {
		if _, err := ParseListenAddress(bad); err == nil || !strings.Contains(err.Error(), "LISTEN_ADDRESS") {
			t.Errorf("ParseListenAddress(%q): got %v, want an error naming LISTEN_ADDRESS", bad, err)
		}
	}
}
