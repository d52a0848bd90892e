//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: what the test writes to master,
// the program reads from its terminal slave, echo included.
func openPTY(tb testing.TB) (master, slave *os.File) {
	tb.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		tb.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		tb.Skipf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetUint32(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		tb.Skipf("pty number: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		tb.Skipf("open pty slave: %v", err)
	}
	tb.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// screen collects what the program shows on its terminal.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.buf.String() }

// waitFor waits until the screen shows want.
func (s *screen) waitFor(tb testing.TB, want string) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.String(), want) {
		if time.Now().After(deadline) {
			tb.Fatalf("the terminal never showed %q; it shows %q", want, s.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Issue 14 item 9: users add on a terminal reads the password without
// echo (and twice); before, it was echoed like any typed line.
func TestUsersAddReadsPasswordWithoutEcho(t *testing.T) {
	const password = "Ulp7-quiet-harbor-lantern"
	dir := t.TempDir()
	for _, tt := range []struct {
		name, again string
		wantCode    int
		want        string
	}{
		{"typed twice", password, 0, "created user dora"},
		{"typed differently", password + "x", 1, "the two passwords differ"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			master, slave := openPTY(t)
			cmd := exec.Command(binary, "users", "add", "dora")
			cmd.Dir, cmd.Env = dir, baseEnv("SECRET_KEY="+e2eSecret)
			var stderr bytes.Buffer
			cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			slave.Close()
			sc := &screen{}
			go func() {
				b := make([]byte, 1024)
				for {
					n, err := master.Read(b)
					sc.mu.Lock()
					sc.buf.Write(b[:n])
					sc.mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
			sc.waitFor(t, "Password: ")
			master.WriteString(password + "\n")
			sc.waitFor(t, "Password again: ")
			master.WriteString(tt.again + "\n")
			err := cmd.Wait()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tt.wantCode || !strings.Contains(sc.String()+stderr.String(), tt.want) {
				t.Errorf("got exit %d, terminal %q, stderr %q; want exit %d and %q", code, sc, &stderr, tt.wantCode, tt.want)
			}
			if strings.Contains(sc.String(), "harbor") {
				t.Errorf("the password was echoed: %q", sc)
			}
		})
	}
}
