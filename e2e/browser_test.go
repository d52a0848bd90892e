package e2e

// Browser flows in real headless Chromium (chromedp), as a person uses the
// site: what is asserted is what is on the screen. They run against the
// binaries (make test) or, with E2E_FRONTEND_URL and friends, against the
// containers of make e2e (see Site). Screenshots of every step go to
// E2E_SCREENSHOT_DIR; E2E_UPDATE_DOCS=1 also refreshes the screenshots in
// docs/ that the README shows.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	msgExpiredEN = "Your session has expired or is invalid. Please log in again."
	msgExpiredJA = "セッションの有効期限が切れているか無効です。再度ログインしてください。"
)

// wantText fails unless the element sel shows want (as a substring).
func (t *Tab) wantText(sel, want string) {
	t.tb.Helper()
	if got := t.Text(sel); !strings.Contains(got, want) {
		t.tb.Errorf("%s: %s on %s shows %q, want %q", t.name, sel, t.Path(), got, want)
	}
}

// wantLoginPage fails unless the login form is on screen (at /login) and
// no dashboard is.
func (t *Tab) wantLoginPage(what string) {
	t.tb.Helper()
	if p := t.Path(); p != "/login" || !t.Visible("form#login") || !t.Visible("#username") || !t.Visible("#password") {
		t.tb.Fatalf("%s: %s: want the login form at /login, got %s showing %q", t.name, what, t.URL(), t.Text("main"))
	}
	if t.Has("#claims-payload") || t.Has("#logout") {
		t.tb.Fatalf("%s: %s: the login page shows signed-in content", t.name, what)
	}
}

// wantDashboard fails unless the dashboard of user is on screen.
func (t *Tab) wantDashboard(what, user string) {
	t.tb.Helper()
	if p := t.Path(); p != "/" || !t.Visible("#dash-user") || !t.Has("#claims-payload") {
		t.tb.Fatalf("%s: %s: want the dashboard at /, got %s showing %q", t.name, what, t.URL(), t.Text("main"))
	}
	// The token inspector is collapsed developer detail: open it.
	Eval[bool](t, `document.querySelector("#token-details").open = true`)
	if got := t.Text("#dash-user"); got != user {
		t.tb.Fatalf("%s: %s: dashboard user %q, want %q", t.name, what, got, user)
	}
}

// claim returns the value cell of a claim row of the payload table.
func (t *Tab) claim(key string) string {
	t.tb.Helper()
	return t.Text(fmt.Sprintf(`#claims-payload tr[data-claim=%q] td.value`, key))
}

