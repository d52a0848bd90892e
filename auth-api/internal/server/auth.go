package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/jwtauth"
	"golang.org/x/crypto/bcrypt"

	"github.com/jwt-micro-system/auth-api/internal/store"
)

// tokenResponse answers /login and /refresh. Token repeats AccessToken for
// clients written against the seed, which read "token".
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Token        string `json:"token"`
}

// refreshRequest is the body of /refresh and /logout.
type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// maxRefreshTokenLen bounds what is worth hashing; real ones are 43 bytes.
const maxRefreshTokenLen = 256

var errBadCredentials = &apiError{status: http.StatusUnauthorized, code: "invalid_credentials", message: "invalid username or password"}

var errBadRefresh = &apiError{status: http.StatusUnauthorized, code: "invalid_refresh_token",
	message: "the refresh token is invalid, expired or revoked; log in again"}

// newRefreshToken returns a fresh opaque refresh token (256 random bits)
// and the hash under which it is stored.
func newRefreshToken() (token string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("refresh token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashRefreshToken(token), nil
}

func hashRefreshToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func tooManyAttempts(c *gin.Context, wait time.Duration) {
	secs := retryAfter(c, wait)
	abort(c, http.StatusTooManyRequests, "too_many_attempts",
		fmt.Sprintf("too many failed attempts; try again in %d seconds", secs))
}

// checkPassword compares password with hash, or with dummy when the user
// does not exist, so both cases cost one bcrypt comparison.
func checkPassword(u store.User, found bool, dummy []byte, password string) bool {
	hash := u.PasswordHash
	if !found {
		hash = dummy
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	return err == nil && found
}

func handleLogin(st store.Store, iss *jwtauth.Issuer, lim *limiter, m *metrics, dummy []byte, cfg Config) gin.HandlerFunc {
	return func(c *gin.Context) {
		username, password, aerr := decodeLogin(c.ContentType(), c.Request.Body)
		if aerr != nil {
			m.login("bad_request")
			fail(c, aerr)
			return
		}
		addr := c.ClientIP()
		if wait, ok := lim.begin(username, addr, cfg.Now()); !ok {
			m.login("rate_limited")
			requestLogger(c).Warn("login rate limited", "username", username, "client_ip", addr)
			tooManyAttempts(c, wait)
			return
		}
		ctx, cancel := timeout(c)
		defer cancel()
		u, err := st.User(ctx, username)
		found := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			fail(c, err)
			return
		}
		if !checkPassword(u, found, dummy, password) {
			m.login("invalid_credentials")
			requestLogger(c).Info("login failed", "username", username, "client_ip", addr)
			fail(c, errBadCredentials)
			return
		}
		lim.succeeded(username, addr)
		family, err := newFamily()
		if err != nil {
			fail(c, err)
			return
		}
		resp, err := issuePair(iss, cfg, u, func(rt store.RefreshToken) error {
			rt.Family = family
			return st.AddRefreshToken(ctx, rt)
		})
		if err != nil {
			fail(c, err)
			return
		}
		m.login("success")
		requestLogger(c).Info("login", "username", u.Username, "role", u.Role)
		writeTokens(c, resp)
	}
}

func newFamily() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("token family: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// issuePair signs an access token for u and stores a new refresh token with
// save.
func issuePair(iss *jwtauth.Issuer, cfg Config, u store.User, save func(store.RefreshToken) error) (tokenResponse, error) {
	access, _, err := iss.Issue(u.Username, u.Role)
	if err != nil {
		return tokenResponse{}, err
	}
	refresh, hash, err := newRefreshToken()
	if err != nil {
		return tokenResponse{}, err
	}
	now := cfg.Now()
	if err := save(store.RefreshToken{Hash: hash, Username: u.Username, CreatedAt: now, ExpiresAt: now.Add(cfg.RefreshTokenTTL)}); err != nil {
		return tokenResponse{}, err
	}
	return pair(iss, access, refresh), nil
}

func pair(iss *jwtauth.Issuer, access, refresh string) tokenResponse {
	return tokenResponse{
		AccessToken:  access,
		TokenType:    "Bearer",
		ExpiresIn:    int64(iss.TTL() / time.Second),
		RefreshToken: refresh,
		Token:        access,
	}
}

func writeTokens(c *gin.Context, resp tokenResponse) {
	// RFC 6749 §5.1: token responses must not be cached.
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.JSON(http.StatusOK, resp)
}

// decodeRefreshToken reads a {"refresh_token"} body.
func decodeRefreshToken(c *gin.Context) (string, *apiError) {
	var req refreshRequest
	if err := decodeJSON(c.ContentType(), c.Request.Body, &req); err != nil {
		return "", err
	}
	if req.RefreshToken == "" {
		return "", badRequest("invalid_request", "refresh_token is required")
	}
	return req.RefreshToken, nil
}

func handleRefresh(st store.Store, iss *jwtauth.Issuer, m *metrics, cfg Config) gin.HandlerFunc {
	return func(c *gin.Context) {
		presented, aerr := decodeRefreshToken(c)
		if aerr != nil {
			m.refresh("bad_request")
			fail(c, aerr)
			return
		}
		if len(presented) > maxRefreshTokenLen {
			m.refresh("unknown")
			fail(c, errBadRefresh)
			return
		}
		next, nextHash, err := newRefreshToken()
		if err != nil {
			fail(c, err)
			return
		}
		ctx, cancel := timeout(c)
		defer cancel()
		now := cfg.Now()
		old, err := st.RotateRefreshToken(ctx, hashRefreshToken(presented),
			store.RefreshToken{Hash: nextHash, CreatedAt: now, ExpiresAt: now.Add(cfg.RefreshTokenTTL)}, now)
		if outcome, refused := refreshOutcome(err); refused {
			m.refresh(outcome)
			l := requestLogger(c).With("outcome", outcome)
			if old.Username != "" {
				l = l.With("username", old.Username, "family", old.Family)
			}
			if errors.Is(err, store.ErrTokenReused) {
				l.Warn("refresh token reused; its family is revoked")
			} else {
				l.Info("refresh refused")
			}
			fail(c, errBadRefresh)
			return
		} else if err != nil {
			fail(c, err)
			return
		}
		u, err := st.User(ctx, old.Username)
		if errors.Is(err, store.ErrNotFound) {
			m.refresh("unknown")
			fail(c, errBadRefresh)
			return
		} else if err != nil {
			fail(c, err)
			return
		}
		access, _, err := iss.Issue(u.Username, u.Role)
		if err != nil {
			fail(c, err)
			return
		}
		m.refresh("success")
		requestLogger(c).Info("refresh", "username", u.Username)
		writeTokens(c, pair(iss, access, next))
	}
}

// refreshOutcome names a rotation error for metrics and logs, and says
// whether it is a refusal (401) rather than a failure (500).
func refreshOutcome(err error) (string, bool) {
	switch {
	case err == nil:
		return "success", false
	case errors.Is(err, store.ErrNotFound):
		return "unknown", true
	case errors.Is(err, store.ErrTokenReused):
		return "reused", true
	case errors.Is(err, store.ErrTokenRevoked):
		return "revoked", true
	case errors.Is(err, store.ErrTokenExpired):
		return "expired", true
	}
	return "error", false
}

// handleLogout revokes the refresh token's family. An unknown token is not
// an error: the client is logged out either way.
func handleLogout(st store.Store, now func() time.Time) gin.HandlerFunc {
	return func(c *gin.Context) {
		presented, aerr := decodeRefreshToken(c)
		if aerr != nil {
			fail(c, aerr)
			return
		}
		if len(presented) <= maxRefreshTokenLen {
			ctx, cancel := timeout(c)
			defer cancel()
			err := st.RevokeRefreshFamily(ctx, hashRefreshToken(presented), now())
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				fail(c, err)
				return
			}
			if err == nil {
				requestLogger(c).Info("logout")
			}
		}
		c.Status(http.StatusNoContent)
	}
}
