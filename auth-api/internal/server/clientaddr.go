package server

import (
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/clientaddr"

	"github.com/jwt-micro-system/auth-api/internal/observe"
)

// verifiedClientHeader is the Gin "trusted platform" header: c.ClientIP()
// returns its value when present. Only signedClientAddress sets it, after
// deleting any copy the client sent.
const verifiedClientHeader = "X-Auth-Api-Verified-Client-Ip"

// signedClientAddress believes web-frontend's client address (the
// clientaddr.Header) when its MAC, under a key derived from SECRET_KEY,
// verifies and its time is within ±30 s: then that address is the client's
// for the brute-force limits and the logs. Otherwise the peer address
// stands, or X-Forwarded-For from TRUSTED_PROXIES, as Gin decides.
func signedClientAddress(v *clientaddr.Verifier, now func() time.Time) gin.HandlerFunc {
	return func(c *gin.Context) {
		delete(c.Request.Header, verifiedClientHeader) // canonical
		value := headerValue(c.Request.Header, clientaddr.Header)
		if value == "" {
			c.Next()
			return
		}
		addr, err := v.Verify(value, now())
		if err != nil {
			// Never log the value: it is the client's to choose.
			observe.Logger(c).Warn("client address header refused", "err", err.Error(), "peer", c.RemoteIP())
		} else {
			c.Request.Header[verifiedClientHeader] = []string{addr.String()}
		}
		c.Next()
	}
}