// updateDocs writes png to docs/name when E2E_UPDATE_DOCS is set.
func updateDocs(tb testing.TB, name string, png []byte) {
	tb.Helper()
	if os.Getenv("E2E_UPDATE_DOCS") == "" {
		return
	}
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(root, "docs", name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("updated %s", p)
}

// Flows 1, 2 and 5: logged out → login page; a wrong password; logging in
// → the dashboard; logging out → the login page, and Back does not bring
// the dashboard back.
func TestBrowserLoginDashboardLogout(t *testing.T) {
	t.Parallel()
	b := NewBrowser(t)
	s := NewSite(t, 0)
	tab := b.FirstTab(t, s, "tab")

	// 1. Logged out, / leads to the login page, with no message yet.
	tab.Open("/")
	tab.wantLoginPage("logged out /")
	tab.wantText("h1", "Sign in")
	tab.wantText(`label[for="username"]`, "Username")
	tab.wantText(`label[for="password"]`, "Password")
	tab.wantText("#login-submit", "Sign in")
	tab.wantText("#forgot-password", "Forgot your password? Ask an administrator.")
	if tab.Has("#flash") {
		t.Errorf("a first visit shows a message: %q", tab.Text("#flash"))
	}
	if got := tab.Focused(); got != "username" {
		t.Errorf("focus on the login page: %q, want username", got)
	}
	updateDocs(t, "login.png", tab.ShotViewport("1-login"))
	tab.ShotPhone("1-login")

	// A wrong password: the message, still on the form, the username kept.
	tab.Fill("#username", s.AdminUser)
	tab.Fill("#password", "not-the-password")
	if st := tab.Submit("#login-submit"); st != http.StatusUnauthorized {
		t.Errorf("wrong password: status %d, want 401", st)
	}
	tab.wantLoginPage("after a wrong password")
	tab.wantText("#flash.flash-error", "Incorrect username or password.")
	if got := Eval[string](tab, `document.querySelector("#username").value`); got != s.AdminUser {
		t.Errorf("after a wrong password the username field holds %q, want %q", got, s.AdminUser)
	}
	if got := Eval[string](tab, `document.querySelector("#password").value`); got != "" {
		t.Error("after a wrong password the password field is still filled")
	}
	tab.Shot("1-wrong-password")
	tab.ShotPhone("1-wrong-password")

	// 2. Log in: the dashboard shows the user, the role, the expiry and
	// the decoded token.
	if st := tab.Login(s.AdminUser, s.AdminPassword); st != http.StatusOK {
		t.Errorf("login: status %d, want 200", st)
	}
	tab.wantDashboard("after logging in", s.AdminUser)
	tab.wantText("#dash-role", "admin")
	tab.wantText("#current-user", s.AdminUser)
	exp := Eval[string](tab, `document.querySelector("#dash-expires time").getAttribute("datetime")`)
	if when, err := time.Parse(time.RFC3339, exp); err != nil || when.Before(time.Now().Add(-time.Minute)) {
		t.Errorf("dashboard expiry %q: want a time in the future (%v)", exp, err)
	}
	if got := tab.Text("#dash-expires"); got == "" {
		t.Error("the dashboard shows no expiry")
	}
	header := tab.Texts(`#claims-header tbody th[scope="row"]`)
	payload := tab.Texts(`#claims-payload tbody th[scope="row"]`)
	for _, k := range []string{"alg", "typ", "kid"} {
		if !slices.Contains(header, k) {
			t.Errorf("decoded header table lacks %q: %q", k, header)
		}
	}
	for _, k := range []string{"sub", "role", "iat", "exp", "iss", "jti"} {
		if !slices.Contains(payload, k) {
			t.Errorf("decoded payload table lacks %q: %q", k, payload)
		}
	}
	if got := tab.Text(`#claims-header tr[data-claim="alg"] td.value`); got != "HS256" {
		t.Errorf("header alg shows %q, want HS256", got)
	}
	if got := tab.claim("sub"); got != s.AdminUser {
		t.Errorf("payload sub shows %q, want %q", got, s.AdminUser)
	}
	if got := tab.claim("role"); got != "admin" {
		t.Errorf("payload role shows %q, want admin", got)
	}
	tab.wantText(`#claims-payload tr[data-claim="exp"]`, "expires")
	tab.ShotViewport("2-dashboard")
	updateDocs(t, "dashboard.png", tab.Shot("2-dashboard-full"))
	tab.ShotPhone("2-dashboard")

	// 5. Log out: the login page with the message, the cookie gone.
	tab.Submit("#logout button")
	tab.wantLoginPage("after logging out")
	tab.wantText("#flash", "You have signed out.")
	if c := tab.SessionCookie(); c != nil {
		t.Errorf("the session cookie survived logout: %s", c.Name)
	}
	tab.Shot("5-logged-out")

	// Back. The dashboard was served with Cache-Control: no-store, so no
	// HTTP cache holds it, and Chromium keeps such pages in its
	// back/forward cache only until a cookie changes: the login page shown
	// after logout loads /logout/done, which changes one, so Back must ask
	// the server again and land on the login page.
	if tab.Back() {
		t.Errorf("Back after logout restored the dashboard from the back/forward cache")
		tab.Shot("5-back-after-logout-bfcache")
		tab.Reload()
	}
	tab.wantLoginPage("Back after logging out")
	tab.Shot("5-back-after-logout")
	tab.Open("/")
	tab.wantLoginPage("/ after logging out")
}

// Flow 3: the admin page lists the users; a plain user gets the 403 page;
// Back and Forward show the right pages.
func TestBrowserAdminAndForbidden(t *testing.T) {
	t.Parallel()
	b := NewBrowser(t)
	s := NewSite(t, 0)
	user, pass := UniqueUser(t, "carol"), "carol-password-1"
	s.CreateUser(t, user, pass, "user")

	admin := b.FirstTab(t, s, "admin")
	admin.MustLogin(s.AdminUser, s.AdminPassword)
	if !admin.Visible("#nav-admin") {
		t.Fatal("the admin sees no Admin link")
	}
	if st := admin.Submit("#nav-admin"); st != http.StatusOK {
		t.Errorf("/admin for the admin: status %d, want 200", st)
	}
	wantUserList := func(what string) {
		t.Helper()
		if p := admin.Path(); p != "/admin" || !admin.Visible("#user-list") {
			t.Fatalf("%s: want the user list at /admin, got %s showing %q", what, admin.URL(), admin.Text("main"))
		}
		admin.wantText("h1", "Users")
		names := Eval[[]string](admin, `Array.from(document.querySelectorAll("#user-list tbody tr"), e => e.dataset.user)`)
		for _, n := range []string{s.AdminUser, user} {
			if !slices.Contains(names, n) {
				t.Errorf("%s: the user list lacks %q: %q", what, n, names)
			}
		}
		admin.wantText(fmt.Sprintf(`#user-list tr[data-user=%q] .badge`, user), "user")
		if got := Eval[string](admin, `document.querySelector('#nav-admin').getAttribute('aria-current') || ''`); got != "page" {
			t.Errorf("%s: the Admin link is not marked as the current page", what)
		}
	}
	wantUserList("Admin link")
	admin.Shot("3-admin")
	admin.ShotPhone("3-admin")

	admin.Back()
	admin.wantDashboard("Back from /admin", s.AdminUser)
	admin.Forward()
	wantUserList("Forward to /admin")

	plain := b.Incognito(t, s, "user")
	plain.MustLogin(user, pass)
	plain.wantText("#dash-role", "user")
	if plain.Has("#nav-admin") {
		t.Error("a plain user sees the Admin link")
	}
	if st := plain.Open("/admin"); st != http.StatusForbidden {
		t.Errorf("/admin for a plain user: status %d, want 403", st)
	}
	want403 := func(what string) {
		t.Helper()
		if got := Eval[string](plain, `(document.querySelector('#error')||{dataset:{}}).dataset.status || ''`); got != "403" {
			t.Fatalf("%s: want the 403 page, got %s showing %q", what, plain.URL(), plain.Text("main"))
		}
		plain.wantText("h1", "Access denied")
		plain.wantText("#error-message", "administrators only")
		if plain.Has("#user-list") {
			t.Errorf("%s: the 403 page shows the user list", what)
		}
		if !plain.Visible(`#error a.button[href="/"]`) {
			t.Errorf("%s: the 403 page has no way back to the dashboard", what)
		}
	}
	want403("plain user opens /admin")
	plain.Shot("3-forbidden")
	plain.ShotPhone("3-forbidden")

	plain.Back()
	plain.wantDashboard("Back from the 403 page", user)
	plain.Forward()
	want403("Forward to /admin")
	// The way back the 403 page offers.
	plain.Submit(`#error a.button[href="/"]`)
	plain.wantDashboard("the 403 page's button", user)
}

// pageState is what visit reads off a page.
type pageState struct {
	Path string `json:"path"`
	User string `json:"user"` // the signed-in user in the top bar
	JTI  string `json:"jti"`  // the dashboard's token id
	Rows int    `json:"rows"` // the admin page's user rows
}

// visit loads url in the tab of ctx and reads the page. It returns errors
// rather than failing, for use from goroutines.
func visit(ctx context.Context, url string) (pageState, error) {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Navigate(url)); err != nil {
		return pageState{}, err
	}
	return chromedp.Run(ctx, chromedp.Evaluate[pageState](`(function(){
		const t = s => { const e = document.querySelector(s); return e ? e.innerText.trim() : "" };
		return {path: location.pathname, user: t("#current-user"), jti: (document.querySelector('#claims-payload tr[data-claim="jti"] td.value') || {textContent: ""}).textContent.trim(),
			rows: document.querySelectorAll("#user-list tbody tr").length};
	})()`))
}

