package observe

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jwt-micro-system/shared/requestid"
	"github.com/jwt-micro-system/web-frontend/internal/metrics"
)

type secretA struct{ v string }
type secretB struct{}

// A Tracker is found only with its own value type, so a package that
// cannot name that type cannot read or forge what it keeps.
func TestTrackerIsFoundOnlyByItsType(t *testing.T) {
	tr := &Tracker[secretA]{Context: context.Background()}
	tr.Keep(secretA{"kept"})
	var ctx context.Context = tr
	if got, ok := From[secretA](ctx); !ok || got != tr {
		t.Fatalf("From[secretA]: got %v, %v", got, ok)
	}
	if v, ok := tr.Kept(); !ok || v.v != "kept" {
		t.Errorf("Kept: got %v, %v", v, ok)
	}
	if _, ok := From[secretB](ctx); ok {
		t.Error("From[secretB] found a Tracker[secretA]")
	}
	if _, ok := From[secretA](context.Background()); ok {
		t.Error("From found a Tracker in a context without one")
	}
	if _, ok := (&Tracker[secretA]{}).Kept(); ok {
		t.Error("a new Tracker reports a kept value")
	}
}

// Handler gives the request, through the Tracker alone, chi's routing
// context (path parameters, the pattern the metrics count by) and the
// request id that log lines and calls to auth-api carry, for every request
// of the pool's reuse.
func TestHandlerAnswersRouteAndRequestID(t *testing.T) {
	mux := chi.NewRouter()
	mux.Get("/users/{name}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := requestid.FromContext(r.Context())
		_, tracked := From[secretA](r.Context())
		fmt.Fprintf(w, "%s %s %s %v", chi.URLParam(r, "name"), r.PathValue("name"), id, tracked)
	})
	m, err := metrics.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	h := Handler[secretA](slog.New(slog.DiscardHandler), m, nil, mux)
	for _, tt := range []struct{ path, id, want string }{
		{"/users/ann", "req-1", "ann ann req-1 true"},
		{"/users/bob", "req-2", "bob bob req-2 true"},
		{"/users/ann", "", "ann ann "},
	} {
		r := httptest.NewRequest(http.MethodGet, tt.path, nil)
		if tt.id != "" {
			r.Header.Set(requestid.Header, tt.id)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got, echoed := w.Body.String(), w.Header().Get(requestid.Header)
		if tt.id == "" {
			if !requestid.Valid(echoed) || got != "ann ann "+echoed+" true" {
				t.Errorf("%s without an id: body %q, X-Request-Id %q", tt.path, got, echoed)
			}
			continue
		}
		if got != tt.want || echoed != tt.id {
			t.Errorf("%s: body %q, X-Request-Id %q; want %q, %q", tt.path, got, echoed, tt.want, tt.id)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/nowhere", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("unknown path: %d, want 404", w.Code)
	}
	w = httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if body := w.Body.String(); !strings.Contains(body, `route="/users/{name}"`) || strings.Contains(body, "/users/ann") {
		t.Errorf("requests are not counted by their route pattern:\n%s", body)
	}
}
