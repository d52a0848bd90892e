package e2e

// Browser flows of issue 15: the account page, the admin page that
// manages users, dark mode, narrow screens and the error pages' header.
// The flows where another browser's session must end rely on auth-api
// revoking refresh tokens; until access tokens are revoked too, that
// session lasts until its access token expires, so they run with the
// short ACCESS_TOKEN_TTL and are skipped against an external stack.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// wantSessionEnded polls until the tab, reloading /, lands on the login
// page: its session was ended elsewhere.
func (t *Tab) wantSessionEnded(what string) {
	t.tb.Helper()
	Eventually(t.tb, shortTTL+15*time.Second, func() string {
		t.Open("/")
		if p := t.Path(); p != "/login" {
			return fmt.Sprintf("%s: %s: the session still reaches %s", t.name, what, p)
		}
		return ""
	})
	t.wantLoginPage(what)
}

// wantFieldError fails unless the input id is marked invalid, described
// by its message, which shows want, and the title says there is an error.
func (t *Tab) wantFieldError(id, want string) {
	t.tb.Helper()
	if got := Eval[string](t, fmt.Sprintf(`document.getElementById(%q).getAttribute("aria-invalid") || ""`, id)); got != "true" {
		t.tb.Errorf("%s: #%s is not aria-invalid on %s (main shows %q)", t.name, id, t.Path(), t.Text("main"))
	}
	desc := Eval[string](t, fmt.Sprintf(`document.getElementById(%q).getAttribute("aria-describedby") || ""`, id))
	if !strings.Contains(desc, id+"-error") {
		t.tb.Errorf("%s: #%s aria-describedby=%q, want its error message", t.name, id, desc)
	}
	t.wantText("#"+id+"-error", want)
	if title := Eval[string](t, "document.title"); !strings.HasPrefix(title, "Error: ") {
		t.tb.Errorf("%s: the title %q does not say there is an error", t.name, title)
	}
}

// noSidewaysScroll fails when the page at path is wider than the viewport.
func (t *Tab) noSidewaysScroll(path string, width int64) {
	t.tb.Helper()
	t.Open(path)
	sw := Eval[int](t, "document.documentElement.scrollWidth")
	cw := Eval[int](t, "document.documentElement.clientWidth")
	if sw > cw {
		t.tb.Errorf("%s at %d px: scrollWidth %d > clientWidth %d (sideways scrolling)", path, width, sw, cw)
	}
}

// DarkMode makes the tab prefer a dark colour scheme.
func (t *Tab) DarkMode() {
	t.tb.Helper()
	t.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return err
	}))
}

