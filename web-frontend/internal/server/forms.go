package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jwt-micro-system/web-frontend/internal/authclient"
	"github.com/jwt-micro-system/web-frontend/internal/i18n"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

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
