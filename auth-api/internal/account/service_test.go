package account_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/shared/servicetest"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/store"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newService returns a Service on a fresh SQLite database (the real store)
// with the user alice (password alice-pass-1) and the admin root.
func newService(tb testing.TB) (*account.Service, *store.SQLite, *clock) {
	tb.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(tb.TempDir(), "auth.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	clk := &clock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	keys, err := secretkey.NewKeys(servicetest.NewSecret(), "")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := account.New(st, account.Config{BcryptCost: 4, RefreshTokenTTL: 10 * time.Hour, Keys: keys, Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	for _, u := range []struct{ name, pass, role string }{{"alice", "alice-pass-1", account.RoleUser}, {"root", "root-pass-1", account.RoleAdmin}} {
		if _, err := s.CreateUser(ctx, u.name, u.pass, u.role); err != nil {
			tb.Fatal(err)
		}
	}
	return s, st, clk
}

func TestNewRefusesBadConfig(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tt := range []struct {
		name  string
		store account.Store
		cfg   account.Config
		want  string
	}{
		{"no store", nil, account.Config{BcryptCost: 4, RefreshTokenTTL: time.Hour}, "needs a store"},
		{"cost too low", st, account.Config{BcryptCost: 3, RefreshTokenTTL: time.Hour}, "bcrypt cost 3 is out of range"},
		{"cost too high", st, account.Config{BcryptCost: 32, RefreshTokenTTL: time.Hour}, "bcrypt cost 32 is out of range"},
		{"no refresh lifetime", st, account.Config{BcryptCost: 4}, "refresh token lifetime must be positive"},
		{"negative refresh lifetime", st, account.Config{BcryptCost: 4, RefreshTokenTTL: -time.Hour}, "refresh token lifetime must be positive"},
		{"negative reuse interval", st, account.Config{BcryptCost: 4, RefreshTokenTTL: time.Hour, ReuseInterval: -time.Second}, "reuse interval must not be negative"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := account.New(tt.store, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	s, _, _ := newService(t)
	for _, tt := range []struct {
		name, user, pass string
		wantUser         string
	}{
		{"right password", "alice", "alice-pass-1", "alice"},
		{"name in another case", "ALICE", "alice-pass-1", "alice"},
		{"wrong password", "alice", "alice-pass-2", ""},
		{"unknown user", "mallory", "alice-pass-1", ""},
		{"empty password", "alice", "", ""},
		{"empty name", "", "alice-pass-1", ""},
		{"password with a suffix past 72 bytes", "alice", "alice-pass-1" + strings.Repeat("x", 80), ""},
		{"null byte in name", "alice\x00", "alice-pass-1", ""},
		// Issue 14 item 5: bcrypt cycles the key "alice-pass-1\x00", so
		// this matched the hash; no password may hold a control character.
		{"NUL-joined repetition", "alice", "alice-pass-1\x00alice-pass-1", ""},
		{"NUL-joined repetition, three times", "alice", "alice-pass-1\x00alice-pass-1\x00alice-pass-1", ""},
		{"trailing NUL", "alice", "alice-pass-1\x00", ""},
		{"trailing newline", "alice", "alice-pass-1\n", ""},
		{"SQL in name", "alice' OR '1'='1", "alice-pass-1", ""},
		{"LIKE wildcard in name", "al%", "alice-pass-1", ""},
		{"huge name", strings.Repeat("a", 1<<16), "alice-pass-1", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.Authenticate(context.Background(), tt.user, tt.pass)
			if tt.wantUser == "" {
				if !errors.Is(err, account.ErrBadCredentials) {
					t.Errorf("got %+v, %v; want ErrBadCredentials", u, err)
				}
				return
			}
			if err != nil || u.Username != tt.wantUser || len(u.PasswordHash) == 0 {
				t.Errorf("got %+v, %v; want user %s", u, err, tt.wantUser)
			}
		})
	}
}

func TestCreateUser(t *testing.T) {
	s, _, clk := newService(t)
	for _, tt := range []struct {
		name, user, pass, role string
		want                   error
		wantMsg                string
	}{
		{"plain user", "bob", "bob-password-1", account.RoleUser, nil, ""},
		{"admin with e-mail name", "carol@example.com", "carol-password-1", account.RoleAdmin, nil, ""},
		{"taken in another case", "ALICE", "some-password-1", account.RoleUser, account.ErrDuplicate, ""},
		{"bad name", "bob smith", "bob-password", account.RoleUser, account.ErrInvalid, "username may contain only"},
		{"null byte in name", "bob\x00", "bob-password", account.RoleUser, account.ErrInvalid, "username may contain only"},
		{"short password", "dave", "short", account.RoleUser, account.ErrInvalid, "password is too short"},
		{"73-byte password", "dave", strings.Repeat("p", 73), account.RoleUser, account.ErrInvalid, "password is too long"},
		{"invalid UTF-8 password", "dave", "pass\xffword1", account.RoleUser, account.ErrInvalid, "valid UTF-8"},
		{"unknown role", "dave", "dave-password-1", "root", account.ErrInvalid, "role must be admin or user"},
		{"no role", "dave", "dave-password-1", "", account.ErrInvalid, "role is required"},
		{"name checked first", "", "x", "x", account.ErrInvalid, "username is required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.CreateUser(context.Background(), tt.user, tt.pass, tt.role)
			if tt.want != nil {
				if !errors.Is(err, tt.want) || !strings.Contains(fmt.Sprint(err), tt.wantMsg) {
					t.Errorf("got %v, want %v containing %q", err, tt.want, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.Username != tt.user || u.Role != tt.role || !u.CreatedAt.Equal(clk.Now()) || string(u.PasswordHash) == tt.pass {
				t.Errorf("got %+v", u)
			}
			if _, err := s.Authenticate(context.Background(), tt.user, tt.pass); err != nil {
				t.Errorf("the new user cannot log in: %v", err)
			}
		})
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	alice, err := s.Authenticate(ctx, "alice", "alice-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := s.StartSession(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	u, second, _, err := s.Refresh(ctx, first)
	if err != nil || u.Username != "alice" || u.Role != account.RoleUser || second == first || !strings.HasPrefix(second, strings.SplitN(first, ".", 2)[0]+".2.") {
		t.Fatalf("refresh: got %+v, %q, %v", u, second, err)
	}
	// Reusing the first token revokes the family: the second dies too.
	_, _, _, err = s.Refresh(ctx, first)
	var re *account.RefreshError
	if !errors.As(err, &re) || re.Outcome != account.OutcomeReused || re.Username != "alice" || re.Family == "" ||
		!errors.Is(err, account.ErrRefreshRefused) || !errors.Is(err, account.ErrTokenReused) {
		t.Fatalf("reuse: got %#v, want a RefreshError with outcome reused for alice's family", err)
	}
	_, _, _, err = s.Refresh(ctx, second)
	if !errors.As(err, &re) || re.Outcome != account.OutcomeRevoked {
		t.Errorf("second token after reuse: got %v, want outcome revoked", err)
	}
}

func TestRefreshRefusals(t *testing.T) {
	ctx := context.Background()
	s, _, clk := newService(t)
	alice, _ := s.Authenticate(ctx, "alice", "alice-pass-1")
	expiring, _, err := s.StartSession(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	loggedOut, _, _ := s.StartSession(ctx, alice)
	if ok, err := s.EndSession(ctx, loggedOut); !ok || err != nil {
		t.Fatalf("logout: got %v, %v; want true, nil", ok, err)
	}
	root, _ := s.Authenticate(ctx, "root", "root-pass-1")
	orphan, _, _ := s.StartSession(ctx, root)
	if err := s.DeleteUser(ctx, "root", "alice"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Hour)
	for _, tt := range []struct {
		name, token, outcome string
	}{
		{"expired", expiring, account.OutcomeExpired},
		{"logged out", loggedOut, account.OutcomeRevoked},
		{"user deleted", orphan, account.OutcomeUnknown},
		{"never issued", "bm90LWEtcmVhbC10b2tlbg", account.OutcomeUnknown},
		{"empty", "", account.OutcomeUnknown},
		{"too long to be worth hashing", strings.Repeat("x", account.MaxRefreshTokenLen+1), account.OutcomeUnknown},
		{"null bytes", "\x00\x00\x00", account.OutcomeUnknown},
		{"SQL", "' OR 1=1 --", account.OutcomeUnknown},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, next, _, err := s.Refresh(ctx, tt.token)
			var re *account.RefreshError
			if !errors.As(err, &re) || re.Outcome != tt.outcome || next != "" || u.Username != "" {
				t.Errorf("got %+v, %q, %v; want outcome %s", u, next, err, tt.outcome)
			}
		})
	}
}

// Many clients present the same refresh token at once: exactly one wins.
func TestConcurrentRefresh(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	alice, _ := s.Authenticate(ctx, "alice", "alice-pass-1")
	token, _, err := s.StartSession(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, _, _, errs[i] = s.Refresh(ctx, token) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, account.ErrRefreshRefused):
			t.Errorf("got %v, want success or a refusal", err)
		}
	}
	if won != 1 {
		t.Errorf("got %d successful refreshes, want exactly 1", won)
	}
}

func TestEndSession(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	for _, tt := range []struct {
		name, token string
	}{
		{"unknown", "unknown"},
		{"empty", ""},
		{"huge", strings.Repeat("x", 10_000)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if ok, err := s.EndSession(ctx, tt.token); ok || err != nil {
				t.Errorf("got %v, %v; want false, nil", ok, err)
			}
		})
	}
}

func TestChangePassword(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	alice, _ := s.Authenticate(ctx, "alice", "alice-pass-1")
	session, _, _ := s.StartSession(ctx, alice)
	for _, tt := range []struct {
		name, user, current, next string
		want                      error
	}{
		{"no current password", "alice", "", "new-password-1", account.ErrInvalid},
		{"short new password", "alice", "alice-pass-1", "short", account.ErrInvalid},
		{"new equals current", "alice", "alice-pass-1", "alice-pass-1", account.ErrInvalid},
		{"wrong current password", "alice", "alice-pass-2", "new-password-1", account.ErrWrongPassword},
		{"current past 72 bytes", "alice", "alice-pass-1" + strings.Repeat("x", 70), "new-password-1", account.ErrWrongPassword},
		{"user gone", "nobody", "alice-pass-1", "new-password-1", account.ErrNotFound},
		{"success", "alice", "alice-pass-1", "new-password-1", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ChangePassword(ctx, tt.user, tt.current, tt.next)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := s.Authenticate(ctx, "alice", "alice-pass-1"); !errors.Is(err, account.ErrBadCredentials) {
		t.Errorf("old password after the change: got %v, want ErrBadCredentials", err)
	}
	if _, err := s.Authenticate(ctx, "alice", "new-password-1"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if _, _, _, err := s.Refresh(ctx, session); !errors.Is(err, account.ErrRefreshRefused) {
		t.Errorf("session from before the change: got %v, want it revoked", err)
	}
}

func TestAdmin(t *testing.T) {
	s, _, _ := newService(t)
	for _, tt := range []struct {
		name, user, role string
		want             error
	}{
		{"admin by token and store", "root", account.RoleAdmin, nil},
		{"admin in any case", "ROOT", account.RoleAdmin, nil},
		{"token says user", "root", account.RoleUser, account.ErrNotAdmin},
		{"no role", "root", "", account.ErrNotAdmin},
		{"store says user", "alice", account.RoleAdmin, account.ErrNotAdmin},
		{"deleted", "carol", account.RoleAdmin, account.ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Admin(context.Background(), tt.user, tt.role); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDeleteUser(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	for _, tt := range []struct {
		name, user, by string
		want           error
	}{
		{"self", "root", "root", account.ErrDeleteSelf},
		{"self in another case", "ROOT", "root", account.ErrDeleteSelf},
		{"bad name", "a/b", "root", account.ErrInvalid},
		{"empty name", "", "root", account.ErrInvalid},
		{"unknown", "nobody", "root", account.ErrNotFound},
		{"another user", "ALICE", "root", nil},
		{"again", "alice", "root", account.ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.DeleteUser(ctx, tt.user, tt.by); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEnsureAdmin(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name           string
		existing       bool
		user, password string
		wantErr        string
		wantAdmin      bool
	}{
		{"empty store", false, "boss", "boss-password", "", true},
		{"users exist", true, "boss", "boss-password", "", false},
		{"no bootstrap admin configured", false, "", "", "", false},
		{"bad name", false, "bo ss", "boss-password", "username may contain only", false},
		{"short password", false, "boss", "short", "password is too short", false},
		// Issue 14 item 4: these started.
		{"changeme", false, "boss", "changeme", "too common", false},
		{"password1", false, "boss", "password1", "too common", false},
		{"12345678", false, "boss", "12345678", "too common", false},
		{"8 spaces", false, "boss", "        ", "too common", false},
		{"NUL", false, "boss", "boss-password\x00", "control characters", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "auth.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			s, err := account.New(st, account.Config{BcryptCost: 4, RefreshTokenTTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if tt.existing {
				if _, err := s.CreateUser(ctx, "alice", "alice-pass-1", account.RoleUser); err != nil {
					t.Fatal(err)
				}
			}
			err = s.EnsureAdmin(ctx, tt.user, tt.password)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			u, err := s.Authenticate(ctx, tt.user, tt.password)
			if got := err == nil && u.Role == account.RoleAdmin; got != tt.wantAdmin {
				t.Errorf("bootstrap admin can log in as admin: got %v, want %v (%+v, %v)", got, tt.wantAdmin, u, err)
			}
		})
	}
}

func TestCleanupDeletesExpiredTokens(t *testing.T) {
	ctx := context.Background()
	s, st, clk := newService(t)
	alice, _ := s.Authenticate(ctx, "alice", "alice-pass-1")
	old, _, _ := s.StartSession(ctx, alice)
	clk.Advance(6 * time.Hour)
	fresh, _, _ := s.StartSession(ctx, alice)
	clk.Advance(5 * time.Hour) // old is 11 hours old, fresh 5
	if n, err := s.DeleteExpired(ctx); n != 1 || err != nil {
		t.Errorf("got %d, %v; want 1 deleted", n, err)
	}
	if n, err := st.DeleteExpiredRefreshTokens(ctx, clk.Now()); n != 0 || err != nil {
		t.Errorf("expired tokens left: %d, %v", n, err)
	}
	if _, _, _, err := s.Refresh(ctx, old); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("deleted token: got %v, want ErrNotFound", err)
	}
	if _, _, _, err := s.Refresh(ctx, fresh); err != nil {
		t.Errorf("live token: %v", err)
	}
}

func TestResetPassword(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	alice, _ := s.Authenticate(ctx, "alice", "alice-pass-1")
	session, _, _ := s.StartSession(ctx, alice)
	for _, tt := range []struct {
		name, user, password string
		want                 error
	}{
		{"bad name", "bob smith", "new-password-1", account.ErrInvalid},
		{"short password", "alice", "short", account.ErrInvalid},
		{"73-byte password", "alice", strings.Repeat("p", 73), account.ErrInvalid},
		{"user gone", "nobody", "new-password-1", account.ErrNotFound},
		{"success, in another case", "ALICE", "new-password-1", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ResetPassword(ctx, tt.user, tt.password)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := s.Authenticate(ctx, "alice", "alice-pass-1"); !errors.Is(err, account.ErrBadCredentials) {
		t.Errorf("old password after the reset: got %v, want ErrBadCredentials", err)
	}
	if _, err := s.Authenticate(ctx, "alice", "new-password-1"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if _, _, _, err := s.Refresh(ctx, session); !errors.Is(err, account.ErrRefreshRefused) {
		t.Errorf("session from before the reset: got %v, want it revoked", err)
	}
}

func TestEndAllSessions(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	alice, _ := s.Authenticate(ctx, "alice", "alice-pass-1")
	one, _, _ := s.StartSession(ctx, alice)
	two, _, _ := s.StartSession(ctx, alice)
	if _, err := s.EndAllSessions(ctx, "nobody"); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("unknown user: got %v, want ErrNotFound", err)
	}
	if n, err := s.EndAllSessions(ctx, "alice"); err != nil || n != 2 {
		t.Fatalf("EndAllSessions: got %d, %v; want 2 sessions", n, err)
	}
	// Both sessions are recorded as revoked, by their family (the sid of
	// their access tokens), so their access tokens are refused too.
	page, err := s.RevocationsSince(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sids []string
	for _, r := range page.Revocations {
		sids = append(sids, r.SessionID)
	}
	slices.Sort(sids)
	want := []string{strings.SplitN(one, ".", 2)[0], strings.SplitN(two, ".", 2)[0]}
	slices.Sort(want)
	if !slices.Equal(sids, want) {
		t.Errorf("revoked sessions %v, want the families %v", sids, want)
	}
	for _, rt := range []string{one, two} {
		if _, _, _, err := s.Refresh(ctx, rt); !errors.Is(err, account.ErrRefreshRefused) {
			t.Errorf("a session from before: got %v, want it revoked", err)
		}
	}
	if _, err := s.Authenticate(ctx, "alice", "alice-pass-1"); err != nil {
		t.Errorf("the password changed: %v", err)
	}
}
