package server

import (
	"github.com/gin-gonic/gin"

	"github.com/jwt-micro-system/shared/headerset"
)

// responseHeaders returns the headers every response carries: so far
// X-Instance, when this replica has a name.
func responseHeaders(cfg Config) headerset.Set {
	var s headerset.Set
	if cfg.Instance != "" {
		s = s.With("X-Instance", cfg.Instance)
	}
	return s
}

// setHeaders writes hs into every response before the handlers run.
func setHeaders(hs headerset.Set) gin.HandlerFunc {
	return func(c *gin.Context) {
		hs.Apply(c.Writer.Header())
		c.Next()
	}
}

// jsonContentType is the Content-Type gin's c.JSON writes.
const jsonContentType = "application/json; charset=utf-8"

// writeJSONBytes answers with body, JSON encoded before; contentType is
// []string{jsonContentType}, made once by the handler maker.
func writeJSONBytes(c *gin.Context, status int, contentType []string, body []byte) {
	c.Writer.Header()["Content-Type"] = contentType
	c.Status(status)
	_, _ = c.Writer.Write(body)
}