// Changing the password on /account: the old one is refused, the new one
// works, this session continues and another browser's session ends.
// The other browser's end depends on refresh-token revocation (short TTL).
func TestBrowserAccountChangePassword(t *testing.T) {
	t.Parallel()
	s := NewSite(t, shortTTL)
	s.NeedsShortTTL(t)
	b := NewBrowser(t)
	user, old, next := UniqueUser(t, "frank"), "frank-password-1", "frank-password-2"
	s.CreateUser(t, user, old, "user")

	laptop := b.Incognito(t, s, "frank-laptop")
	laptop.MustLogin(user, old)
	phone := b.Incognito(t, s, "frank-phone")
	phone.MustLogin(user, old)

	if st := laptop.Submit("#nav-account"); st != http.StatusOK || laptop.Path() != "/account" {
		t.Fatalf("the Account link: %d %s", st, laptop.URL())
	}
	laptop.wantText("h1", "Your account")
	laptop.wantText("#account-user", user)
	laptop.wantText("#sessions-lead", "sign in again")
	// When the user has to sign in again: the refresh family's expiry
	// (REFRESH_TOKEN_TTL, 7 days by default), in words and as a local time
	// (<time datetime>, made local by the page's script). An auth-api that
	// does not send refresh_expires_in leaves the line out.
	if s.APILogin(t, user, old).RefreshExpiresIn > 0 {
		laptop.wantText("#sign-in-again", "You will have to sign in again in 7 days.")
		iso := Eval[string](laptop, `document.querySelector("#sign-in-again time").getAttribute("datetime")`)
		if at, err := time.Parse(time.RFC3339, iso); err != nil || at.Sub(time.Now().Add(7*24*time.Hour)).Abs() > 5*time.Minute {
			t.Errorf("#sign-in-again <time datetime=%q>: want about 7 days from now (%v)", iso, err)
		}
		if local := laptop.Text("#sign-in-again time"); strings.HasSuffix(local, "UTC") {
			t.Errorf("#sign-in-again shows %q: the script did not make it local", local)
		}
	} else if got := Eval[int](laptop, `document.querySelectorAll("#sign-in-again").length`); got != 0 {
		t.Errorf("auth-api sends no refresh_expires_in, yet the page shows %q", laptop.Text("#sign-in-again"))
	}
	updateDocs(t, "account.png", laptop.Shot("account"))

	// The show-password toggle (the script's progressive enhancement).
	laptop.Fill("#new_password", next)
	laptop.Do(chromedp.Click(chromedp.CSS(`#new_password + .reveal`), chromedp.NodeVisible))
	if got := Eval[string](laptop, `document.getElementById("new_password").type`); got != "text" {
		t.Errorf("Show password: the field's type is %q, want text", got)
	}

	// Empty, wrong current password, confirmation that differs.
	if st := laptop.Submit("#change-password-submit"); st != http.StatusBadRequest {
		t.Errorf("an incomplete form: status %d, want 400", st)
	}
	laptop.wantFieldError("current_password", "Enter your current password.")
	laptop.Shot("account-errors")
	laptop.Fill("#current_password", "not-my-password")
	laptop.Fill("#new_password", next)
	laptop.Fill("#confirmation", next)
	if st := laptop.Submit("#change-password-submit"); st != http.StatusForbidden {
		t.Errorf("a wrong current password: status %d, want 403", st)
	}
	laptop.wantFieldError("current_password", "That is not your current password.")
	laptop.Fill("#current_password", old)
	laptop.Fill("#new_password", next)
	laptop.Fill("#confirmation", next+"x")
	if st := laptop.Submit("#change-password-submit"); st != http.StatusBadRequest {
		t.Errorf("a confirmation that differs: status %d, want 400", st)
	}
	laptop.wantFieldError("confirmation", "do not match")

	// The change: this session continues.
	laptop.Fill("#current_password", old)
	laptop.Fill("#new_password", next)
	laptop.Fill("#confirmation", next)
	if st := laptop.Submit("#change-password-submit"); st != http.StatusOK || laptop.Path() != "/account" {
		t.Fatalf("changing the password: %d %s showing %q", st, laptop.URL(), laptop.Text("main"))
	}
	laptop.wantText("#flash", "Your password was changed.")
	laptop.Shot("account-changed")

	// The other browser's session ends (its refresh token is revoked).
	phone.wantSessionEnded("after the password change elsewhere")
	phone.wantText("#flash", msgExpiredEN)

	// The old password is refused, the new one works.
	phone.Fill("#username", user)
	phone.Fill("#password", old)
	if st := phone.Submit("#login-submit"); st != http.StatusUnauthorized {
		t.Errorf("the old password: status %d, want 401", st)
	}
	phone.Fill("#password", next)
	phone.Submit("#login-submit")
	phone.wantDashboard("the new password", user)

	// Past several access-token lifetimes, the laptop is still signed in.
	time.Sleep(shortTTL + time.Second)
	laptop.Open("/")
	laptop.wantDashboard("the session that changed the password", user)
}

// "Sign out everywhere" ends this session at once and the other
// browser's when its access token expires (short TTL).
func TestBrowserSignOutEverywhere(t *testing.T) {
	t.Parallel()
	s := NewSite(t, shortTTL)
	s.NeedsShortTTL(t)
	b := NewBrowser(t)
	user, pass := UniqueUser(t, "grace"), "grace-password-1"
	s.CreateUser(t, user, pass, "user")
	one := b.Incognito(t, s, "grace-one")
	one.MustLogin(user, pass)
	two := b.Incognito(t, s, "grace-two")
	two.MustLogin(user, pass)

	one.Open("/account")
	one.Submit("#logout-all button")
	one.wantLoginPage("after Sign out everywhere")
	one.wantText("#flash", "You have signed out everywhere.")
	two.wantSessionEnded("after Sign out everywhere in another browser")
	two.MustLogin(user, pass) // the password still works
}

