// Package observe is what auth-api's middleware knows of one request: its
// id, the logger with that id, the verified claims of its bearer token, and
// the one log line and metrics of the request when it ends. All of it rides
// in one State, the request's gin.ResponseWriter.
package observe

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/requestid"

	"github.com/jwt-micro-system/auth-api/internal/metrics"
)

// State is what the middleware keeps of one request: its id, the logger
// to log it with (made on first use, so a request that logs nothing
// allocates no logger) and the verified claims (SetClaims).
//
// It is the request's gin.ResponseWriter, wrapping gin's own: handlers find
// it at c.Writer, and the request pays one allocation for it instead of
// gin's Keys map (c.Set) and a state besides.
type State struct {
	gin.ResponseWriter
	id     [1]string // the X-Request-Id header value, as the header map holds it
	base   *slog.Logger
	log    *slog.Logger
	claims *jwtauth.Claims
	token  string // the verified access token
}

// Of returns the request's state, attaching an empty one if RequestID did
// not run.
func Of(c *gin.Context) *State {
	if st, ok := c.Writer.(*State); ok {
		return st
	}
	st := &State{ResponseWriter: c.Writer}
	c.Writer = st
	return st
}

// SetClaims records the verified claims of the request's access token.
func (st *State) SetClaims(claims *jwtauth.Claims, token string) {
	st.claims, st.token = claims, token
}

// Claims returns the claims SetClaims recorded; nil when none were.
func (st *State) Claims() *jwtauth.Claims { return st.claims }

// Token returns the access token whose claims SetClaims recorded.
func (st *State) Token() string { return st.token }

// Claims returns the verified claims of the request c.
func Claims(c *gin.Context) *jwtauth.Claims { return Of(c).claims }

// RequestID gives every request an id (the caller's X-Request-Id when
// requestid.Valid, a random one otherwise). It is echoed in the response
// and attached to every log line of the request.
func RequestID(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		st := &State{ResponseWriter: c.Writer, base: log}
		// The header maps hold canonical keys; indexing them directly
		// skips the canonicalisation Header.Get does.
		if v := c.Request.Header[requestid.Header]; len(v) > 0 && requestid.Valid(v[0]) {
			st.id[0] = v[0]
		} else {
			st.id[0] = requestid.New()
		}
		c.Writer = st
		st.Header()[requestid.Header] = st.id[:]
		c.Next()
	}
}

// Logger returns the request's logger (with its request id).
func Logger(c *gin.Context) *slog.Logger {
	st := Of(c)
	if st.log == nil {
		if st.base == nil {
			return slog.Default()
		}
		st.log = st.base.With(requestid.LogKey, st.id[0])
	}
	return st.log
}

// Requests logs one line per request and counts it in the metrics. The
// path is logged, never the query or any header, so tokens stay out of the
// logs; user is the subject of a verified access token, when there was
// one. When the log level leaves a request out, logging it costs a level
// check and allocates nothing.
func Requests(m *metrics.Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		elapsed := time.Since(start)
		route := c.FullPath() // the router's own string: no allocation
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		m.Request(c.Request.Method, route, status, elapsed)
		// Successful reads (health probes, /me, scrapes) are routine and
		// frequent: debug. Changes, refusals and failures: info or error.
		// Handlers log the events that matter (logins, refreshes, admin
		// actions) themselves.
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case status < 400 && (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead):
			level = slog.LevelDebug
		}
		ctx := c.Request.Context()
		st := Of(c)
		if st.base != nil && !st.base.Enabled(ctx, level) {
			return
		}
		log := Logger(c)
		attrs := []slog.Attr{
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int("bytes", c.Writer.Size()),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("client_ip", c.ClientIP()),
		}
		if cl := st.claims; cl != nil {
			attrs = append(attrs, slog.String("user", cl.Subject))
		}
		log.LogAttrs(ctx, level, "request", attrs...)
	}
}
