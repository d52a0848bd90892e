// Package observe is the outermost handler of web-frontend: every request
// gets its id, one log line and its metrics, through a Tracker that
// follows it to the end. The Tracker also carries what the handlers learn
// on the way: who made the request, and one value of the server's own
// type (its authentication), which only that type's owner can read.
package observe

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jwt-micro-system/shared/requestid"
	"github.com/jwt-micro-system/web-frontend/internal/clientip"
	"github.com/jwt-micro-system/web-frontend/internal/metrics"
)

// Tracker follows one request through Middleware: it wraps the
// ResponseWriter to learn the status, the handlers tell it who made the
// request (SetUser), and it keeps one value of type T for the handlers
// (Keep, Kept). T is meant to be an unexported type of the caller, so no
// other package can read or forge the value: From needs T to find the
// Tracker. One allocation per request carries all of it.
//
// It is also the request's context: it embeds the parent context and
// answers Value for its own key, for the request id (requestid.FromContext)
// and for chi's routing context, which saves the request two
// context.WithValue and the copy of the request chi would otherwise make.
type Tracker[T any] struct {
	http.ResponseWriter
	context.Context
	route  *chi.Context
	status int
	user   string
	kept   bool
	value  T
	id     [1]string // the X-Request-Id value, without a slice of its own
}

type key[T any] struct{}

// Value answers the Tracker's own key with the Tracker, chi's
// RouteCtxKey with the request's routing context and requestid's key with
// the id; every other key goes to the parent context.
func (t *Tracker[T]) Value(k any) any {
	switch {
	case k == chi.RouteCtxKey:
		if t.route != nil {
			return t.route
		}
	case k == (key[T]{}):
		return t
	case requestid.IsKey(k):
		return t.id[0]
	}
	return t.Context.Value(k)
}

// From returns the Tracker of type T that Middleware put in ctx.
func From[T any](ctx context.Context) (*Tracker[T], bool) {
	t, ok := ctx.Value(key[T]{}).(*Tracker[T])
	return t, ok && t != nil
}

// SetUser names who made the request, for its log line.
func (t *Tracker[T]) SetUser(user string) { t.user = user }

// Keep keeps v for the handlers further down the chain.
func (t *Tracker[T]) Keep(v T) { t.value, t.kept = v, true }

// Kept returns the value Keep kept, if any.
func (t *Tracker[T]) Kept() (*T, bool) { return &t.value, t.kept }

// WriteHeader records the first final status; 1xx informational answers
// (103 Early Hints) may come before it.
func (t *Tracker[T]) WriteHeader(code int) {
	if t.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		t.status = code
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *Tracker[T]) Write(b []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	return t.ResponseWriter.Write(b)
}

// Flush keeps http.Flusher working through the wrapper.
func (t *Tracker[T]) Flush() {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	_ = http.NewResponseController(t.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the wrapped writer.
func (t *Tracker[T]) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// Handler serves mux behind the Tracker: it gives the request its id (the
// client's X-Request-Id when requestid.Valid, else a new one; echoed, and
// in the context for every log line), then logs one line per request and
// counts it, by route pattern (never by raw path, so hostile URLs cannot
// blow up the metric labels). The path is logged, never the query or any
// header, so tokens stay out of the logs. When the log level leaves a
// request out, logging it costs a level check and allocates nothing.
//
// It wraps mux rather than running as one of its middlewares so that chi
// finds its routing context already in the request's context (the
// Tracker, from a pool as chi's own come) and serves the request as it
// serves a mounted router's, without a copy of the request of its own.
func Handler[T any](log *slog.Logger, m *metrics.Metrics, trusted []netip.Prefix, mux *chi.Mux) http.Handler {
	routes := sync.Pool{New: func() any { return chi.NewRouteContext() }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestid.Of(r)
		rctx := routes.Get().(*chi.Context)
		rctx.Reset()
		rctx.Routes = mux
		defer routes.Put(rctx)
		t := &Tracker[T]{ResponseWriter: w, Context: r.Context(), route: rctx, id: [1]string{id}}
		w.Header()[requestid.Header] = t.id[:] // canonical already
		r = r.WithContext(t)
		mux.ServeHTTP(t, r)
		status := t.status
		if status == 0 {
			status = http.StatusOK
		}
		elapsed := time.Since(start)
		route := m.ObserveRequest(r.Method, rctx, status, elapsed)
		if route == "/healthz" || route == "/metrics" {
			return // probes and scrapes would drown the log
		}
		// Successful reads are the bulk of the traffic and say little:
		// they are logged at debug, as auth-api does, which keeps the log
		// (and its cost) off the hot path. Errors and state changes stay
		// at info.
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case status < 400 && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			level = slog.LevelDebug
		}
		if !log.Enabled(r.Context(), level) {
			return
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("client_ip", clientip.Of(r, trusted)),
		}
		if t.user != "" {
			attrs = append(attrs, slog.String("user", t.user))
		}
		log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}
