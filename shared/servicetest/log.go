// Package servicetest runs this repository's service binaries for tests and
// load runs: it builds them, starts a binary on 127.0.0.1 with PORT=0 and
// waits for its "listening" log line, and starts the whole loopback stack
// (auth-api, then web-frontend pointing at it). It is test support: the
// tests of both services, e2e/ and loadtest/ import it; no service does.
package servicetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// Log keeps what a process writes and notices its first "listening" line:
// the slog JSON line {"msg":"listening","addr":"host:port",…} both services
// write once their listener is bound. Safe for concurrent use.
type Log struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	scanned int // bytes of buf already looked at for the listening line
	addr    string
	ready   chan struct{}
}

// NewLog returns an empty Log.
func NewLog() *Log { return &Log{ready: make(chan struct{})} }

// Write appends p; it never fails.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for l.addr == "" {
		rest := l.buf.Bytes()[l.scanned:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		l.scanned += i + 1
		if addr, ok := ListeningAddr(rest[:i]); ok {
			l.addr = addr
			close(l.ready)
		}
	}
	return len(p), nil
}

// String returns everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// ListeningAddr reports whether line is a "listening" log line and returns
// the address to dial for it: 127.0.0.1 and the bound port (the services
// may bind all interfaces).
func ListeningAddr(line []byte) (string, bool) {
	var entry struct{ Msg, Addr string }
	if json.Unmarshal(line, &entry) != nil || entry.Msg != "listening" {
		return "", false
	}
	_, port, err := net.SplitHostPort(entry.Addr)
	if err != nil || port == "" || port == "0" {
		return "", false
	}
	return net.JoinHostPort("127.0.0.1", port), true
}

// ErrNotListening is wrapped by WaitListening's errors.
var ErrNotListening = errors.New("no \"listening\" log line")

// WaitListening waits for the listening line and returns its address to
// dial. It gives up after timeout, or when exited delivers (the process or
// run function ended first); exited may be nil.
func (l *Log) WaitListening(timeout time.Duration, exited <-chan error) (string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-l.ready:
	case err := <-exited:
		select {
		case <-l.ready:
		default:
			return "", fmt.Errorf("%w: it ended first (%v)", ErrNotListening, err)
		}
	case <-timer.C:
		return "", fmt.Errorf("%w within %s", ErrNotListening, timeout)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.addr, nil
}

// WaitFor waits until the log contains substr, for at most timeout.
func (l *Log) WaitFor(substr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for !strings.Contains(l.String(), substr) {
		if time.Now().After(deadline) {
			return fmt.Errorf("no log line with %q within %s", substr, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}
