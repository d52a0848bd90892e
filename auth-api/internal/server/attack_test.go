package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jwt-micro-system/auth-api/internal/bruteforce"
)

// Brute force as an attacker runs it: a fresh X-Forwarded-For on every
// request, many client addresses behind a trusted proxy, and a flood of
// cheap refused attempts meant to push a lock out of the limiter's memory.
func TestBruteForceUnderAttack(t *testing.T) {
	const perUser, perAddr = 4, 10
	limits := func(c *testConfig) {
		c.Limits = bruteforce.Limits{PerUsername: perUser, PerAddress: perAddr, Window: 15 * time.Minute}
	}
	trustProxy := func(c *testConfig) { c.TrustedProxies = []string{"10.0.0.0/8"} }
	wrong := func(user string) string { return `{"username":"` + user + `","password":"wrong-password"}` }
	right := map[string]string{
		"alice": `{"username":"alice","password":"` + alicePassword + `"}`,
		"admin": `{"username":"admin","password":"` + adminPassword + `"}`,
	}

	tests := []struct {
		name string
		opts []func(*testConfig)
		// attempt returns the i-th attack request.
		attempt func(i int) request
		// want401 is how many attempts reach the password check.
		want401 int
		// then: the victim's login (refused, 429) and a bystander's login
		// (accepted, 200).
		victim, bystander request
	}{
		{
			name: "X-Forwarded-For changes on every request from an untrusted peer",
			attempt: func(i int) request {
				return request{method: "POST", path: "/login", body: wrong(fmt.Sprintf("user%d", i)), remote: "203.0.113.66",
					header: map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.%d.%d", i/250, i%250+1), "X-Real-IP": fmt.Sprintf("192.0.2.%d", i%250+1)}}
			},
			want401:   perAddr,
			victim:    request{method: "POST", path: "/login", body: right["alice"], remote: "203.0.113.66", header: map[string]string{"X-Forwarded-For": "198.51.100.200"}},
			bystander: request{method: "POST", path: "/login", body: right["alice"], remote: "203.0.113.67"},
		},
		{
			name: "one username from many addresses behind a trusted proxy",
			opts: []func(*testConfig){trustProxy},
			attempt: func(i int) request {
				return request{method: "POST", path: "/login", body: wrong("ALICE"), remote: "10.0.0.1",
					header: map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.%d.%d", i/250, i%250+1)}}
			},
			want401:   perUser,
			victim:    request{method: "POST", path: "/login", body: right["alice"], remote: "10.0.0.1", header: map[string]string{"X-Forwarded-For": "203.0.113.99"}},
			bystander: request{method: "POST", path: "/login", body: right["admin"], remote: "10.0.0.1", header: map[string]string{"X-Forwarded-For": "198.51.0.1"}},
		},
		{
			name: "one username from many direct peers",
			attempt: func(i int) request {
				return request{method: "POST", path: "/login", body: wrong("alice"), remote: fmt.Sprintf("198.51.%d.%d", i/250, i%250+1)}
			},
			want401:   perUser,
			victim:    request{method: "POST", path: "/login", body: right["alice"], remote: "203.0.113.99"},
			bystander: request{method: "POST", path: "/login", body: right["admin"], remote: "198.51.0.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, append([]func(*testConfig){limits}, tt.opts...)...)
			counts := map[int]int{}
			for i := range 200 {
				w := ts.do(t, tt.attempt(i))
				counts[w.Code]++
				if w.Code == http.StatusTooManyRequests {
					if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 900 {
						t.Fatalf("attempt %d: got Retry-After %q, want 1..900 seconds", i, w.Header().Get("Retry-After"))
					}
				}
			}
			if counts[401] != tt.want401 || counts[429] != 200-tt.want401 {
				t.Errorf("got %v, want %d×401 and the rest 429", counts, tt.want401)
			}
			checkError(t, ts.do(t, tt.victim), http.StatusTooManyRequests, "too_many_attempts")
			if w := ts.do(t, tt.bystander); w.Code != http.StatusOK {
				t.Errorf("bystander: got %d %s, want 200", w.Code, w.Body)
			}
		})
	}
}

// Regression: refused attempts used to create limiter entries, so an
// attacker whose own address was already locked could spray cheap 429s with
// fresh usernames until the bounded table evicted the locks (his own and
// the victim's), and then guess again. The counters now live in the
// database, and a refused attempt writes nothing.
func TestLimiterLocksSurviveASprayOfRefusedAttempts(t *testing.T) {
	ts := newTestServer(t, func(c *testConfig) {
		c.Limits = bruteforce.Limits{PerUsername: 3, PerAddress: 6, Window: 15 * time.Minute}
	})
	const attacker = "203.0.113.66"
	// Lock alice (3 failures) and the attacker's address (6 failures).
	for i := range 6 {
		user := "alice"
		if i >= 3 {
			user = fmt.Sprintf("someone%d", i)
		}
		w := ts.do(t, request{method: "POST", path: "/login", remote: attacker, body: `{"username":"` + user + `","password":"wrong-password"}`})
		checkError(t, w, http.StatusUnauthorized, "invalid_credentials")
	}
	// The spray: every attempt is refused before any password check.
	for i := range 1000 {
		w := ts.do(t, request{method: "POST", path: "/login", remote: attacker, body: fmt.Sprintf(`{"username":"spray%d","password":"wrong-password"}`, i)})
		if w.Code != http.StatusTooManyRequests {
			t.Fatalf("spray attempt %d: got %d, want 429", i, w.Code)
		}
	}
	// Both locks still hold: the attacker's address for any name, and
	// alice from a fresh address.
	checkError(t, ts.do(t, request{method: "POST", path: "/login", remote: attacker, body: `{"username":"bob","password":"wrong-password"}`}),
		http.StatusTooManyRequests, "too_many_attempts")
	checkError(t, ts.do(t, request{method: "POST", path: "/login", remote: "198.51.100.77", body: `{"username":"alice","password":"wrong-password"}`}),
		http.StatusTooManyRequests, "too_many_attempts")
	// The spray wrote no counters: alice, someone3-5 and the address (the
	// last two checks were refused too).
	if n := ts.counters(t); n != 5 {
		t.Errorf("got %d attempt counters, want 5", n)
	}
}

// A crowd of one-off failures from many addresses does not lift a lock.
func TestLimiterEvictsLocksLast(t *testing.T) {
	ts := newTestServer(t, func(c *testConfig) {
		c.Limits = bruteforce.Limits{PerUsername: 3, PerAddress: 6, Window: 15 * time.Minute}
	})
	for range 3 {
		ts.do(t, request{method: "POST", path: "/login", remote: "203.0.113.66", body: `{"username":"alice","password":"wrong-password"}`})
	}
	for i := range 100 {
		w := ts.do(t, request{method: "POST", path: "/login", remote: fmt.Sprintf("198.51.100.%d", i+1),
			body: fmt.Sprintf(`{"username":"crowd%d","password":"wrong-password"}`, i)})
		checkError(t, w, http.StatusUnauthorized, "invalid_credentials")
	}
	checkError(t, ts.do(t, request{method: "POST", path: "/login", remote: "192.0.2.200", body: `{"username":"alice","password":"` + alicePassword + `"}`}),
		http.StatusTooManyRequests, "too_many_attempts")
}

// An unknown user and a wrong password must not be told apart by their
// answer or by how long it takes. The real handler, the real store and the
// real bcrypt path at cost 10; the medians of 50 interleaved tries each are
// printed, and only a gross difference (over 50%) fails, so scheduling noise
// cannot make the test flaky.
func TestLoginTimingDoesNotRevealUsers(t *testing.T) {
	if raceEnabled {
		t.Skip("timing is measured without the race detector (make test runs this test once more without -race)")
	}
	const cost, tries = 10, 50
	ts := newTestServer(t, func(c *testConfig) {
		c.Accounts.BcryptCost = cost
		// The limiter is not what is measured here.
		c.Limits = bruteforce.Limits{PerUsername: 10 * tries, PerAddress: 10 * tries}
	})
	if _, err := ts.accounts.CreateUser(context.Background(), "carol", "the-real-password", "user"); err != nil {
		t.Fatal(err)
	}
	unknownReq := request{method: "POST", path: "/login", body: `{"username":"nobody-here","password":"some-password"}`}
	wrongReq := request{method: "POST", path: "/login", body: `{"username":"carol","password":"some-password"}`}

	// Same status, same body (the request id header differs by design).
	u, w := ts.do(t, unknownReq), ts.do(t, wrongReq)
	if u.Code != http.StatusUnauthorized || u.Code != w.Code || u.Body.String() != w.Body.String() {
		t.Fatalf("unknown user got %d %s; wrong password got %d %s; want the same 401", u.Code, u.Body, w.Code, w.Body)
	}
	if !slices.Equal(headerNames(u.Header()), headerNames(w.Header())) {
		t.Errorf("header names differ: %v vs %v", headerNames(u.Header()), headerNames(w.Header()))
	}

	timeOne := func(r request) time.Duration {
		start := time.Now()
		if w := ts.do(t, r); w.Code != http.StatusUnauthorized {
			t.Fatalf("got %d %s, want 401", w.Code, w.Body)
		}
		return time.Since(start)
	}
	var unknown, wrong []time.Duration
	for i := range tries {
		// Interleaved, alternating which goes first, so drift in machine
		// load hits both sides alike.
		if i%2 == 0 {
			unknown = append(unknown, timeOne(unknownReq))
			wrong = append(wrong, timeOne(wrongReq))
		} else {
			wrong = append(wrong, timeOne(wrongReq))
			unknown = append(unknown, timeOne(unknownReq))
		}
	}
	mu, mw := median(unknown), median(wrong)
	diff := 100 * float64(mu-mw) / float64(mw)
	t.Logf("login timing over %d tries each at bcrypt cost %d: unknown user median %v, wrong password median %v, difference %+.1f%% (target within 10%%)",
		tries, cost, mu, mw, diff)
	if diff > 50 || diff < -50 {
		t.Errorf("medians differ by %+.1f%%: an attacker can tell unknown users from wrong passwords", diff)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func headerNames(h http.Header) []string {
	var names []string
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
