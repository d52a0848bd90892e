package httpserve

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
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
