package server

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/signin"
)

// Every domain error, however wrapped, maps to its response; anything else
// is unexpected (nil: a 500 with the details in the log only).
func TestAPIErrorOf(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"rule", fmt.Errorf("create: %w", account.ValidateRole("root")), 400, "invalid_request"},
		{"bad credentials", account.ErrBadCredentials, 401, "invalid_credentials"},
		{"wrong current password", account.ErrWrongPassword, 403, "invalid_credentials"},
		{"refresh refused", &account.RefreshError{Outcome: account.OutcomeReused, Err: account.ErrTokenReused}, 401, "invalid_refresh_token"},
		{"refresh refused for a deleted user", &account.RefreshError{Outcome: account.OutcomeUnknown, Err: account.ErrNotFound}, 401, "invalid_refresh_token"},
		{"not admin", account.ErrNotAdmin, 403, "forbidden"},
		{"delete self", account.ErrDeleteSelf, 409, "cannot_delete_self"},
		{"duplicate", fmt.Errorf("user %q: %w", "bob", account.ErrDuplicate), 409, "user_exists"},
		{"not found", fmt.Errorf("user %q: %w", "bob", account.ErrNotFound), 404, "not_found"},
		{"api error", badRequest("invalid_request", "no"), 400, "invalid_request"},
		{"login limited", fmt.Errorf("login: %w", &signin.LimitedError{Wait: time.Minute}), 429, "too_many_attempts"},
		{"refresh limited", &signin.LimitedError{Wait: time.Second, Refresh: true}, 429, "too_many_requests"},
		{"family limited", &account.TooManyRefreshesError{Wait: time.Second}, 429, "too_many_requests"},
		{"unexpected", errors.New("disk full"), 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ae := apiErrorOf(tt.err)
			switch {
			case tt.status == 0 && ae != nil:
				t.Errorf("got %d %s, want nil (a 500)", ae.status, ae.code)
			case tt.status != 0 && (ae == nil || ae.status != tt.status || ae.code != tt.code || ae.message == ""):
				t.Errorf("got %+v, want %d %s with a message", ae, tt.status, tt.code)
			}
		})
	}
	if got := apiErrorOf(&signin.LimitedError{}).header["Retry-After"]; got != "1" {
		t.Errorf("Retry-After for no wait: got %q, want at least 1", got)
	}
}