// An admin creates, resets and deletes a user through the page; the
// user's session ends after the reset and after the deletion (short TTL).
// At 390 px the list is stacked rows with no sideways scroll.
func TestBrowserAdminManagesUsers(t *testing.T) {
	t.Parallel()
	s := NewSite(t, shortTTL)
	s.NeedsShortTTL(t)
	b := NewBrowser(t)
	admin := b.FirstTab(t, s, "admin")
	admin.MustLogin(s.AdminUser, s.AdminPassword)
	admin.Open("/admin")
	user := UniqueUser(t, "heidi")
	row := fmt.Sprintf(`#user-list tr[data-user=%q]`, user)

	// A weak password, then a taken name: errors at their fields.
	admin.Fill("#new-username", user)
	admin.Fill("#new-user-password", "short")
	if st := admin.Submit("#create-user-submit"); st != http.StatusBadRequest {
		t.Errorf("a weak password: status %d, want 400", st)
	}
	admin.wantFieldError("new-user-password", "at least 8 characters")
	if got := Eval[string](admin, `document.getElementById("new-username").value`); got != user {
		t.Errorf("after an error the username field holds %q, want %q", got, user)
	}
	admin.Shot("create-weak")
	admin.Fill("#new-username", strings.ToUpper(s.AdminUser))
	admin.Fill("#new-user-password", "heidi-password-1")
	if st := admin.Submit("#create-user-submit"); st != http.StatusConflict {
		t.Errorf("a taken name: status %d, want 409", st)
	}
	admin.wantFieldError("new-username", "taken")

	// Create.
	admin.Fill("#new-username", user)
	admin.Fill("#new-user-password", "heidi-password-1")
	if st := admin.Submit("#create-user-submit"); st != http.StatusOK || admin.Path() != "/admin" {
		t.Fatalf("creating %s: %d %s showing %q", user, st, admin.URL(), admin.Text("main"))
	}
	admin.wantText("#flash", "User "+user+" was created.")
	admin.wantText(row+" .badge", "user")
	updateDocs(t, "admin.png", admin.Shot("created"))

	heidi := b.Incognito(t, s, "heidi")
	heidi.MustLogin(user, "heidi-password-1")

	// Reset the password: the user's session ends, the new password works.
	admin.Fill(row+" .reset-form input", "short")
	admin.Submit(row + " .reset-form button")
	admin.wantFieldError("reset-"+user, "at least 8 characters")
	admin.Fill(row+" .reset-form input", "heidi-password-2")
	if st := admin.Submit(row + " .reset-form button"); st != http.StatusOK {
		t.Errorf("resetting the password: status %d", st)
	}
	admin.wantText("#flash", "The password of "+user+" was set.")
	heidi.wantSessionEnded("after the admin reset the password")
	heidi.Fill("#username", user)
	heidi.Fill("#password", "heidi-password-1")
	if st := heidi.Submit("#login-submit"); st != http.StatusUnauthorized {
		t.Errorf("the password from before the reset: status %d, want 401", st)
	}
	heidi.Fill("#password", "heidi-password-2")
	heidi.Submit("#login-submit")
	heidi.wantDashboard("the password the admin set", user)

	// 390 px: stacked rows, every column's label shown, no sideways scroll.
	admin.Viewport(phoneW, phoneH)
	admin.noSidewaysScroll("/admin", phoneW)
	if got := Eval[string](admin, fmt.Sprintf(`getComputedStyle(document.querySelector(%q)).display`, row)); got != "block" {
		t.Errorf("at 390 px a user row is display:%s, want stacked (block)", got)
	}
	for _, col := range []string{"Role", "Created", "Actions"} {
		sel := fmt.Sprintf(`%s td[data-label=%q]`, row, col)
		if !admin.Visible(sel) {
			t.Errorf("at 390 px the %s of a user is not shown", col)
		}
	}
	updateDocs(t, "admin-mobile.png", admin.Shot("admin-390"))
	admin.Viewport(laptopW, laptopH)

	// Delete, with the confirmation step; Cancel first.
	admin.Open("/admin")
	admin.Submit(row + " .delete-form button")
	admin.wantText("#confirm-title", "Delete "+user+"?")
	admin.Shot("confirm-delete")
	admin.Submit("#confirm-delete-cancel")
	if !admin.Has(row) {
		t.Fatal("Cancel deleted the user")
	}
	admin.Submit(row + " .delete-form button")
	if st := admin.Submit("#confirm-delete-submit"); st != http.StatusOK || admin.Path() != "/admin" {
		t.Fatalf("deleting %s: %d %s", user, st, admin.URL())
	}
	admin.wantText("#flash", "User "+user+" was deleted.")
	if admin.Has(row) {
		t.Error("the deleted user is still listed")
	}
	if admin.Has(fmt.Sprintf(`#user-list tr[data-user=%q] .delete-form`, s.AdminUser)) {
		t.Error("the admin's own row offers Delete")
	}
	heidi.wantSessionEnded("after the admin deleted the account")
	heidi.Fill("#username", user)
	heidi.Fill("#password", "heidi-password-2")
	if st := heidi.Submit("#login-submit"); st != http.StatusUnauthorized {
		t.Errorf("a deleted user signs in: status %d, want 401", st)
	}
}

