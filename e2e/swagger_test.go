package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	swaggerFiles "github.com/swaggo/files/v2"
)

// swaggerInitializer points Swagger UI at auth-api's own document.
const swaggerInitializer = `window.onload = function() {
  window.ui = SwaggerUIBundle({
    url: "/openapi.yaml",
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};`

// Swagger UI (the real bundle, as FastAPI serves it at /docs) reads
// /openapi.yaml, logs in with its "Authorize" button through the oauth2
// password flow at /token, and then calls GET /me with the token it got.
// Swagger UI and auth-api share one origin here, through a proxy: auth-api
// sends no CORS headers.
func TestSwaggerUIAuthorize(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	b := NewBrowser(t)
	const user, password = "admin", "swagger-admin-password"
	api := StartAuthAPI(t, AuthOptions{Secret: NewSecret(t), AdminUser: user, AdminPassword: password})
	target, err := url.Parse(api.URL)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /docs/swagger-initializer.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, swaggerInitializer)
	})
	mux.Handle("GET /docs/", http.StripPrefix("/docs/", http.FileServerFS(swaggerFiles.FS)))
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	tab := b.FirstTab(t, &Site{Stack: &Stack{Auth: api, Web: &Proc{Name: "swagger-ui", URL: srv.URL}}}, "swagger")
	tab.Open("/docs/index.html")
	waitJS(t, tab, `document.querySelector(".auth-wrapper .authorize") !== null`)
	Eval[bool](tab, `(document.querySelector(".auth-wrapper .authorize").click(), true)`)
	waitJS(t, tab, `document.querySelector("#oauth_username") !== null`)
	tab.Fill("#oauth_username", user)
	tab.Fill("#oauth_password", password)
	Eval[bool](tab, `(document.querySelector("#oauth_username").closest(".auth-container").querySelector("button.authorize").click(), true)`)
	// The oauth2 box says "Authorized", or shows the error it got.
	box := `document.querySelector(".auth-container h6, .auth-container .errors")`
	waitJS(t, tab, box+` !== null`)
	if got := Eval[string](tab, box+`.innerText`); !strings.Contains(got, "Authorized") {
		t.Fatalf("Swagger UI's Authorize: got %q, want Authorized", got)
	}
	access := Eval[string](tab, `(window.ui.authSelectors.authorized().getIn(["oauth2","token","access_token"]) || "")`)
	if strings.Count(access, ".") != 2 {
		t.Fatalf("Swagger UI holds no access token after Authorize (got %q)", access)
	}

	// Close the dialog and call GET /me through Swagger UI's "Try it out".
	Eval[bool](tab, `(document.querySelector(".auth-btn-wrapper .btn-done, .modal-ux .close-modal").click(), true)`)
	waitJS(t, tab, `document.querySelector("#operations-default-get_me") !== null`)
	Eval[bool](tab, `((document.querySelector("#operations-default-get_me .opblock-summary-control") || document.querySelector("#operations-default-get_me .opblock-summary")).click(), true)`)
	waitJS(t, tab, `document.querySelector("#operations-default-get_me .try-out__btn") !== null`)
	Eval[bool](tab, `(document.querySelector("#operations-default-get_me .try-out__btn").click(), true)`)
	waitJS(t, tab, `document.querySelector("#operations-default-get_me .execute") !== null`)
	Eval[bool](tab, `(document.querySelector("#operations-default-get_me .execute").click(), true)`)
	status := `document.querySelector("#operations-default-get_me .live-responses-table tbody .response-col_status")`
	waitJS(t, tab, status+` !== null`)
	if got := strings.TrimSpace(Eval[string](tab, status+`.innerText`)); !strings.HasPrefix(got, "200") {
		t.Errorf("GET /me from Swagger UI after Authorize: got status %q, want 200", got)
	}
	if body := Eval[string](tab, `document.querySelector("#operations-default-get_me .live-responses-table tbody .response-col_description").innerText`); !strings.Contains(body, `"sub": "admin"`) {
		t.Errorf("GET /me from Swagger UI: got %q, want the admin's claims", body)
	}
}

// waitJS polls the JavaScript condition until it is true, failing after
// stepTimeout.
func waitJS(t *testing.T, tab *Tab, cond string) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for !Eval[bool](tab, cond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", cond)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
