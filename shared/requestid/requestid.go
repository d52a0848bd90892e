// Package requestid gives every request an id that follows it through the
// logs of both services: accepted from an incoming X-Request-Id when it is
// 1-64 characters of [A-Za-z0-9._-], generated otherwise, echoed in the
// response, attached to every log line written with the request's context,
// and sent on to auth-api by web-frontend's authclient. Both services use it.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
)

// Header is the header that carries the id, in and out.
const Header = "X-Request-Id"

// LogKey is the log attribute that carries the id.
const LogKey = "request_id"

// maxLen bounds an accepted id.
const maxLen = 64

// key is the context key of the id; an unexported type, so no other
// package can read or forge it.
type key struct{}

// Valid reports whether id may be taken from a client: 1-64 characters of
// [A-Za-z0-9._-], nothing that could forge a log line or a header.
func Valid(id string) bool {
	if id == "" || len(id) > maxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// New returns a fresh random id (16 hex characters).
func New() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// IsKey reports whether k is the context key of the id. A context type of
// a caller's own that already follows the request (web-frontend's request
// tracker) answers it with the id as a string, which FromContext then
// finds, and saves the request a NewContext.
func IsKey(k any) bool {
	_, ok := k.(key)
	return ok
}

// FromContext returns the id ctx carries, if any.
func FromContext(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(key{}).(string)
	return id, ok && id != ""
}

// Of returns the id of r: its X-Request-Id when Valid, a new one
// otherwise.
func Of(r *http.Request) string {
	if id := r.Header.Get(Header); Valid(id) {
		return id
	}
	return New()
}

// Middleware gives every request its id (Of). The id is echoed as
// X-Request-Id and put in the request's context. (web-frontend's own
// server does the same inside its observe middleware, which saves a
// context of its own.)
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := Of(r)
		w.Header()[Header] = []string{id} // Header is canonical
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), id)))
	})
}

// LogHandler wraps h so that every record logged with a context that
// carries a request id (InfoContext, LogAttrs…) gets a request_id
// attribute. Code that logs needs nothing but the request's context.
// Wrapping twice is harmless: a handler already wrapped is returned as is.
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(logHandler); ok {
		return h
	}
	return logHandler{h}
}

type logHandler struct{ slog.Handler }

func (l logHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id, ok := FromContext(ctx); ok {
		rec = rec.Clone()
		rec.AddAttrs(slog.String(LogKey, id))
	}
	return l.Handler.Handle(ctx, rec)
}

func (l logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(attrs)}
}

func (l logHandler) WithGroup(name string) slog.Handler {
	return logHandler{l.Handler.WithGroup(name)}
}
