package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Viewports of the screenshots: a laptop and a phone.
const (
	laptopW, laptopH = 1280, 800
	phoneW, phoneH   = 390, 844
)

// stepTimeout bounds one browser step (a navigation, a query, a click).
const stepTimeout = 20 * time.Second

// Site is the system under test for the browser flows: the binaries the
// harness starts, or a stack that already runs (the containers of make
// e2e), named by E2E_FRONTEND_URL, E2E_API_URL, E2E_ADMIN_USER and
// E2E_ADMIN_PASSWORD.
type Site struct {
	*Stack
	// External is true for a stack the tests did not start: its
	// ACCESS_TOKEN_TTL is what it is, and its services cannot be stopped.
	External bool
}

// NewSite returns the running stack named by E2E_COMPOSE (the containers of
// make e2e) or E2E_FRONTEND_URL (and the other E2E_* variables) when set,
// else starts both binaries with the
// given ACCESS_TOKEN_TTL (0 for the default).
func NewSite(tb testing.TB, ttl time.Duration) *Site {
	tb.Helper()
	web, api := os.Getenv("E2E_FRONTEND_URL"), os.Getenv("E2E_API_URL")
	if dc, ok := composeFromEnv(); ok {
		// The compose project of make e2e: its published ports, asked now
		// (a restarted container may have got others).
		web, api = dc.url(tb, "web-frontend", "8080"), dc.url(tb, "auth-api", "10000")
	}
	if web == "" {
		return &Site{Stack: StartStack(tb, ttl)}
	}
	user, pass := os.Getenv("E2E_ADMIN_USER"), os.Getenv("E2E_ADMIN_PASSWORD")
	if api == "" || user == "" || pass == "" {
		tb.Fatal("E2E_FRONTEND_URL or E2E_COMPOSE is set: E2E_API_URL (without E2E_COMPOSE), E2E_ADMIN_USER and E2E_ADMIN_PASSWORD must be set too")
	}
	s := &Stack{
		// Only the URLs: the processes are not ours.
		Auth:          &Proc{Name: "auth-api", URL: strings.TrimRight(api, "/")},
		Web:           &Proc{Name: "web-frontend", URL: strings.TrimRight(web, "/")},
		AdminUser:     user,
		AdminPassword: pass,
	}
	WaitHealthy(tb, s.Auth.URL)
	WaitHealthy(tb, s.Web.URL)
	return &Site{Stack: s, External: true}
}

// NeedsShortTTL skips tb against an external stack: the flow waits for
// access tokens to expire, which takes a few seconds only with the short
// ACCESS_TOKEN_TTL the harness gives the binaries.
func (s *Site) NeedsShortTTL(tb testing.TB) {
	tb.Helper()
	if s.External {
		tb.Skip("skipped against the running stack (E2E_FRONTEND_URL): this flow needs access tokens that expire within " +
			"seconds (ACCESS_TOKEN_TTL=" + shortTTL.String() + "), which only the binaries of make test have")
	}
}

// UniqueUser returns a username no earlier run has used (an external
// stack keeps its users).
func UniqueUser(tb testing.TB, prefix string) string {
	tb.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return prefix + "-" + hex.EncodeToString(b)
}

// ChangePassword changes user's password at auth-api (POST /me/password
// with the user's own token).
func (s *Site) ChangePassword(tb testing.TB, user, oldPassword, newPassword string) {
	tb.Helper()
	tok := s.APILogin(tb, user, oldPassword)
	status := postJSON(tb, s.Auth.URL+"/me/password", tok.AccessToken,
		map[string]string{"current_password": oldPassword, "new_password": newPassword}, nil)
	if status != http.StatusNoContent {
		tb.Fatalf("POST /me/password for %s: got %d, want 204", user, status)
	}
}

