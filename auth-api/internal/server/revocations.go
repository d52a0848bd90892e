package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/revocation"

	"github.com/jwt-micro-system/auth-api/internal/account"
)

// handleRevocations serves the revocation feed, GET /revocations?since=N:
// the sessions revoked after cursor N (0 or absent: every one not yet
// expired), with the cursor to ask with next and whether more are waiting.
// Only holders of SECRET_KEY may read it: the caller presents the feed key
// derived from it (revocation.FeedKey) as a bearer credential.
func handleRevocations(accounts *account.Service, keys *revocation.FeedKeys) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		presented, ok := bearerToken(c.GetHeader("Authorization"))
		if !ok || !keys.Accepts(presented) {
			fail(c, &apiError{status: http.StatusUnauthorized, code: "invalid_token",
				message: "the revocation feed needs the feed key derived from SECRET_KEY as a bearer credential",
				header:  map[string]string{"WWW-Authenticate": `Bearer realm="revocations", error="invalid_token"`}})
			return
		}
		var cursor int64
		if s := c.Query("since"); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				fail(c, badRequest("invalid_request", "since must be a cursor: a whole number from 0, as returned in cursor"))
				return
			}
			cursor = n
		}
		ctx, cancel := timeout(c)
		defer cancel()
		page, err := accounts.RevocationsSince(ctx, cursor)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, page)
	}
}
