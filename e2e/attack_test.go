package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowloris opens n connections to addr that send a request's headers one
// byte at a time and never finish them. It returns a channel that receives
// once per connection when the server closes it.
func slowloris(tb testing.TB, ctx context.Context, addr string, n int) <-chan struct{} {
	tb.Helper()
	closed := make(chan struct{}, n)
	for range n {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			tb.Fatalf("slowloris dial: %v", err)
		}
		tb.Cleanup(func() { conn.Close() })
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: "); err != nil {
			tb.Fatalf("slowloris write: %v", err)
		}
		go func() {
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				if _, err := conn.Write([]byte{'a'}); err != nil {
					return
				}
			}
		}()
		go func() {
			// The server answers nothing; a read ends when it hangs up.
			_, _ = io.Copy(io.Discard, conn)
			closed <- struct{}{}
		}()
	}
	return closed
}

// rawRequest writes head and then body (when set) to a new connection and
// returns the response, reading it while the request is still being sent:
// a server that refuses early need not read everything. It is called from
// several goroutines, so it returns errors rather than failing a test.
func rawRequest(addr, head string, body io.Reader) (*http.Response, []byte, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	go func() {
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		if body != nil {
			_, _ = io.Copy(conn, body)
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the response: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b, nil
}

// filler is an endless reader of 'a's, limited by the caller.
type filler struct{}

func (filler) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// Slow and oversized clients against both real binaries: while hundreds of
// slowloris connections dribble headers and other clients send headers and
// bodies far over the limits, everyone else is still served, the oversized
// requests get 431 and 413, and the server hangs up on the slow ones
// (ReadHeaderTimeout) instead of holding them forever.
func TestSlowAndOversizedClients(t *testing.T) {
	t.Parallel()
	s := StartStack(t, 0)
	bigHeader := func(path string, size int) string {
		return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nX-Big: " + strings.Repeat("a", size) + "\r\n\r\n"
	}
	services := []struct {
		name string
		proc *Proc
		// legit is a request other clients must still get answered.
		legit func() (*http.Request, int)
		// bigBody is a request with a body far over the limit, and what it
		// must get.
		bigBody  func(chunked bool) (head string, body io.Reader)
		bodyWant int
		bodyJSON string // the error code of auth-api's JSON answer
	}{
		{
			name: "auth-api",
			proc: s.Auth,
			legit: func() (*http.Request, int) {
				req, _ := http.NewRequest(http.MethodPost, s.Auth.URL+"/login",
					strings.NewReader(`{"username":"admin","password":"admin-password-e2e"}`))
				req.Header.Set("Content-Type", "application/json")
				return req, http.StatusOK
			},
			bigBody: func(chunked bool) (string, io.Reader) {
				if chunked {
					return "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
						io.MultiReader(strings.NewReader("100000\r\n{\"username\":\""), io.LimitReader(filler{}, 1<<20-13), strings.NewReader("\r\n0\r\n\r\n"))
				}
				return "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n",
					io.MultiReader(strings.NewReader(`{"username":"`), io.LimitReader(filler{}, 1<<20-13))
			},
			bodyWant: http.StatusRequestEntityTooLarge,
			bodyJSON: "body_too_large",
		},
		{
			name: "web-frontend",
			proc: s.Web,
			legit: func() (*http.Request, int) {
				req, _ := http.NewRequest(http.MethodGet, s.Web.URL+"/login", nil)
				return req, http.StatusOK
			},
			bigBody: func(chunked bool) (string, io.Reader) {
				if chunked {
					return "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
						io.MultiReader(strings.NewReader("100000\r\nusername="), io.LimitReader(filler{}, 1<<20-9), strings.NewReader("\r\n0\r\n\r\n"))
				}
				return "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1048576\r\n\r\n",
					io.MultiReader(strings.NewReader("username="), io.LimitReader(filler{}, 1<<20-9))
			},
			bodyWant: http.StatusRequestEntityTooLarge,
		},
	}
	for _, svc := range services {
		t.Run(svc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			const slow = 200
			start := time.Now()
			closed := slowloris(t, ctx, svc.proc.Addr, slow)

			// Oversized requests, over and over, while the slow ones hang.
			var oversized sync.WaitGroup
			var bad atomic.Int64
			var firstBad atomic.Value
			report := func(format string, args ...any) {
				bad.Add(1)
				firstBad.CompareAndSwap(nil, fmt.Sprintf(format, args...))
			}
			for w := range 4 {
				oversized.Go(func() {
					for i := 0; ctx.Err() == nil && i < 10; i++ {
						switch (w + i) % 3 {
						case 0:
							resp, _, err := rawRequest(svc.proc.Addr, bigHeader("/healthz", 256<<10), nil)
							if err != nil {
								report("header of 256 KiB: %v", err)
							} else if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
								report("header of 256 KiB: got %d, want 431", resp.StatusCode)
							}
						default:
							head, body := svc.bigBody((w+i)%3 == 2)
							resp, b, err := rawRequest(svc.proc.Addr, head, body)
							if err != nil {
								report("body of 1 MiB (chunked %v): %v", (w+i)%3 == 2, err)
								continue
							}
							if resp.StatusCode != svc.bodyWant {
								report("body of 1 MiB (chunked %v): got %d, want %d", (w+i)%3 == 2, resp.StatusCode, svc.bodyWant)
								continue
							}
							if svc.bodyJSON != "" {
								var e struct{ Error, Message string }
								if err := json.Unmarshal(b, &e); err != nil || e.Error != svc.bodyJSON || e.Message == "" ||
									!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
									report("body of 1 MiB: got %s %q, want JSON error %q", resp.Header.Get("Content-Type"), b, svc.bodyJSON)
								}
							}
						}
					}
				})
			}

			// Everyone else is still served, and promptly.
			hc := &http.Client{Timeout: 5 * time.Second}
			var latencies []time.Duration
			for range 20 {
				req, want := svc.legit()
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatalf("a legitimate request during the attack failed: %v", err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				latencies = append(latencies, time.Since(t0))
				if resp.StatusCode != want {
					t.Errorf("a legitimate request during the attack: got %d, want %d", resp.StatusCode, want)
				}
				time.Sleep(50 * time.Millisecond)
			}
			oversized.Wait()
			if n := bad.Load(); n > 0 {
				t.Errorf("%d oversized requests were answered wrongly; first: %v", n, firstBad.Load())
			}
			slices.Sort(latencies)
			t.Logf("%s under attack (%d slowloris connections, oversized headers and bodies): legitimate requests median %v, max %v",
				svc.name, slow, latencies[len(latencies)/2], latencies[len(latencies)-1])

			// The slow connections are cut by the server (ReadHeaderTimeout,
			// 5 s) even though they keep sending.
			deadline := time.After(30 * time.Second)
			for i := range slow {
				select {
				case <-closed:
				case <-deadline:
					t.Fatalf("%d of %d slowloris connections still open after 30 s", slow-i, slow)
				}
			}
			t.Logf("%s closed all %d slowloris connections %v after they opened", svc.name, slow, time.Since(start).Round(100*time.Millisecond))
		})
	}
}