// chromiumPath finds the browser: /usr/bin/chromium (Debian's package) or
// a chromium, chromium-browser or google-chrome in PATH. Without one the
// test is skipped, unless E2E_REQUIRE_BROWSER is set (CI), where it fails.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("E2E_REQUIRE_BROWSER") != "" {
		tb.Fatal("no Chromium found (/usr/bin/chromium, or chromium/google-chrome in PATH) and E2E_REQUIRE_BROWSER is set: " +
			"install it with apt-get install chromium")
	}
	tb.Skip("no Chromium found (/usr/bin/chromium, or chromium/google-chrome in PATH): browser tests skipped; " +
		"apt-get install chromium to run them (E2E_REQUIRE_BROWSER=1 makes this a failure)")
	return ""
}

// Browser is one headless Chromium process with a fresh profile.
type Browser struct {
	tb  testing.TB
	ctx context.Context // the first tab; its parent owns the process
}

// browserSlots bounds how many browsers the parallel tests run at once:
// this is a 2-core machine, and the flows poll for pages rather than sleep.
var browserSlots = make(chan struct{}, 2)

// NewBrowser starts headless Chromium for tb and closes it when tb ends.
// It waits for one of the browserSlots first.
func NewBrowser(tb testing.TB) *Browser {
	tb.Helper()
	path := chromiumPath(tb)
	// Cleanups run last-in first-out: the slot is freed and the profile
	// removed after the browser has exited.
	browserSlots <- struct{}{}
	tb.Cleanup(func() { <-browserSlots })
	profile := tb.TempDir()
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
	)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(func(format string, args ...any) {
		tb.Logf("chromedp: "+format, args...)
	}))
	tb.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// Start the process now, with no deadline: the first Run binds the
	// browser's life to its context.
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("starting %s: %v", path, err)
	}
	return &Browser{tb: tb, ctx: ctx}
}

// Tab is one browser tab on a Site. Tabs of one Browser share cookies
// unless made with Incognito.
type Tab struct {
	tb    testing.TB
	ctx   context.Context
	site  *Site
	name  string
	shots *shotDir
}

// FirstTab returns the browser's first tab, on a laptop-sized viewport.
func (b *Browser) FirstTab(tb testing.TB, s *Site, name string) *Tab {
	tb.Helper()
	t := &Tab{tb: tb, ctx: b.ctx, site: s, name: name, shots: screenshots(tb)}
	t.Viewport(laptopW, laptopH)
	return t
}

// NewTab opens another tab in the same browser (and cookie jar).
func (b *Browser) NewTab(tb testing.TB, s *Site, name string) *Tab {
	tb.Helper()
	return b.newTab(tb, s, name)
}

// Incognito opens a tab in a new browser context: its own cookie jar, as
// another person or device would have.
func (b *Browser) Incognito(tb testing.TB, s *Site, name string) *Tab {
	tb.Helper()
	return b.newTab(tb, s, name, chromedp.WithNewBrowserContext())
}

func (b *Browser) newTab(tb testing.TB, s *Site, name string, opts ...chromedp.ContextOption) *Tab {
	tb.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, opts...)
	tb.Cleanup(cancel)
	// No deadline here: the first Run binds the tab's life to its context.
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("opening tab %s: %v", name, err)
	}
	t := &Tab{tb: tb, ctx: ctx, site: s, name: name, shots: screenshots(tb)}
	t.Viewport(laptopW, laptopH)
	return t
}

// Do runs the steps, each bounded by stepTimeout, and fails the test on
// an error.
func (t *Tab) Do(steps ...chromedp.Action[chromedp.Void]) {
	t.tb.Helper()
	for _, s := range steps {
		ctx, cancel := context.WithTimeout(t.ctx, stepTimeout)
		err := chromedp.Do(ctx, s)
		cancel()
		if err != nil {
			t.tb.Fatalf("%s: browser step failed on %s: %v", t.name, t.URL(), err)
		}
	}
}

