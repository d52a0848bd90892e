package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jwt-micro-system/web-frontend/internal/authclient"
	"github.com/jwt-micro-system/web-frontend/internal/i18n"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

// formState is what a form shows again after a failed submit: the values
// worth keeping (never a password) and an error message per field, which
// the templates tie to the field with aria-invalid and aria-describedby.
type formState struct {
	Values map[string]string
	Errors map[string]string
}

// fail records the message of catalog key for field.
func (f *formState) fail(field, msg string) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	f.Errors[field] = msg
}

// failed reports whether any field has an error.
func (f *formState) failed() bool { return len(f.Errors) > 0 }

// readForm parses the form of r, bounded to maxFormBytes.
func readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errFormTooLarge
		}
		return fmt.Errorf("%w: %w", errBadForm, err)
	}
	return nil
}

// sessionOver turns auth-api refusing this session's own access token (the
// user was deleted, the key rotated) into the end of the session.
func sessionOver(w http.ResponseWriter, sessions *session.Manager, err error) error {
	if errors.Is(err, authclient.ErrUnauthorized) {
		sessions.Clear(w)
		return fmt.Errorf("%w: auth-api refused the token: %w", session.ErrExpired, err)
	}
	return err
}

// ruleField says which field a refusal of auth-api's password or username
// rules is about (its message names the field first), and the page text
// for it. ok is false for any other error.
func ruleField(err error, L i18n.Texts, passwordField string) (field, msg string, ok bool) {
	var ae *authclient.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
		return "", "", false
	}
	m := ae.Message
	switch {
	case strings.Contains(m, "must differ"):
		return passwordField, L["err_password_same"], true
	case strings.HasPrefix(m, "username"):
		return "username", L["err_username_rule"], true
	case strings.HasPrefix(m, "role"):
		return "role", L["err_role_rule"], true
	case strings.Contains(m, "password"):
		return passwordField, L["err_password_rule"], true
	}
	return "", "", false
}

// codeOf returns the error code auth-api answered with, or "".
func codeOf(err error) string {
	var ae *authclient.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// humanIn says in words how far ahead d is, in the page's language: "in
// 30 minutes", 「30分後」. Minutes are rounded up, so a lockout is never
// announced shorter than it is.
func humanIn(d time.Duration, L i18n.Texts) string {
	switch {
	case d < time.Minute:
		return L["in_moment"]
	case d < time.Hour:
		return plural(L, "in_minutes", int((d+time.Minute-1)/time.Minute))
	case d < 48*time.Hour:
		return plural(L, "in_hours", int((d+30*time.Minute)/time.Hour))
	}
	return plural(L, "in_days", int((d+12*time.Hour)/(24*time.Hour)))
}

func plural(L i18n.Texts, key string, n int) string {
	if n == 1 {
		return L[key+"_1"]
	}
	return fmt.Sprintf(L[key], n)
}