// Flow 4: with a short ACCESS_TOKEN_TTL, several tabs keep using the site
// across several expiries, at the same moments: nobody is logged out, and
// the token is renewed behind the scenes.
func TestBrowserSilentRenewalAcrossTabs(t *testing.T) {
	t.Parallel()
	s := NewSite(t, shortTTL)
	s.NeedsShortTTL(t)
	b := NewBrowser(t)
	first := b.FirstTab(t, s, "tab1")
	first.MustLogin(s.AdminUser, s.AdminPassword)
	jtis := map[string]bool{first.claim("jti"): true}
	tabs := []*Tab{first, b.NewTab(t, s, "tab2"), b.NewTab(t, s, "tab3")}

	// Keep clicking around in all tabs at once until the token has been
	// renewed at least twice (so at least two expiries were crossed while
	// in use). A renewal is seen as a new jti on the dashboard.
	deadline := time.Now().Add(6*shortTTL + 10*time.Second)
	for round := 0; len(jtis) < 3; round++ {
		if time.Now().After(deadline) {
			t.Fatalf("after %d rounds the dashboard showed %d token ids, want 3 (two silent renewals)", round, len(jtis))
		}
		type result struct {
			tab, want string
			pageState
			err error
		}
		results := make([]result, len(tabs))
		var wg sync.WaitGroup
		for i, tab := range tabs {
			want := "/"
			if (i+round)%3 == 2 {
				want = "/admin"
			}
			wg.Go(func() {
				r := result{tab: tab.name, want: want}
				r.pageState, r.err = visit(tab.ctx, s.Web.URL+want)
				results[i] = r
			})
		}
		wg.Wait()
		for _, r := range results {
			switch {
			case r.err != nil:
				t.Fatalf("round %d, %s: %v", round, r.tab, r.err)
			case r.Path != r.want || r.User != s.AdminUser:
				t.Fatalf("round %d, %s opened %s: landed on %s as %q — logged out by an expiry", round, r.tab, r.want, r.Path, r.User)
			case r.want == "/admin" && r.Rows == 0:
				t.Fatalf("round %d, %s: the admin page lists no users", round, r.tab)
			case r.JTI != "":
				jtis[r.JTI] = true
			}
		}
		time.Sleep(shortTTL / 3)
	}
	first.Open("/")
	first.wantDashboard("after the renewals", s.AdminUser)
	first.Shot("4-after-renewals")
	if strings.Contains(s.Auth.Logs(), "reused") {
		t.Error("auth-api saw a reused refresh token: concurrent tabs raced a renewal")
	}
}

