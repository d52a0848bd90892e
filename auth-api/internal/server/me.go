package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/decode"
	"github.com/jwt-micro-system/auth-api/internal/observe"
	"github.com/jwt-micro-system/auth-api/internal/signin"
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
// and revokes every refresh token of the user (signin.Flows.ChangePassword,
// which counts wrong current passwords like failed logins).
func handleChangePassword(flows *signin.Flows) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req changePasswordRequest
		if aerr := decode.JSON(c.ContentType(), c.Request.Body, &req); aerr != nil {
			fail(c, aerr)
			return
		}
		ctx, cancel := timeout(c)
		defer cancel()
		err := flows.ChangePassword(ctx, observe.Logger(c), observe.Claims(c).Subject, req.CurrentPassword, req.NewPassword, c.ClientIP())
		if err != nil {
			fail(c, callersAccount(err))
			return
		}
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
