package healthprobe

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func portOf(tb testing.TB, srv *httptest.Server) string {
	tb.Helper()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

func TestCheck(t *testing.T) {
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer healthy.Close()
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer sick.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gonePort := portOf(t, gone)
	gone.Close()

	tests := []struct {
		name, port, wantErr string
	}{
		{"healthy", portOf(t, healthy), ""},
		{"answers 503", portOf(t, sick), "503"},
		{"nothing listening", gonePort, "healthcheck"},
		{"empty", "", "PORT"},
		{"not a number", "http", "PORT"},
		{"zero", "0", "PORT"},
		{"too large", "70000", "PORT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(context.Background(), tt.port)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// A service on LISTEN_ADDRESS=127.0.0.2 (or any one address) is asked
// there, with the Host ALLOWED_HOSTS always accepts.
func TestCheckAt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 here: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "localhost" {
			w.WriteHeader(http.StatusMisdirectedRequest)
		}
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	port := portOf(t, srv)
	if err := CheckAt(context.Background(), "127.0.0.2", port); err != nil {
		t.Errorf("LISTEN_ADDRESS=127.0.0.2: %v", err)
	}
	if err := CheckAt(context.Background(), "", port); err == nil {
		t.Error("asked 127.0.0.1 and got an answer from a server that is not there")
	}
}
