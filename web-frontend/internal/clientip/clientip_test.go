package clientip

import (
	"net/http/httptest"
	"testing"

	"github.com/jwt-micro-system/web-frontend/internal/config"
)

func TestClientIP(t *testing.T) {
	trusted, err := config.ParseProxies("10.0.0.0/8, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"no proxy", "203.0.113.5:1234", nil, "203.0.113.5"},
		{"untrusted peer's header ignored", "203.0.113.5:1234", []string{"1.2.3.4"}, "203.0.113.5"},
		{"trusted peer", "10.0.0.2:1234", []string{"198.51.100.7"}, "198.51.100.7"},
		{"chain of trusted proxies", "127.0.0.1:1234", []string{"198.51.100.7, 10.1.1.1"}, "198.51.100.7"},
		{"spoofed left-most entry ignored", "10.0.0.2:1234", []string{"6.6.6.6, 198.51.100.7"}, "198.51.100.7"},
		{"several headers", "10.0.0.2:1234", []string{"6.6.6.6", "198.51.100.7"}, "198.51.100.7"},
		{"garbage entry stops the walk", "10.0.0.2:1234", []string{"198.51.100.7, nonsense"}, "10.0.0.2"},
		{"all trusted", "10.0.0.2:1234", []string{"10.0.0.3"}, "10.0.0.3"},
		{"ipv4-mapped ipv6", "[::ffff:10.0.0.2]:1234", []string{"198.51.100.7"}, "198.51.100.7"},
		{"ipv6", "[2001:db8::1]:1234", nil, "2001:db8::1"},
		{"unparseable peer", "pipe", nil, ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := Of(r, trusted); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
