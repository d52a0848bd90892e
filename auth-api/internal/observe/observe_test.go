package observe_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/jwtauth"

	"github.com/jwt-micro-system/auth-api/internal/metrics"
	"github.com/jwt-micro-system/auth-api/internal/observe"
)

// The request line carries the request id and the subject SetClaims
// recorded; successful reads are left out at info level.
func TestRequests(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	for _, tt := range []struct {
		name, method string
		claims       *jwtauth.Claims
		want         []string // in the log; nil: no line
	}{
		{"change with a user", http.MethodPost, &jwtauth.Claims{Subject: "alice"}, []string{`"request_id":"req-1"`, `"user":"alice"`, `"route":"/x"`, `"status":200`}},
		{"change without a user", http.MethodPost, nil, []string{`"request_id":"req-1"`, `"method":"POST"`}},
		{"successful read", http.MethodGet, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
			r := gin.New()
			r.Use(observe.RequestID(log), observe.Requests(metrics.New()))
			r.Handle(tt.method, "/x", func(c *gin.Context) {
				if tt.claims != nil {
					observe.Of(c).SetClaims(tt.claims, "token")
				}
				c.Status(http.StatusOK)
			})
			req := httptest.NewRequest(tt.method, "/x", nil)
			req.Header.Set("X-Request-Id", "req-1")
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if got := w.Header().Get("X-Request-Id"); got != "req-1" {
				t.Errorf("X-Request-Id: got %q, want %q", got, "req-1")
			}
			if tt.want == nil && buf.Len() != 0 {
				t.Errorf("got the log %s, want none", buf.String())
			}
			for _, s := range tt.want {
				if !strings.Contains(buf.String(), s) {
					t.Errorf("got the log %s, want %s in it", buf.String(), s)
				}
			}
		})
	}
}

// Without RequestID, the state is attached on first use and the logger is
// slog's default.
func TestOfWithoutRequestID(t *testing.T) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	if observe.Claims(c) != nil {
		t.Error("got claims on a fresh request, want none")
	}
	if got := observe.Logger(c); got != slog.Default() {
		t.Errorf("got logger %v, want slog.Default()", got)
	}
	first := observe.Of(c)
	if second := observe.Of(c); second != first {
		t.Error("Of attached a second state")
	}
}
