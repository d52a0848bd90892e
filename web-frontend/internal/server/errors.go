package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jwt-micro-system/web-frontend/internal/authclient"
	"github.com/jwt-micro-system/web-frontend/internal/i18n"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

// Errors of this service's own making; problemOf says how each is shown.
var (
	errNotFound      = errors.New("no such page")
	errMethod        = errors.New("method not allowed")
	errCrossOrigin   = errors.New("cross-origin request refused")
	errForbidden     = errors.New("the admin role is required")
	errFormTooLarge  = errors.New("form too large")
	errBadForm       = errors.New("form unreadable")
	errMissingFields = errors.New("username or password missing")
	errTooLong       = errors.New("username or password too long")
	errPanic         = errors.New("panic serving request")
	errNoTracker     = errors.New("requireSession runs outside observe") // a wiring mistake: 500
)

// problem is how an error is answered: the status, the page text (a
// catalog key with its arguments, or a text of auth-api's own), the stable
// code and message of the JSON body, and Retry-After in seconds.
//
// When the error is about one field of a form (a name taken, a password
// auth-api's rules refuse, a wrong current password), field names it
// ("username", "password", "role", "current_password"; the handler puts
// "password" on its own password field) and formKey is the catalog key
// shown next to it; formKey without field is a message for the whole form.
type problem struct {
	status     int
	key        string
	args       []any
	wait       time.Duration // for a key whose %s is a human "in 15 minutes"
	text       string
	code, msg  string
	retryAfter int
	field      string
	formKey    string
}

