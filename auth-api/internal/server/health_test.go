package server

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/jwt-micro-system/shared/secretkey"
)

func TestHealthAndReady(t *testing.T) {
	ts := newTestServer(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if w := ts.do(t, request{method: "GET", path: path}); w.Code != 200 {
			t.Errorf("%s: got %d %s, want 200", path, w.Code, w.Body)
		}
	}
	ts.store.Close()
	checkError(t, ts.do(t, request{method: "GET", path: "/readyz"}), 503, "not_ready")
	if w := ts.do(t, request{method: "GET", path: "/healthz"}); w.Code != 200 {
		t.Errorf("healthz with the store down: got %d, want 200 (alive is not ready)", w.Code)
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	ts := newTestServer(t)
	checkError(t, ts.do(t, request{method: "GET", path: "/nope"}), 404, "not_found")
	checkError(t, ts.do(t, request{method: "GET", path: "/login"}), 405, "method_not_allowed")
	checkError(t, ts.do(t, request{method: "PUT", path: "/users"}), 405, "method_not_allowed")
}

func TestTokenKey(t *testing.T) {
	for _, tt := range []struct {
		name     string
		previous string
		audience string
		want     tokenKeyResponse
	}{
		{"plain", "", "", tokenKeyResponse{Alg: "HS256", Kid: secretkey.KeyID([]byte(testSecret)), Issuer: "auth-api"}},
		{"rotating, with audience", otherSecret, "web", tokenKeyResponse{Alg: "HS256", Kid: secretkey.KeyID([]byte(testSecret)),
			PreviousKid: secretkey.KeyID([]byte(otherSecret)), Issuer: "auth-api", Audience: "web"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, func(c *testConfig) { c.Audience = tt.audience })
			keys, err := secretkey.NewKeys(testSecret, tt.previous)
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewServer(ts.log, ts.cfg.Config, ts.accounts, ts.store, keys)
			if err != nil {
				t.Fatal(err)
			}
			ts.Server = s
			w := ts.do(t, request{method: "GET", path: "/token-key"})
			var got tokenKeyResponse
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if strings.Contains(w.Body.String(), testSecret) || strings.Contains(w.Body.String(), otherSecret) {
				t.Error("the key itself is in the response")
			}
			if tt.previous == "" && strings.Contains(w.Body.String(), "previous_kid") {
				t.Errorf("got %s, want previous_kid omitted", w.Body)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	ts := newTestServer(t)
	ts.login(t, "alice", alicePassword)
	ts.do(t, request{method: "POST", path: "/login", body: `{"username":"alice","password":"wrong-password"}`})
	ts.do(t, request{method: "GET", path: "/me", token: "garbage"})
	ts.do(t, request{method: "POST", path: "/refresh", body: refreshBody("unknown")})
	ts.do(t, request{method: "MADEUP", path: "/healthz"})
	w := ts.do(t, request{method: "GET", path: "/metrics"})
	if w.Code != 200 {
		t.Fatalf("got %d", w.Code)
	}
	for _, want := range []string{
		`auth_api_logins_total{outcome="success"} 1`,
		`auth_api_logins_total{outcome="invalid_credentials"} 1`,
		`auth_api_token_rejections_total{reason="malformed"} 1`,
		`auth_api_refreshes_total{outcome="unknown"} 1`,
		`auth_api_http_requests_total{method="POST",route="/login",status="200"} 1`,
		`auth_api_http_request_duration_seconds_count{method="GET",route="/me",status="401"} 1`,
		`auth_api_http_requests_total{method="other",route="unmatched",status="405"} 1`,
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(w.Body.String(), "MADEUP") {
		t.Error("a made-up method became a label value")
	}
}

// The OpenAPI document describes exactly the routes the server has.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	ts := newTestServer(t)
	w := ts.do(t, request{method: "GET", path: "/openapi.yaml"})
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/yaml") {
		t.Fatalf("got %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if !bytes.HasPrefix(w.Body.Bytes(), []byte("openapi: 3.1")) {
		t.Errorf("document does not start with openapi: 3.1")
	}
	documented := openAPIOperations(t, w.Body.Bytes())
	var served []string
	for _, r := range ts.Routes() {
		path := r.Path
		// gin's :param is OpenAPI's {param}.
		segs := strings.Split(path, "/")
		for i, s := range segs {
			if strings.HasPrefix(s, ":") {
				segs[i] = "{" + s[1:] + "}"
			}
		}
		served = append(served, r.Method+" "+strings.Join(segs, "/"))
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("openapi.yaml and routes differ:\n documented %v\n served     %v", documented, served)
	}
}

// openAPIOperations parses the document and returns its "METHOD /path"
// pairs, checking on the way that every operation documents responses.
func openAPIOperations(t *testing.T, doc []byte) []string {
	t.Helper()
	var spec struct {
		OpenAPI string                               `yaml:"openapi"`
		Paths   map[string]map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(doc, &spec); err != nil {
		t.Fatalf("openapi.yaml is not valid YAML: %v", err)
	}
	if spec.OpenAPI != "3.1.0" {
		t.Errorf("got openapi %q, want 3.1.0", spec.OpenAPI)
	}
	var ops []string
	for path, methods := range spec.Paths {
		for method, op := range methods {
			if method == "parameters" {
				continue
			}
			if _, ok := op["responses"]; !ok {
				t.Errorf("%s %s documents no responses", method, path)
			}
			ops = append(ops, strings.ToUpper(method)+" "+path)
		}
	}
	if len(ops) == 0 {
		t.Fatal("no operations found in openapi.yaml")
	}
	return ops
}

// No input, on any route, makes the server answer 5xx or anything but JSON.
func TestNoServerErrorsOnHostileInput(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", adminPassword).AccessToken
	for _, r := range ts.Routes() {
		path := strings.Replace(r.Path, ":username", "alice", 1)
		for _, hb := range hostileBodies {
			for _, token := range []string{"", admin} {
				w := ts.do(t, request{method: r.Method, path: path, body: hb.body, contentType: hb.contentType, token: token})
				if w.Code >= 500 {
					t.Errorf("%s %s with %s: got %d %s", r.Method, path, hb.name, w.Code, w.Body)
				}
				if w.Code >= 400 {
					var e errorBody
					if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
						t.Errorf("%s %s with %s: error body %q is not a JSON error", r.Method, path, hb.name, w.Body)
					}
				}
			}
		}
	}
}
