package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/decode"
	"github.com/jwt-micro-system/auth-api/internal/observe"
	"github.com/jwt-micro-system/auth-api/internal/signin"
)

// errorBody is every error response: a stable code for programs and a
// message for people.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// apiError is an error with the response it deserves, including any header
// that belongs to it (WWW-Authenticate, Retry-After, Connection).
type apiError struct {
	status  int
	code    string
	message string
	header  map[string]string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func badRequest(code, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: msg}
}

// invalidToken is a 401 for a missing, bad or orphaned access token.
func invalidToken(msg string) *apiError {
	return &apiError{status: http.StatusUnauthorized, code: "invalid_token", message: msg,
		header: map[string]string{"WWW-Authenticate": `Bearer error="invalid_token"`}}
}

// errAccountGone marks an error about the caller's own account (the
// subject of a valid access token) that no longer exists: a 401, where
// another user missing is a 404.
var errAccountGone = errors.New("the account of this token no longer exists")

// callersAccount marks err as being about the caller's own account, for
// the table to answer account.ErrNotFound with the 401 of errAccountGone.
func callersAccount(err error) error {
	if errors.Is(err, account.ErrNotFound) {
		return fmt.Errorf("%w: %w", errAccountGone, err)
	}
	return err
}

// tooMany is the 429 of a limit, with Retry-After in whole seconds, at
// least 1; what names what was limited in the message.
func tooMany(wait time.Duration, code, what string) *apiError {
	secs := max(int((wait+time.Second-1)/time.Second), 1)
	return &apiError{status: http.StatusTooManyRequests, code: code,
		message: fmt.Sprintf("too many %s; try again in %d seconds", what, secs),
		header:  map[string]string{"Retry-After": strconv.Itoa(secs)}}
}

// fail maps err to its response: the one place errors become statuses.
// Anything unexpected is a 500 whose details go to the log only.
func fail(c *gin.Context, err error) {
	ae := apiErrorOf(err)
	if ae == nil {
		_ = c.Error(err)
		observe.Logger(c).Error("request failed", "err", err)
		ae = &apiError{status: http.StatusInternalServerError, code: "internal_error", message: "something went wrong on our side; try again later"}
	}
	for k, v := range ae.header {
		c.Header(k, v)
	}
	c.AbortWithStatusJSON(ae.status, errorBody{Error: ae.code, Message: ae.message})
}

// apiErrorOf is the table from errors to responses; nil for an error that
// is not expected (a 500).
func apiErrorOf(err error) *apiError {
	var ae *apiError
	var de *decode.Error
	var limited *signin.LimitedError
	var family *account.TooManyRefreshesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &de):
		return &apiError{status: de.Status, code: de.Code, message: de.Message}
	case errors.As(err, &limited) && limited.Refresh:
		return tooMany(limited.Wait, "too_many_requests", "refreshes")
	case errors.As(err, &limited):
		return tooMany(limited.Wait, "too_many_attempts", "failed attempts")
	case errors.As(err, &family):
		return tooMany(family.Wait, "too_many_requests", "refreshes")
	case errors.Is(err, errAccountGone):
		return invalidToken(errAccountGone.Error())
	case errors.Is(err, account.ErrInvalid):
		return badRequest("invalid_request", err.Error())
	case errors.Is(err, account.ErrBadCredentials):
		return &apiError{status: http.StatusUnauthorized, code: "invalid_credentials", message: "invalid username or password"}
	case errors.Is(err, account.ErrWrongPassword):
		return &apiError{status: http.StatusForbidden, code: "invalid_credentials", message: "current_password is wrong"}
	case errors.Is(err, account.ErrRefreshRefused):
		return &apiError{status: http.StatusUnauthorized, code: "invalid_refresh_token",
			message: "the refresh token is invalid, expired or revoked; log in again"}
	case errors.Is(err, account.ErrNotAdmin):
		return &apiError{status: http.StatusForbidden, code: "forbidden", message: "this needs the admin role"}
	case errors.Is(err, account.ErrDeleteSelf):
		return &apiError{status: http.StatusConflict, code: "cannot_delete_self", message: "you cannot delete your own account; ask another admin"}
	case errors.Is(err, account.ErrDuplicate):
		return &apiError{status: http.StatusConflict, code: "user_exists", message: "a user with this name already exists (names are unique regardless of case)"}
	case errors.Is(err, account.ErrNotFound):
		return &apiError{status: http.StatusNotFound, code: "not_found", message: "no such user"}
	}
	return nil
}