// Narrow screens: no page scrolls sideways at 320 px.
func TestBrowserNarrowScreens(t *testing.T) {
	t.Parallel()
	b := NewBrowser(t)
	s := NewSite(t, 0)
	for _, lang := range []string{"en", "ja"} {
		tab := b.Incognito(t, s, "narrow-"+lang)
		tab.AcceptLanguage(lang)
		tab.Viewport(320, 640)
		tab.noSidewaysScroll("/login", 320)
		tab.MustLogin(s.AdminUser, s.AdminPassword)
		for _, p := range []string{"/", "/account", "/admin", "/nowhere"} {
			tab.noSidewaysScroll(p, 320)
		}
		tab.Open("/")
		tab.Shot("320-dashboard")
	}
}

// Dark mode: with prefers-color-scheme: dark the pages are dark, and
// input borders keep 3:1 contrast.
func TestBrowserDarkMode(t *testing.T) {
	t.Parallel()
	b := NewBrowser(t)
	s := NewSite(t, 0)
	tab := b.FirstTab(t, s, "dark")
	tab.DarkMode()
	tab.Open("/login")
	luminance := `(function(c){const m=c.match(/\d+(\.\d+)?/g).map(Number).slice(0,3).map(v=>{v/=255;return v<=.03928?v/12.92:Math.pow((v+.055)/1.055,2.4)});return .2126*m[0]+.7152*m[1]+.0722*m[2]})`
	bg := Eval[float64](tab, luminance+`(getComputedStyle(document.body).backgroundColor)`)
	if bg > 0.1 {
		t.Errorf("dark mode: the page background has luminance %.2f, want a dark one", bg)
	}
	border := Eval[float64](tab, luminance+`(getComputedStyle(document.getElementById("username")).borderTopColor)`)
	surface := Eval[float64](tab, luminance+`(getComputedStyle(document.querySelector(".card")).backgroundColor)`)
	if ratio := (max(border, surface) + 0.05) / (min(border, surface) + 0.05); ratio < 3 {
		t.Errorf("dark mode: input border contrast %.2f:1, want at least 3:1", ratio)
	}
	tab.ShotViewport("login")
	tab.MustLogin(s.AdminUser, s.AdminPassword)
	updateDocs(t, "dashboard-dark.png", tab.ShotViewport("dashboard"))
	tab.ShotPhone("dashboard")
}

// Error pages (404 outside the session routes, 403) keep the signed-in
// header with the sign-out button.
func TestBrowserErrorPagesKeepHeader(t *testing.T) {
	t.Parallel()
	b := NewBrowser(t)
	s := NewSite(t, 0)
	user, pass := UniqueUser(t, "ivan"), "ivan-password-1"
	s.CreateUser(t, user, pass, "user")
	tab := b.FirstTab(t, s, "ivan")
	tab.MustLogin(user, pass)
	for _, c := range []struct {
		path   string
		status int64
	}{
		{"/nowhere", http.StatusNotFound},
		{"/admin", http.StatusForbidden},
	} {
		if st := tab.Open(c.path); st != c.status {
			t.Errorf("%s: status %d, want %d", c.path, st, c.status)
		}
		if !tab.Visible("#logout button") || tab.Text("#current-user") != user {
			t.Errorf("%s: the error page lacks the signed-in header (user %q)", c.path, tab.Text("#current-user"))
		}
		tab.Shot(strings.TrimPrefix(c.path, "/"))
	}
	tab.Submit("#logout button")
	tab.wantLoginPage("signing out from an error page")
}

// A lockout is told in human terms, in the page's language.
func TestBrowserLockoutMessage(t *testing.T) {
	t.Parallel()
	b := NewBrowser(t)
	s := NewSite(t, 0)
	user := UniqueUser(t, "judy")
	s.CreateUser(t, user, "judy-password-1", "user")
	tab := b.FirstTab(t, s, "judy")
	tab.Open("/login")
	var st int64
	for range 8 {
		tab.Fill("#username", user)
		tab.Fill("#password", "not-the-password")
		if st = tab.Submit("#login-submit"); st == http.StatusTooManyRequests {
			break
		}
	}
	if st != http.StatusTooManyRequests {
		t.Fatalf("after repeated wrong passwords: status %d, want 429", st)
	}
	tab.wantText("#flash", "Too many attempts. Try again in 15 minutes.")
	if title := Eval[string](tab, "document.title"); !strings.HasPrefix(title, "Error: Sign in") {
		t.Errorf("the title %q does not say there is an error", title)
	}
	tab.Shot("lockout")
	tab.AcceptLanguage("ja")
	tab.Fill("#username", user)
	tab.Fill("#password", "not-the-password")
	tab.Submit("#login-submit")
	tab.wantText("#flash", "試行回数が多すぎます。15分後にもう一度お試しください。")
}