// Flow 6: a session revoked at auth-api — the same session logged out in
// another browser, or the password changed — ends in the login page with
// the expiry message once the access token expires (in Japanese for a
// Japanese browser: the seed's own sentence).
func TestBrowserRevokedSession(t *testing.T) {
	t.Parallel()
	s := NewSite(t, shortTTL)
	s.NeedsShortTTL(t)
	b := NewBrowser(t)
	dave, erin := UniqueUser(t, "dave"), UniqueUser(t, "erin")
	s.CreateUser(t, dave, "dave-password-1", "user")
	s.CreateUser(t, erin, "erin-password-1", "user")

	// dave's session is copied to another browser, which logs out there.
	laptop := b.Incognito(t, s, "dave-laptop")
	laptop.MustLogin(dave, "dave-password-1")
	other := b.Incognito(t, s, "dave-elsewhere")
	ck := laptop.SessionCookie()
	if ck == nil {
		t.Fatal("no session cookie after logging in")
	}
	other.SetCookie(ck.Name, ck.Value)
	other.Open("/")
	other.wantDashboard("the copied session", dave)
	other.Submit("#logout button")
	other.wantLoginPage("logging out elsewhere")

	// erin changes her password at auth-api; her browser speaks Japanese.
	phone := b.Incognito(t, s, "erin-ja")
	phone.AcceptLanguage("ja")
	phone.MustLogin(erin, "erin-password-1")
	s.ChangePassword(t, erin, "erin-password-1", "erin-password-2")

	for _, c := range []struct {
		tab  *Tab
		want string
	}{
		{laptop, msgExpiredEN},
		{phone, msgExpiredJA},
	} {
		// Until the access token expires the page is still served (a JWT
		// is valid until exp); after, the renewal is refused.
		Eventually(t, shortTTL+10*time.Second, func() string {
			c.tab.Open("/")
			if p := c.tab.Path(); p != "/login" {
				return fmt.Sprintf("%s: the revoked session still reaches %s", c.tab.name, p)
			}
			return ""
		})
		c.tab.wantLoginPage("revoked session")
		c.tab.wantText("#flash", c.want)
		if ck := c.tab.SessionCookie(); ck != nil {
			t.Errorf("%s: the revoked session's cookie is still set", c.tab.name)
		}
		c.tab.Shot("6-revoked")
	}
	phone.ShotPhone("6-revoked")

	// The old password no longer works, the new one does.
	phone.Fill("#username", erin)
	phone.Fill("#password", "erin-password-1")
	if st := phone.Submit("#login-submit"); st != http.StatusUnauthorized {
		t.Errorf("the old password: status %d, want 401", st)
	}
	phone.wantText("#flash", "ユーザー名またはパスワードが正しくありません。")
	phone.Fill("#password", "erin-password-2")
	phone.Submit("#login-submit")
	phone.wantDashboard("the new password", erin)
}

