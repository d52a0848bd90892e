package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestReadyz(t *testing.T) {
	e := newEnv(t, envConfig{})
	if w := e.do(t, get("/readyz")); w.Code != http.StatusOK {
		t.Errorf("matching keys: got %d, want 200", w.Code)
	}
	if w := e.do(t, get("/healthz")); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"ok"`) {
		t.Errorf("healthz: got %d %s", w.Code, w.Body)
	}

	mismatch := newEnv(t, envConfig{authSecret: otherSecret})
	w := mismatch.do(t, get("/readyz"))
	var body map[string]string
	if w.Code != http.StatusServiceUnavailable || json.Unmarshal(w.Body.Bytes(), &body) != nil || body["error"] != "key_mismatch" {
		t.Errorf("mismatched keys: got %d %s", w.Code, w.Body)
	}
	if !strings.Contains(mismatch.logs.String(), "SECRET_KEY differs") {
		t.Error("mismatch not logged")
	}

	e.authSrv.Close()
	w = e.do(t, get("/readyz"))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "auth_api_unreachable") {
		t.Errorf("auth-api down: got %d %s", w.Code, w.Body)
	}
	if w := e.do(t, get("/healthz")); w.Code != http.StatusOK {
		t.Errorf("healthz with auth-api down: got %d, want 200", w.Code)
	}
}
