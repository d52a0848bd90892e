package requestid

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"abc", true},
		{"A-b_c.9", true},
		{strings.Repeat("x", 64), true},
		{"", false},
		{strings.Repeat("x", 65), false},
		{"a b", false},
		{"a\nb", false},
		{"a/b", false},
		{"ünï", false},
		{`"quoted"`, false},
	}
	for _, tt := range tests {
		if got := Valid(tt.id); got != tt.want {
			t.Errorf("Valid(%q): got %v, want %v", tt.id, got, tt.want)
		}
	}
	if id := New(); !Valid(id) || len(id) != 16 || New() == id {
		t.Errorf("New() = %q: want 16 fresh valid characters", id)
	}
}

func TestMiddlewareAndLogHandler(t *testing.T) {
	var buf bytes.Buffer
	// Wrapped twice, as main and NewServer both do: one request_id.
	log := slog.New(LogHandler(slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("svc", "test").Handler()))
	h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "inside")
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(Header, "abc-123")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if got := w.Header().Get(Header); got != "abc-123" {
		t.Errorf("echoed %q, want abc-123", got)
	}
	if n := strings.Count(buf.String(), `"`+LogKey+`"`); n != 1 {
		t.Errorf("got %d request_id attributes, want 1: %s", n, buf.String())
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line[LogKey] != "abc-123" || line["svc"] != "test" {
		t.Errorf("got log line %v, want request_id abc-123 and svc test", line)
	}

	buf.Reset()
	log.InfoContext(context.Background(), "outside")
	if strings.Contains(buf.String(), LogKey) {
		t.Errorf("a line without a request carries a request_id: %s", buf.String())
	}
	if _, ok := FromContext(context.Background()); ok {
		t.Error("FromContext found an id in an empty context")
	}
}

// answering is a context of a caller's own that answers the id's key.
type answering struct {
	context.Context
	id string
}

func (a answering) Value(k any) any {
	if IsKey(k) {
		return a.id
	}
	return a.Context.Value(k)
}

func TestIsKey(t *testing.T) {
	if id, ok := FromContext(answering{context.Background(), "abc"}); !ok || id != "abc" {
		t.Errorf("FromContext of a context answering the key: %q, %v", id, ok)
	}
	for _, k := range []any{nil, "request_id", struct{}{}, LogKey} {
		if IsKey(k) {
			t.Errorf("IsKey(%#v) = true", k)
		}
	}
}
