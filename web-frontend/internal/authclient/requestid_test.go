package authclient

import (
	"context"
	"net/http"
	"testing"

	"github.com/jwt-micro-system/shared/requestid"
)

// Every call carries the request id of the context it is made with, so one
// request can be followed through the logs of both services.
func TestCallsCarryTheRequestID(t *testing.T) {
	got := make(chan string, 1)
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("X-Request-Id")
		_, _ = w.Write([]byte(`{"kid":"k1","alg":"HS256","issuer":"auth-api"}`))
	})
	tests := []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"with an id", requestid.NewContext(context.Background(), "rid-1"), "rid-1"},
		{"without", context.Background(), ""},
	}
	for _, tt := range tests {
		if _, err := c.TokenKey(tt.ctx); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if h := <-got; h != tt.want {
			t.Errorf("%s: got X-Request-Id %q, want %q", tt.name, h, tt.want)
		}
	}
}
