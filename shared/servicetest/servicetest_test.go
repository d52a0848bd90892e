package servicetest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestListeningAddr(t *testing.T) {
	for _, tt := range []struct {
		line, want string
		ok         bool
	}{
		{`{"level":"INFO","msg":"listening","addr":"[::]:41234","version":"x"}`, "127.0.0.1:41234", true},
		{`{"msg":"listening","addr":"127.0.0.1:8080"}`, "127.0.0.1:8080", true},
		{`{"msg":"listening","addr":"[::]:0"}`, "", false},
		{`{"msg":"listening"}`, "", false},
		{`{"msg":"listening","addr":"nonsense"}`, "", false},
		{`{"msg":"stopped","addr":"[::]:41234"}`, "", false},
		{`listening on :8080`, "", false},
		{``, "", false},
	} {
		got, ok := ListeningAddr([]byte(tt.line))
		if got != tt.want || ok != tt.ok {
			t.Errorf("ListeningAddr(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestLogFindsTheLineAcrossWrites(t *testing.T) {
	l := NewLog()
	for _, part := range []string{`{"msg":"starting"}` + "\n" + `{"msg":"list`, `ening","addr":"[::]:5`, "5\"}", "\n", `{"msg":"listening","addr":"[::]:66"}` + "\n"} {
		if _, err := l.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	addr, err := l.WaitListening(time.Second, nil)
	if err != nil || addr != "127.0.0.1:55" {
		t.Fatalf("got %q, %v; want the first listening line's 127.0.0.1:55", addr, err)
	}
	if !strings.Contains(l.String(), `"starting"`) {
		t.Error("the log lost a line")
	}
}

func TestLogWaitListeningGivesUp(t *testing.T) {
	l := NewLog()
	fmt.Fprintln(l, `{"msg":"starting"}`)
	if _, err := l.WaitListening(50*time.Millisecond, nil); !errors.Is(err, ErrNotListening) {
		t.Errorf("timeout: got %v", err)
	}
	exited := make(chan error, 1)
	exited <- errors.New("exit status 1")
	if _, err := l.WaitListening(time.Minute, exited); !errors.Is(err, ErrNotListening) || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("exited: got %v", err)
	}
}

// The test binary doubles as a service: with SERVICETEST_HELPER set it
// listens on PORT, logs the listening line and serves until SIGTERM.
func TestMain(m *testing.M) {
	switch os.Getenv("SERVICETEST_HELPER") {
	case "serve":
		ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "not a log line")
		fmt.Printf(`{"msg":"listening","addr":%q}`+"\n", ln.Addr().String())
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	case "fail":
		fmt.Println(`{"msg":"bad config"}`)
		os.Exit(3)
	default:
		os.Exit(m.Run())
	}
}

func TestStartAndStop(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(Spec{Name: "helper", Path: self, Dir: t.TempDir(), Env: []string{"SERVICETEST_HELPER=serve"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := WaitHealthy(p.URL, 5*time.Second); err != nil {
		t.Error(err)
	}
	if !strings.HasPrefix(p.Addr, "127.0.0.1:") || !strings.Contains(p.Stderr.String(), "not a log line") {
		t.Errorf("addr %q, stderr %q", p.Addr, p.Stderr.String())
	}
	// The helper does not catch SIGTERM: the exit is "signal: terminated".
	if err := p.Stop(10 * time.Second); err == nil || !strings.Contains(err.Error(), "terminated") {
		t.Errorf("Stop: got %v, want the SIGTERM exit", err)
	}
	select {
	case <-p.Done():
	default:
		t.Error("Done is open after Stop")
	}
	if err := p.Kill(); err == nil {
		t.Error("a Kill after Stop forgot Stop's result")
	}
}

func TestStartReportsAnEarlyExit(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Start(Spec{Name: "helper", Path: self, Dir: t.TempDir(), Env: []string{"SERVICETEST_HELPER=fail"}})
	if !errors.Is(err, ErrNotListening) || !strings.Contains(err.Error(), "bad config") {
		t.Errorf("got %v, want ErrNotListening with the output", err)
	}
}
