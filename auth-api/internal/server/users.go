package server

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/store"
)

// userView is a user as the admin API shows it: never the password hash.
type userView struct {
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

func viewOf(u store.User) userView {
	return userView{Username: u.Username, Role: u.Role, CreatedAt: u.CreatedAt.UTC()}
}

// usersResponse answers GET /users.
type usersResponse struct {
	Users []userView `json:"users"`
}

func handleListUsers(st store.Store) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := timeout(c)
		defer cancel()
		users, err := st.Users(ctx)
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

func handleCreateUser(st store.Store, cfg Config) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req createUserRequest
		if aerr := decodeJSON(c.ContentType(), c.Request.Body, &req); aerr != nil {
			fail(c, aerr)
			return
		}
		if req.Role == "" {
			req.Role = account.RoleUser
		}
		for _, err := range []error{
			account.ValidateUsername(req.Username),
			account.ValidatePassword(req.Password),
			account.ValidateRole(req.Role),
		} {
			if err != nil {
				fail(c, err)
				return
			}
		}
		hash, err := account.HashPassword(req.Password, cfg.BcryptCost)
		if err != nil {
			fail(c, err)
			return
		}
		u := store.User{Username: req.Username, PasswordHash: hash, Role: req.Role, CreatedAt: cfg.Now().Truncate(time.Second)}
		ctx, cancel := timeout(c)
		defer cancel()
		if err := st.CreateUser(ctx, u); err != nil {
			fail(c, err)
			return
		}
		requestLogger(c).Info("user created", "username", u.Username, "role", u.Role, "by", claimsOf(c).Subject)
		c.Header("Location", "/users/"+url.PathEscape(u.Username))
		c.JSON(http.StatusCreated, viewOf(u))
	}
}

func handleDeleteUser(st store.Store) gin.HandlerFunc {
	return func(c *gin.Context) {
		name := c.Param("username")
		if err := account.ValidateUsername(name); err != nil {
			fail(c, err)
			return
		}
		by := claimsOf(c).Subject
		if equalFoldASCII(name, by) {
			abort(c, http.StatusConflict, "cannot_delete_self", "you cannot delete your own account; ask another admin")
			return
		}
		ctx, cancel := timeout(c)
		defer cancel()
		if err := st.DeleteUser(ctx, name); err != nil {
			fail(c, err)
			return
		}
		requestLogger(c).Info("user deleted; refresh tokens revoked", "username", name, "by", by)
		c.Status(http.StatusNoContent)
	}
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