// run runs one action that returns a value.
func run[T any](t *Tab, a chromedp.Action[T]) T {
	t.tb.Helper()
	ctx, cancel := context.WithTimeout(t.ctx, stepTimeout)
	defer cancel()
	for {
		v, err := chromedp.Run(ctx, a)
		// Right after a restore from the back/forward cache chromedp may
		// still hold the frozen page's JavaScript context; the new one
		// arrives in an event a moment later.
		if err != nil && strings.Contains(err.Error(), "Cannot find context with specified id") && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			t.tb.Fatalf("%s: browser step failed: %v", t.name, err)
		}
		return v
	}
}

// Viewport sets the tab's viewport (CSS pixels); phone sizes get a phone's
// pixel ratio and touch.
func (t *Tab) Viewport(w, h int64) {
	t.tb.Helper()
	if w < 600 {
		t.Do(chromedp.EmulateViewport(w, h, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		return
	}
	t.Do(chromedp.EmulateViewport(w, h))
}

// AcceptLanguage makes the tab send this Accept-Language header.
func (t *Tab) AcceptLanguage(lang string) {
	t.tb.Helper()
	t.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Accept-Language": lang},
		})
		return err
	}))
}

// Open navigates to path on the web-frontend and waits for the load; it
// returns the HTTP status of the document the browser ends up on.
func (t *Tab) Open(path string) int64 {
	t.tb.Helper()
	return t.navigate(chromedp.Navigate(t.site.Web.URL + path))
}