// Brute force through the web-frontend's login form: the frontend forwards
// the client's address to auth-api, so the per-username limit holds when the
// attacker's address varies (frontend behind a trusted proxy), a client
// cannot pick its address with X-Forwarded-For (frontend trusting nobody),
// and other people still log in.
func TestBruteForceThroughTheFrontend(t *testing.T) {
	t.Parallel()
	s := StartStack(t, 0)
	behindProxy := StartFrontend(t, s.Secret, s.Auth.URL, map[string]string{"TRUSTED_PROXIES": "127.0.0.1"})
	post := func(base, user, password, xff string) Page {
		c := NewClient(t, base)
		c.HTTP.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return c.Do(t, http.MethodPost, "/login", url.Values{"username": {user}, "password": {password}}, map[string]string{"X-Forwarded-For": xff})
	}
	t.Run("one username from many addresses", func(t *testing.T) {
		s.CreateUser(t, "victim", "victim-password-e2e", "user")
		counts := map[int]int{}
		for i := range 12 {
			counts[post(behindProxy.URL, "victim", "wrong-password", fmt.Sprintf("198.51.100.%d", i+1)).Status]++
		}
		// auth-api's default: 5 failures per username in 15 minutes.
		if counts[401] != 5 || counts[429] != 7 {
			t.Errorf("got %v, want 5×401 then 7×429", counts)
		}
		p := post(behindProxy.URL, "victim", "victim-password-e2e", "203.0.113.5")
		if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" {
			t.Errorf("the right password while locked: got %d, Retry-After %q; want 429 with Retry-After", p.Status, p.Header.Get("Retry-After"))
		}
		if p := post(behindProxy.URL, "admin", "admin-password-e2e", "198.51.100.1"); p.Status != http.StatusSeeOther {
			t.Errorf("another account during the attack: got %d, want 303", p.Status)
		}
	})
	t.Run("X-Forwarded-For from an untrusted client", func(t *testing.T) {
		counts := map[int]int{}
		for i := range 35 {
			counts[post(s.Web.URL, fmt.Sprintf("sprayed%d", i), "wrong-password", fmt.Sprintf("192.0.2.%d", i+1)).Status]++
		}
		// auth-api's default: 30 failures per address in 15 minutes. The
		// frontend saw one address (127.0.0.1), whatever the header said.
		if counts[401] != 30 || counts[429] != 5 {
			t.Errorf("got %v, want 30×401 then 5×429", counts)
		}
		// A client at another address still logs in.
		c := NewClient(t, s.Web.URL)
		c.HTTP.Transport = &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}
		c.MustLogin(t, "admin", "admin-password-e2e")
	})
}
