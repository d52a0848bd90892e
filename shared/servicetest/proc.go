package servicetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Spec says how to start a binary.
type Spec struct {
	// Name names the process in errors.
	Name string
	// Path is the binary.
	Path string
	// Args are its arguments (none: serve).
	Args []string
	// Dir is the working directory; pick one without a stray .env.
	Dir string
	// Env is the whole environment. PORT=0 is added unless it sets PORT,
	// and LISTEN_ADDRESS=127.0.0.1 unless it sets LISTEN_ADDRESS: a test
	// service is never reachable from the network.
	Env []string
	// Timeout bounds the wait for the listening line (default 30 s).
	Timeout time.Duration
}

// Proc is a running binary that has logged its listening address.
type Proc struct {
	Name string
	// Addr is host:port to dial: 127.0.0.1 and the bound port.
	Addr string
	// URL is http://Addr.
	URL string
	// Stdout holds the JSON log lines, Stderr anything else.
	Stdout, Stderr *Log

	cmd  *exec.Cmd
	done chan struct{}
	err  error // cmd.Wait's result, set before done is closed

	stopOnce sync.Once
	stopErr  error
}

// Start starts s.Path and waits for its listening line. When that does not
// come, the process is killed and the error carries its output.
func Start(s Spec) (*Proc, error) {
	if s.Timeout == 0 {
		s.Timeout = 30 * time.Second
	}
	cmd := exec.Command(s.Path, s.Args...)
	cmd.Dir = s.Dir
	cmd.Env = append([]string(nil), s.Env...)
	if !hasVar(s.Env, "PORT") {
		cmd.Env = append(cmd.Env, "PORT=0")
	}
	if !hasVar(s.Env, "LISTEN_ADDRESS") {
		cmd.Env = append(cmd.Env, "LISTEN_ADDRESS=127.0.0.1")
	}
	dieWithParent(cmd)
	p := &Proc{Name: s.Name, Stdout: NewLog(), Stderr: NewLog(), cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Stdout, p.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", s.Name, err)
	}
	exited := make(chan error, 1)
	go func() {
		p.err = cmd.Wait()
		exited <- p.err
		close(p.done)
	}()
	addr, err := p.Stdout.WaitListening(s.Timeout, exited)
	if err != nil {
		_ = p.Kill()
		return nil, fmt.Errorf("%s: %w; output:\n%s", s.Name, err, p.Logs())
	}
	p.Addr, p.URL = addr, "http://"+addr
	return p, nil
}

func hasVar(env []string, name string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

// Logs returns the output so far: stdout, then stderr.
func (p *Proc) Logs() string { return p.Stdout.String() + p.Stderr.String() }

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Stop sends SIGTERM (what docker stop sends) and waits for the exit; after
// timeout it kills the process and says so. It returns the exit error (nil
// for a clean exit). Only the first Stop or Kill acts; later calls return
// its result.
func (p *Proc) Stop(timeout time.Duration) error {
	p.stopOnce.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
			p.stopErr = p.err
		case <-time.After(timeout):
			_ = p.cmd.Process.Kill()
			<-p.done
			p.stopErr = fmt.Errorf("%s did not exit within %s of SIGTERM: killed", p.Name, timeout)
		}
	})
	return p.stopErr
}

// Kill kills the process without warning (SIGKILL) and waits for it.
func (p *Proc) Kill() error {
	p.stopOnce.Do(func() {
		err := p.cmd.Process.Kill()
		<-p.done
		if err != nil && !errors.Is(err, os.ErrProcessDone) {
			p.stopErr = err
		}
	})
	return p.stopErr
}
