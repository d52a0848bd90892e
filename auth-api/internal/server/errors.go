package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/store"
)

// errorBody is every error response: a stable code for programs and a
// message for people.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// apiError is an error with the response it deserves.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func badRequest(code, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: msg}
}

// abort ends the request with a JSON error.
func abort(c *gin.Context, status int, code, msg string) {
	c.AbortWithStatusJSON(status, errorBody{Error: code, Message: msg})
}

// fail maps err to its response: the one place errors become statuses.
// Anything unexpected is a 500 whose details go to the log only.
func fail(c *gin.Context, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		abort(c, ae.status, ae.code, ae.message)
	case errors.Is(err, account.ErrInvalid):
		abort(c, http.StatusBadRequest, "invalid_request", err.Error())
	case errors.Is(err, store.ErrDuplicate):
		abort(c, http.StatusConflict, "user_exists", "a user with this name already exists (names are unique regardless of case)")
	case errors.Is(err, store.ErrNotFound):
		abort(c, http.StatusNotFound, "not_found", "no such user")
	default:
		_ = c.Error(err)
		requestLogger(c).Error("request failed", "err", err)
		abort(c, http.StatusInternalServerError, "internal_error", "something went wrong on our side; try again later")
	}
}