// problemOf maps err to its answer: the one place errors become statuses.
// Anything unexpected is a 500 whose details go to the log only.
func problemOf(err error) problem {
	var ae *authclient.Error
	switch {
	case errors.Is(err, errNotFound):
		return problem{status: http.StatusNotFound, key: "err_not_found", code: "not_found", msg: "There is no such API endpoint; see GET /api/me."}
	case errors.Is(err, errMethod):
		return problem{status: http.StatusMethodNotAllowed, key: "err_method", code: "method_not_allowed", msg: "This endpoint does not accept that method."}
	case errors.Is(err, errCrossOrigin):
		return problem{status: http.StatusForbidden, key: "err_cross_origin", code: "cross_origin", msg: "Cross-origin requests are refused."}
	case errors.Is(err, authclient.ErrForbidden) && authclient.CodeOf(err) == "invalid_credentials":
		// The current password of a password change.
		return problem{status: http.StatusForbidden, key: "err_current_wrong", code: "invalid_credentials", msg: "The current password is wrong.",
			field: "current_password", formKey: "err_current_wrong"}
	case errors.Is(err, errForbidden), errors.Is(err, authclient.ErrForbidden):
		return problem{status: http.StatusForbidden, key: "err_forbidden", code: "forbidden", msg: "The admin role is required."}
	case errors.Is(err, errFormTooLarge):
		return problem{status: http.StatusRequestEntityTooLarge, key: "err_too_long", code: "too_large", msg: "The request is too large."}
	case errors.Is(err, errBadForm):
		return problem{status: http.StatusBadRequest, key: "err_bad_form", code: "bad_request", msg: "The form could not be read."}
	case errors.Is(err, errMissingFields):
		return problem{status: http.StatusBadRequest, key: "err_missing_fields", code: "bad_request", msg: "Enter a username and a password."}
	case errors.Is(err, errTooLong):
		return problem{status: http.StatusBadRequest, key: "err_too_long", code: "bad_request", msg: "The username or password is too long."}
	case errors.Is(err, session.ErrBadBearer):
		return problem{status: http.StatusUnauthorized, code: "invalid_token",
			msg: "The bearer token is invalid or has expired; log in again to get a new one."}
	case errors.Is(err, session.ErrNoSession):
		return problem{status: http.StatusUnauthorized, key: "msg_expired", code: "login_required", msg: "Log in first: send the session cookie or an Authorization: Bearer token."}
	case errors.Is(err, session.ErrExpired):
		return problem{status: http.StatusUnauthorized, key: "msg_expired", code: "session_expired", msg: "Your session has expired or is invalid. Please log in again."}
	case errors.Is(err, session.ErrMismatch):
		return problem{status: http.StatusServiceUnavailable, key: "err_login_config", code: "auth_mismatch", msg: "This service cannot verify auth-api's tokens."}
	case errors.Is(err, session.ErrUnavailable):
		return problem{status: http.StatusServiceUnavailable, key: "err_unavailable", code: "auth_unavailable",
			msg: "The sign-in service is unreachable, so the session could not be renewed; try again shortly.", retryAfter: 5}
	case errors.Is(err, authclient.ErrUnauthorized):
		return problem{status: http.StatusUnauthorized, key: "err_credentials", code: "bad_credentials", msg: "Incorrect username or password."}
	case errors.Is(err, authclient.ErrRateLimited):
		wait := time.Minute
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			wait = ae.RetryAfter
		}
		return problem{status: http.StatusTooManyRequests, key: "err_rate_limited", wait: wait, code: "rate_limited",
			msg: "Too many attempts.", retryAfter: int(wait / time.Second)}
	case authclient.CodeOf(err) == "user_exists":
		return problem{status: http.StatusConflict, key: "err_username_taken", code: "user_exists", msg: "That username is taken.",
			field: "username", formKey: "err_username_taken"}
	case authclient.CodeOf(err) == "not_found":
		return problem{status: http.StatusNotFound, key: "err_no_user", code: "not_found", msg: "There is no such user.",
			field: "username", formKey: "err_no_user"}
	case authclient.CodeOf(err) == "cannot_delete_self":
		return problem{status: http.StatusConflict, key: "err_delete_self", code: "cannot_delete_self", msg: "You cannot delete yourself.",
			formKey: "err_delete_self"}
	case errors.Is(err, authclient.ErrRejected) && errors.As(err, &ae) && ae.Message != "":
		// auth-api's own words about what to fix (e.g. the password
		// length rule), and the field they are about.
		pr := problem{status: http.StatusBadRequest, text: ae.Message, code: ae.Code, msg: ae.Message}
		switch f := authclient.RuleField(err); f {
		case "":
		case "password_same":
			pr.field, pr.formKey = "password", "err_password_same"
		default:
			pr.field, pr.formKey = f, "err_"+f+"_rule"
		}
		return pr
	case errors.Is(err, authclient.ErrUnavailable), errors.Is(err, authclient.ErrRejected),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return problem{status: http.StatusServiceUnavailable, key: "err_unavailable", code: "auth_unavailable", msg: "The sign-in service is unreachable; try again shortly.", retryAfter: 5}
	default:
		return problem{status: http.StatusInternalServerError, key: "err_internal", code: "internal", msg: "internal error"}
	}
}

// message returns the page text of the problem in texts.
func (p problem) message(texts i18n.Texts) string {
	switch {
	case p.text != "":
		return p.text
	case p.wait > 0:
		return fmt.Sprintf(texts[p.key], texts.In(p.wait))
	case len(p.args) > 0:
		return fmt.Sprintf(texts[p.key], p.args...)
	}
	return texts[p.key]
}

// formMessage returns the text shown on the form for the problem: its
// formKey in texts, or the page text.
func (p problem) formMessage(texts i18n.Texts) string {
	if p.formKey != "" {
		return texts[p.formKey]
	}
	return p.message(texts)
}

// setRetryAfter sets Retry-After when the problem has one.
func (p problem) setRetryAfter(w http.ResponseWriter) {
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
}

// writeAPIError answers an /api request that failed with err.
func writeAPIError(w http.ResponseWriter, err error) {
	p := problemOf(err)
	p.setRetryAfter(w)
	switch {
	case errors.Is(err, session.ErrBadBearer):
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	case p.status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="web-frontend"`)
	}
	writeJSONError(w, p.status, p.code, p.msg)
}

// handleError and handleAPIError answer every request with err (404, 405).
func handleError(rd *renderer, err error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { rd.fail(w, r, err) }
}

func handleAPIError(err error) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { writeAPIError(w, err) }
}