// Flow 7: a browser asking for Japanese gets Japanese pages, including the
// seed's expiry message for a session that is no longer valid.
func TestBrowserJapanese(t *testing.T) {
	t.Parallel()
	b := NewBrowser(t)
	s := NewSite(t, 0)
	tab := b.FirstTab(t, s, "ja")
	tab.AcceptLanguage("ja")

	tab.Open("/")
	tab.wantLoginPage("logged out /")
	if got := Eval[string](tab, "document.documentElement.lang"); got != "ja" {
		t.Errorf(`<html lang=%q>, want "ja"`, got)
	}
	tab.wantText("h1", "ログイン")
	tab.wantText(`label[for="username"]`, "ユーザー名")
	tab.wantText(`label[for="password"]`, "パスワード")
	tab.wantText("#login-submit", "ログイン")
	tab.Shot("7-login")
	tab.ShotPhone("7-login")

	tab.Fill("#username", s.AdminUser)
	tab.Fill("#password", "not-the-password")
	tab.Submit("#login-submit")
	tab.wantText("#flash", "ユーザー名またはパスワードが正しくありません。")

	tab.Login(s.AdminUser, s.AdminPassword)
	tab.wantDashboard("logged in", s.AdminUser)
	tab.wantText("h1", "ダッシュボード")
	tab.wantText("#logout button", "ログアウト")
	tab.wantText(`#claims-payload tr[data-claim="sub"]`, "トークンの対象者")
	tab.wantText(`#claims-payload tr[data-claim="iat"]`, "発行日時")
	if got := tab.Text("#dash-expires-in"); !strings.HasSuffix(got, "分後") {
		t.Errorf("the expiry in Japanese words: %q, want 「…分後」", got)
	}
	updateDocs(t, "dashboard-ja.png", tab.ShotViewport("7-dashboard"))
	tab.ShotPhone("7-dashboard")

	// A session cookie that no longer opens (tampered with here; expired
	// and revoked sessions are in TestBrowserRevokedSession).
	ck := tab.SessionCookie()
	if ck == nil {
		t.Fatal("no session cookie after logging in")
	}
	v := []byte(ck.Value)
	v[len(v)/2] ^= 1
	if v[len(v)/2] < '0' { // keep it a cookie-safe character
		v[len(v)/2] = 'A'
	}
	tab.SetCookie(ck.Name, string(v))
	tab.Open("/")
	tab.wantLoginPage("a session that no longer opens")
	tab.wantText("#flash", msgExpiredJA)
	// Lines break between phrases, never inside a word (「くださ/い」).
	if wb := Eval[string](tab, `getComputedStyle(document.querySelector("#flash")).wordBreak`); wb != "auto-phrase" && wb != "keep-all" {
		t.Errorf("Japanese text has word-break %q, want auto-phrase (or keep-all)", wb)
	}
	tab.Shot("7-expired")
	tab.ShotPhone("7-expired")
}

