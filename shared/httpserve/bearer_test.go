package httpserve

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequireBearer(t *testing.T) {
	const token = "scrape-0123456789-token"
	h := RequireBearer(token, "METRICS_TOKEN", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for _, tt := range []struct {
		header string
		want   int
	}{
		{"Bearer " + token, http.StatusNoContent},
		{"bearer " + token, http.StatusNoContent},
		{"", http.StatusUnauthorized},
		{"Bearer", http.StatusUnauthorized},
		{"Bearer ", http.StatusUnauthorized},
		{"Bearer " + token[:len(token)-1], http.StatusUnauthorized},
		{"Bearer " + token + "x", http.StatusUnauthorized},
		{"Basic " + token, http.StatusUnauthorized},
		{token, http.StatusUnauthorized},
	} {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("Authorization %q: got %d, want %d", tt.header, w.Code, tt.want)
		}
		if w.Code == http.StatusUnauthorized && (w.Header().Get("WWW-Authenticate") == "" || !strings.Contains(w.Body.String(), "METRICS_TOKEN")) {
			t.Errorf("Authorization %q: refusal without WWW-Authenticate or a hint: %q", tt.header, w.Body)
		}
		if strings.Contains(w.Body.String(), token) {
			t.Errorf("the token is in the body %q", w.Body)
		}
	}
}
