package httpserve

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func listen(tb testing.TB) net.Listener {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return ln
}

// An in-flight request finishes after the context ends, and Run then
// returns nil.
func TestRunShutsDownGracefully(t *testing.T) {
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	entered, release := make(chan struct{}), make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "done")
	})}
	runErr := make(chan error, 1)
	go func() { runErr <- Run(ctx, slog.New(slog.DiscardHandler), srv, ln) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-entered
	cancel()
	close(release)
	if body := <-got; body != "done" {
		t.Errorf("in-flight request: got %q, want %q", body, "done")
	}
	if err := <-runErr; err != nil {
		t.Errorf("Run: got %v, want nil", err)
	}
}

// A listener that fails makes Run return at once with the error.
func TestRunReturnsServeErrors(t *testing.T) {
	ln := listen(t)
	ln.Close()
	err := Run(context.Background(), slog.New(slog.DiscardHandler), &http.Server{}, ln)
	if err == nil {
		t.Fatal("Run on a closed listener returned nil")
	}
}

func TestNewLimits(t *testing.T) {
	defaults := Config{ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 32 << 10}
	larger := defaults
	larger.MaxHeaderBytes = 64 << 10
	all := Config{ReadHeaderTimeout: time.Second, ReadTimeout: 2 * time.Second,
		WriteTimeout: 3 * time.Second, IdleTimeout: 4 * time.Second, MaxHeaderBytes: 1 << 10}
	tests := []struct {
		name      string
		cfg, want Config
	}{
		{"defaults", Config{}, defaults},
		{"larger headers", Config{MaxHeaderBytes: 64 << 10}, larger},
		{"all set", all, all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := New(slog.New(slog.DiscardHandler), http.NotFoundHandler(), tt.cfg)
			got := Config{ReadHeaderTimeout: srv.ReadHeaderTimeout, ReadTimeout: srv.ReadTimeout,
				WriteTimeout: srv.WriteTimeout, IdleTimeout: srv.IdleTimeout, MaxHeaderBytes: srv.MaxHeaderBytes}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if srv.Handler == nil || srv.ErrorLog == nil {
				t.Error("New left Handler or ErrorLog unset")
			}
		})
	}
}

// A request whose headers pass MaxHeaderBytes gets 431 from a server New
// built; a normal one is served.
func TestNewRefusesHugeHeaders(t *testing.T) {
	ln := listen(t)
	log := slog.New(slog.DiscardHandler)
	srv := New(log, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}), Config{MaxHeaderBytes: 1 << 10})
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- Run(ctx, log, srv, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-runErr; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"small", strings.Repeat("a", 100), http.StatusOK},
		// net/http allows 4 KiB of slack above MaxHeaderBytes.
		{"huge", strings.Repeat("a", 16<<10), http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Pad", tt.header)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("got %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestRunDrainingServesDuringTheDelay(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := New(slog.New(slog.DiscardHandler), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}), Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunDraining(ctx, slog.New(slog.DiscardHandler), srv, ln, 500*time.Millisecond) }()
	cancel()
	// Within the delay a new connection is still served.
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatalf("request during the drain delay: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("got %d during the drain delay, want 200", resp.StatusCode)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
		t.Error("a request after shutdown was served")
	}
}
