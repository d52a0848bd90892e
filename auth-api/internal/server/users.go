package server

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/decode"
	"github.com/jwt-micro-system/auth-api/internal/observe"
)

// userView is a user as the admin API shows it: never the password hash.
type userView struct {
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

func viewOf(u account.User) userView {
	return userView{Username: u.Username, Role: u.Role, CreatedAt: u.CreatedAt.UTC()}
}

// usersResponse answers GET /users.
type usersResponse struct {
	Users []userView `json:"users"`
}

func handleListUsers(accounts *account.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := timeout(c)
		defer cancel()
		users, err := accounts.Users(ctx)
		if err != nil {
			fail(c, err)
			return
		}
		resp := usersResponse{Users: make([]userView, 0, len(users))}
		for _, u := range users {
			resp.Users = append(resp.Users, viewOf(u))
		}
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, resp)
	}
}

// createUserRequest is the body of POST /users; role defaults to user.
type createUserRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

func handleCreateUser(accounts *account.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req createUserRequest
		if aerr := decode.JSON(c.ContentType(), c.Request.Body, &req); aerr != nil {
			fail(c, aerr)
			return
		}
		if req.Role == "" {
			req.Role = account.RoleUser
		}
		ctx, cancel := timeout(c)
		defer cancel()
		u, err := accounts.CreateUser(ctx, req.Username, req.Password, req.Role)
		if err != nil {
			fail(c, err)
			return
		}
		observe.Logger(c).Info("user created", "user", u.Username, "role", u.Role, "by", observe.Claims(c).Subject)
		c.Header("Location", "/users/"+url.PathEscape(u.Username))
		c.JSON(http.StatusCreated, viewOf(u))
	}
}

func handleDeleteUser(accounts *account.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		name, by := c.Param("username"), observe.Claims(c).Subject
		ctx, cancel := timeout(c)
		defer cancel()
		if err := accounts.DeleteUser(ctx, name, by); err != nil {
			fail(c, err)
			return
		}
		observe.Logger(c).Info("user deleted; refresh tokens revoked", "user", name, "by", by)
		c.Status(http.StatusNoContent)
	}
}

// resetPasswordRequest is the body of PUT /users/{username}/password.
type resetPasswordRequest struct {
	Password string `json:"password"`
}

// handleResetPassword sets a user's password on an admin's word, and
// revokes that user's refresh tokens.
func handleResetPassword(accounts *account.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req resetPasswordRequest
		if aerr := decode.JSON(c.ContentType(), c.Request.Body, &req); aerr != nil {
			fail(c, aerr)
			return
		}
		name, by := c.Param("username"), observe.Claims(c).Subject
		ctx, cancel := timeout(c)
		defer cancel()
		if err := accounts.ResetPassword(ctx, name, req.Password); err != nil {
			fail(c, err)
			return
		}
		observe.Logger(c).Info("password reset; refresh tokens revoked", "user", name, "by", by)
		c.Status(http.StatusNoContent)
	}
}
