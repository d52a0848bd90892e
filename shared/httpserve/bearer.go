package httpserve

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
)

// RequireBearer wraps next so that only requests carrying token as
// Authorization: Bearer <token> reach it; others get 401 with
// WWW-Authenticate and a JSON {"error","message"} body naming variable,
// the setting that holds the token. The comparison takes the same time
// whatever the guess. An empty token returns next unchanged.
func RequireBearer(token, variable string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := ""
		if scheme, rest, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
			got = strings.TrimSpace(rest)
		}
		sum := sha256.Sum256([]byte(got))
		if got == "" || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_token",
				"message": "send the " + variable + " as Authorization: Bearer <token>"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
