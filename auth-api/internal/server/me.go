package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/store"
)

// handleMe answers with the verified claims of the bearer token.
func handleMe() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, claimsOf(c))
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
func handleChangePassword(st store.Store, lim *limiter, cfg Config) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req changePasswordRequest
		if aerr := decodeJSON(c.ContentType(), c.Request.Body, &req); aerr != nil {
			fail(c, aerr)
			return
		}
		if req.CurrentPassword == "" {
			fail(c, badRequest("invalid_request", "current_password is required"))
			return
		}
		if err := account.ValidatePassword(req.NewPassword); err != nil {
			fail(c, badRequest("invalid_request", "new_password: "+err.Error()))
			return
		}
		if req.NewPassword == req.CurrentPassword {
			fail(c, badRequest("invalid_request", "new_password must differ from current_password"))
			return
		}
		claims := claimsOf(c)
		addr := c.ClientIP()
		if wait, ok := lim.begin(claims.Subject, addr, cfg.Now()); !ok {
			tooManyAttempts(c, wait)
			return
		}
		ctx, cancel := timeout(c)
		defer cancel()
		u, err := st.User(ctx, claims.Subject)
		if errors.Is(err, store.ErrNotFound) {
			unauthorized(c, "the account of this token no longer exists")
			return
		} else if err != nil {
			fail(c, err)
			return
		}
		if len(req.CurrentPassword) > account.MaxPasswordBytes ||
			bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(req.CurrentPassword)) != nil {
			requestLogger(c).Info("password change refused: wrong current password", "username", u.Username)
			abort(c, http.StatusForbidden, "invalid_credentials", "current_password is wrong")
			return
		}
		lim.succeeded(claims.Subject, addr)
		hash, err := account.HashPassword(req.NewPassword, cfg.BcryptCost)
		if err != nil {
			fail(c, err)
			return
		}
		if err := st.SetPassword(ctx, u.Username, hash); err != nil {
			fail(c, err)
			return
		}
		requestLogger(c).Info("password changed; refresh tokens revoked", "username", u.Username)
		c.Status(http.StatusNoContent)
	}
}