// Submit clicks the element (a submit button) and waits for the page the
// form leads to; it returns that page's HTTP status.
func (t *Tab) Submit(sel string) int64 {
	t.tb.Helper()
	return t.navigate(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// Keys types keys into the focused element and, when they navigate (an
// Enter in a form), waits for the new page and returns its status.
func (t *Tab) KeysNavigate(keys string) int64 {
	t.tb.Helper()
	return t.navigate(chromedp.KeyEvent(keys))
}

// Back is the browser's Back button. It reports whether Chromium restored
// the page from its back/forward cache (a frozen copy; no request).
func (t *Tab) Back() (fromCache bool) {
	t.tb.Helper()
	return t.history(-1)
}

// Forward is the browser's Forward button; see Back.
func (t *Tab) Forward() (fromCache bool) {
	t.tb.Helper()
	return t.history(+1)
}

func (t *Tab) history(delta int64) bool {
	t.tb.Helper()
	h := run(t, func(ctx context.Context, tg *chromedp.Target) (page.GetNavigationHistoryResult, error) {
		return cdp.Call(ctx, tg, page.GetNavigationHistory, cdp.Empty{})
	})
	i := h.CurrentIndex + delta
	if i < 0 || i >= int64(len(h.Entries)) {
		t.tb.Fatalf("%s: no history entry %+d from %s", t.name, delta, t.URL())
	}
	// A restore from the back/forward cache fires no load event, so wait
	// for the commit, then for the document to be complete.
	ev := run(t, chromedp.WaitEvent(page.FrameNavigated, func(e page.EventFrameNavigated) bool { return e.Frame.ParentID == "" },
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.NavigateToHistoryEntry, page.NavigateToHistoryEntryParams{EntryID: h.Entries[i].ID})
			return err
		})))
	// Not chromedp.Poll: right after a restore from the back/forward cache
	// it may run in the frozen page's stale JavaScript context and hang.
	Eventually(t.tb, stepTimeout, func() string {
		ctx, cancel := context.WithTimeout(t.ctx, time.Second)
		defer cancel()
		state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState + " " + location.href`))
		if err != nil {
			return fmt.Sprintf("%s: after going to %s in the history: %v", t.name, h.Entries[i].URL, err)
		}
		// The entry may redirect (a page that now needs a login), so wait
		// for any complete page but the one left.
		if !strings.HasPrefix(state, "complete ") || state == "complete "+h.Entries[h.CurrentIndex].URL {
			return fmt.Sprintf("%s: after going to %s in the history the page is %q", t.name, h.Entries[i].URL, state)
		}
		return ""
	})
	return ev.Type == page.NavigationTypeBackForwardCacheRestore
}

// Reload is the browser's Reload button; it returns the page's status.
func (t *Tab) Reload() int64 {
	t.tb.Helper()
	return t.navigate(chromedp.Reload())
}

func (t *Tab) navigate(trigger chromedp.Action[chromedp.Void]) int64 {
	t.tb.Helper()
	ctx, cancel := context.WithTimeout(t.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, trigger)
	if err != nil {
		t.tb.Fatalf("%s: navigation from %s failed: %v", t.name, t.URL(), err)
	}
	if resp == nil {
		return 0
	}
	return resp.Status
}

// URL is the tab's current address.
func (t *Tab) URL() string {
	ctx, cancel := context.WithTimeout(t.ctx, stepTimeout)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return u
}

// Path is the path of the current address.
func (t *Tab) Path() string {
	t.tb.Helper()
	u, err := url.Parse(t.URL())
	if err != nil {
		t.tb.Fatal(err)
	}
	return u.Path
}

// Eval evaluates a JavaScript expression in the page (DevTools is exempt
// from the page's CSP, which forbids scripts).
func Eval[T any](t *Tab, expr string) T {
	t.tb.Helper()
	return run(t, chromedp.Evaluate[T](expr))
}

// Has reports whether an element matches the CSS selector now.
func (t *Tab) Has(sel string) bool {
	t.tb.Helper()
	return Eval[bool](t, fmt.Sprintf("document.querySelector(%q) !== null", sel))
}

// Text returns the visible text of the first element matching sel, with
// runs of white space folded; "" when there is none.
func (t *Tab) Text(sel string) string {
	t.tb.Helper()
	s := Eval[string](t, fmt.Sprintf("(function(){const e=document.querySelector(%q);return e?e.innerText:''})()", sel))
	return strings.Join(strings.Fields(s), " ")
}

// Texts returns the visible text of every element matching sel.
func (t *Tab) Texts(sel string) []string {
	t.tb.Helper()
	return Eval[[]string](t, fmt.Sprintf("Array.from(document.querySelectorAll(%q), e => e.innerText.trim())", sel))
}

// Visible reports whether the first element matching sel takes space on
// the screen.
func (t *Tab) Visible(sel string) bool {
	t.tb.Helper()
	return Eval[bool](t, fmt.Sprintf("(function(){const e=document.querySelector(%q);if(!e)return false;const r=e.getBoundingClientRect();return r.width>0&&r.height>0&&getComputedStyle(e).visibility!=='hidden'})()", sel))
}

// Focused returns the id of the focused element ("" for none or no id).
func (t *Tab) Focused() string {
	t.tb.Helper()
	return Eval[string](t, "document.activeElement ? document.activeElement.id : ''")
}

// Fill types v into the input matching sel (as keystrokes).
func (t *Tab) Fill(sel, v string) {
	t.tb.Helper()
	t.Do(chromedp.Clear(chromedp.CSS(sel), chromedp.NodeVisible), chromedp.SendKeys(chromedp.CSS(sel), v, chromedp.NodeVisible))
}

// Login fills and submits the login form (which must be shown) and
// returns the status of the page it leads to.
func (t *Tab) Login(user, password string) int64 {
	t.tb.Helper()
	if !t.Has("form#login") {
		t.tb.Fatalf("%s: no login form on %s", t.name, t.URL())
	}
	t.Fill("#username", user)
	t.Fill("#password", password)
	return t.Submit("#login-submit")
}

// MustLogin opens /login, logs in and fails unless the dashboard of user
// is shown.
func (t *Tab) MustLogin(user, password string) {
	t.tb.Helper()
	t.Open("/login")
	if st := t.Login(user, password); st != http.StatusOK || t.Path() != "/" || t.Text("#dash-user") != user {
		t.tb.Fatalf("%s: logging in as %s landed on %d %s showing %q", t.name, user, st, t.URL(), t.Text("main"))
	}
}

// Cookies returns the tab's cookies for the web-frontend.
func (t *Tab) Cookies() []*network.Cookie {
	t.tb.Helper()
	return run(t, func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{t.site.Web.URL + "/"}})
		return res.Cookies, err
	})
}

// SetCookie stores a cookie for the web-frontend in the tab's cookie jar.
func (t *Tab) SetCookie(name, value string) {
	t.tb.Helper()
	t.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{
			Name: name, Value: value, URL: t.site.Web.URL + "/", Path: "/", HTTPOnly: new(true),
		})
		return err
	}))
}

// SessionCookie returns the web-frontend's session cookie, or nil.
func (t *Tab) SessionCookie() *network.Cookie {
	t.tb.Helper()
	for _, c := range t.Cookies() {
		if c.Name == "jwtms_session" || c.Name == "__Host-jwtms_session" {
			return c
		}
	}
	return nil
}

// Shot saves a screenshot of the whole page as <test>-<tab>-<step>.png in
// the screenshot directory and returns the PNG.
func (t *Tab) Shot(step string) []byte {
	t.tb.Helper()
	png := run(t, chromedp.FullScreenshot(100))
	t.shots.save(t.tb, t.name+"-"+step, png)
	return png
}

// ShotViewport saves a screenshot of what the viewport shows.
func (t *Tab) ShotViewport(step string) []byte {
	t.tb.Helper()
	png := run(t, chromedp.CaptureScreenshot())
	t.shots.save(t.tb, t.name+"-"+step, png)
	return png
}

// ShotPhone saves a full-page screenshot at phone width, then restores
// the laptop viewport.
func (t *Tab) ShotPhone(step string) {
	t.tb.Helper()
	t.Viewport(phoneW, phoneH)
	defer t.Viewport(laptopW, laptopH)
	t.Shot(step + "-phone")
}

// Eventually polls cond until it returns "" (success) or the deadline
// passes, then fails with cond's last complaint.
func Eventually(tb testing.TB, timeout time.Duration, cond func() string) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal(msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shotDir is where the screenshots of one test go.
type shotDir struct {
	dir    string
	prefix string
}

var (
	shotsOnce sync.Once
	shotsRoot string
	shotsErr  error
)

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// screenshots returns tb's screenshot directory: E2E_SCREENSHOT_DIR, or
// jwt-micro-system-screenshots in the system's temporary directory (the
// same place every run, so runs overwrite rather than pile up). The path
// is logged once per test.
func screenshots(tb testing.TB) *shotDir {
	tb.Helper()
	shotsOnce.Do(func() {
		shotsRoot = os.Getenv("E2E_SCREENSHOT_DIR")
		if shotsRoot == "" {
			shotsRoot = filepath.Join(os.TempDir(), "jwt-micro-system-screenshots")
		}
		shotsErr = os.MkdirAll(shotsRoot, 0o755)
		if shotsErr == nil {
			fmt.Fprintf(os.Stderr, "e2e: browser screenshots in %s\n", shotsRoot)
		}
	})
	if shotsErr != nil {
		tb.Fatalf("screenshot directory: %v", shotsErr)
	}
	return &shotDir{dir: shotsRoot, prefix: unsafeName.ReplaceAllString(strings.TrimPrefix(tb.Name(), "TestBrowser"), "_")}
}

func (d *shotDir) save(tb testing.TB, name string, png []byte) {
	tb.Helper()
	p := filepath.Join(d.dir, d.prefix+"-"+unsafeName.ReplaceAllString(name, "_")+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		tb.Fatalf("saving screenshot: %v", err)
	}
	tb.Logf("screenshot %s", p)
}