// Flow 8: the login form works with the keyboard alone, every input has a
// label, and keyboard focus is visible.
func TestBrowserKeyboardOnly(t *testing.T) {
	t.Parallel()
	b := NewBrowser(t)
	s := NewSite(t, 0)
	tab := b.FirstTab(t, s, "keyboard")
	tab.Open("/login")

	unlabelled := Eval[[]string](tab, `Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
		.filter(e => !e.labels || e.labels.length === 0 || e.labels[0].innerText.trim() === "")
		.map(e => e.id || e.name || e.outerHTML)`)
	if len(unlabelled) > 0 {
		t.Errorf("inputs without a label: %q", unlabelled)
	}

	// The username field has the focus; type, Tab, type, Enter.
	if got := tab.Focused(); got != "username" {
		t.Fatalf("the login page focuses %q, want username", got)
	}
	tab.Do(chromedp.KeyEvent(s.AdminUser), chromedp.KeyEvent("\t"))
	if got := tab.Focused(); got != "password" {
		t.Fatalf("Tab from the username goes to %q, want password", got)
	}
	if style := Eval[string](tab, `getComputedStyle(document.activeElement).outlineStyle`); style == "none" {
		t.Error("the focused password field shows no focus outline")
	}
	tab.Do(chromedp.KeyEvent(s.AdminPassword))
	tab.Shot("8-keyboard-filled")
	tab.KeysNavigate("\r")
	tab.wantDashboard("Enter in the password field", s.AdminUser)

	// On a new page the first Tab reaches the skip link, which is then
	// shown on screen.
	tab.Do(chromedp.KeyEvent("\t"))
	if !Eval[bool](tab, `document.activeElement.matches("a.skip-link")`) {
		t.Errorf("the first Tab on the dashboard focuses %q, want the skip link", Eval[string](tab, `document.activeElement.outerHTML`))
	} else if !Eval[bool](tab, `(r => r.top >= 0 && r.bottom <= innerHeight && r.width > 0)(document.activeElement.getBoundingClientRect())`) {
		t.Error("the focused skip link is not on screen")
	}
	tab.Shot("8-keyboard-skip-link")

	// Log out with the keyboard too: Tab on to the button, Enter.
	found := false
	for range 12 {
		tab.Do(chromedp.KeyEvent("\t"))
		if Eval[bool](tab, `document.activeElement.matches("#logout button")`) {
			found = true
			break
		}
	}
	if !found {
		t.Fatal("Tab never reaches the Log out button")
	}
	tab.Shot("8-keyboard-logout-focused")
	tab.KeysNavigate("\r")
	tab.wantLoginPage("Enter on Log out")
	tab.wantText("#flash", "You have signed out.")
}
