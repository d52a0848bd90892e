package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/bruteforce"
	"github.com/jwt-micro-system/auth-api/internal/decode"
	"github.com/jwt-micro-system/auth-api/internal/observe"
	"github.com/jwt-micro-system/shared/jwtauth"
)

// claimsJSONCacheSize bounds how many tokens' /me answers are kept.
const claimsJSONCacheSize = 1024

// handleMe answers with the verified claims of the bearer token, encoded
// once per token (jwtauth.ClaimsJSON, as gin's c.JSON writes them).
func handleMe(cache *jwtauth.ClaimsJSON) gin.HandlerFunc {
	noStore, contentType := []string{"no-store"}, []string{jsonContentType}
	return func(c *gin.Context) {
		st := observe.Of(c)
		body, err := cache.Get(st.Token(), st.Claims())
		if err != nil {
			fail(c, err)
			return
		}
		c.Writer.Header()["Cache-Control"] = noStore
		writeJSONBytes(c, http.StatusOK, contentType, body)
	}
}

// changePasswordRequest is the body of POST /me/password.
type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// handleChangePassword sets a new password after checking the current one,
// and revokes every refresh token of the user. Wrong current passwords count
// against the brute-force limits like failed logins.
func handleChangePassword(accounts *account.Service, lim *bruteforce.Limiter, now func() time.Time) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req changePasswordRequest
		if aerr := decode.JSON(c.ContentType(), c.Request.Body, &req); aerr != nil {
			fail(c, aerr)
			return
		}
		// Requests that could never succeed do not count as attempts.
		if err := account.ValidatePasswordChange(req.CurrentPassword, req.NewPassword); err != nil {
			fail(c, err)
			return
		}
		user := observe.Claims(c).Subject
		addr := c.ClientIP()
		ctx, cancel := timeout(c)
		defer cancel()
		wait, ok, err := lim.Begin(ctx, user, addr, now())
		if err != nil {
			fail(c, err)
			return
		}
		if !ok {
			fail(c, tooManyAttempts(wait))
			return
		}
		err = accounts.ChangePassword(ctx, user, req.CurrentPassword, req.NewPassword)
		if errors.Is(err, account.ErrWrongPassword) {
			observe.Logger(c).Info("password change refused: wrong current password", "user", user)
		}
		if err != nil {
			fail(c, callersAccount(err))
			return
		}
		if err := lim.Succeeded(ctx, user, addr, now()); err != nil {
			fail(c, err)
			return
		}
		observe.Logger(c).Info("password changed; refresh tokens revoked", "user", user)
		c.Status(http.StatusNoContent)
	}
}

// handleLogoutAll revokes every session of the token's user: "sign out
// everywhere". Its refresh tokens and access tokens stop working at once.
func handleLogoutAll(accounts *account.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		user := observe.Claims(c).Subject
		ctx, cancel := timeout(c)
		defer cancel()
		if _, err := accounts.EndAllSessions(ctx, user); err != nil {
			fail(c, callersAccount(err))
			return
		}
		observe.Logger(c).Info("signed out everywhere; sessions revoked", "user", user)
		c.Status(http.StatusNoContent)
	}
}
