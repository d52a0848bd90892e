// Package decode reads auth-api's request bodies strictly: one JSON object
// or one form, refusing what encoding/json and net/url would let through
// (duplicate or wrongly-cased keys, trailing data, repeated parameters,
// invalid UTF-8), each fault with a status and a message that says what to
// fix. It also reads the login body, as JSON or as a form.
package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jwt-micro-system/auth-api/internal/account"
)

// Error is a request body refused: the status, a stable code and a message
// for people. The server answers it as it stands.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func badRequest(code, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: msg}
}

// JSON reads one JSON object from body into dst. Every way a body can
// be wrong gets its own status and a message that says what to fix: not
// JSON (415), too large (413), empty, malformed, wrong types, unknown,
// duplicate or wrongly-cased fields, or trailing data (400).
func JSON(contentType string, body io.Reader, dst any) *Error {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "send a JSON body with Content-Type: application/json"}
	}
	raw, err := io.ReadAll(body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return TooLarge(tooLarge.Limit)
	}
	if err != nil {
		return badRequest("invalid_body", "could not read the request body")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return badRequest("empty_body", "the request body is empty; send a JSON object")
	}
	if aerr := checkKeys(raw, dst); aerr != nil {
		return aerr
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("invalid_json", "the body must hold exactly one JSON object, with nothing after it")
	}
	return nil
}

// checkKeys refuses what encoding/json would merge silently: a key that
// appears twice in one object, also in another case (the last one would
// win, so {"role":"user","ROLE":"admin"} made an admin), and a key that
// names a field of dst only case-insensitively. It reads raw as a token
// stream; syntax errors are left to the decoder, which explains them.
func checkKeys(raw []byte, dst any) *Error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	// One set of keys per open object; nil for an open array.
	var stack [][]string
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, []string{})
				expectKey = true
				continue
			case '[':
				stack = append(stack, nil)
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
		case string:
			if expectKey {
				keys := stack[len(stack)-1]
				for _, k := range keys {
					if strings.EqualFold(k, t) {
						return badRequest("duplicate_field", fmt.Sprintf("field %q appears more than once (names are compared regardless of case); send each field once", t))
					}
				}
				if len(stack) == 1 {
					if field, ok := caseVariant(dst, t); ok {
						return badRequest("unknown_field", fmt.Sprintf("unknown field %q; did you mean %q? Field names are case-sensitive", t, field))
					}
				}
				stack[len(stack)-1] = append(keys, t)
				expectKey = false
				continue
			}
		}
		// After a value inside an object, the next token is a key.
		expectKey = len(stack) > 0 && stack[len(stack)-1] != nil
	}
}

// caseVariant reports the json field name of the struct dst points to that
// key matches only case-insensitively.
func caseVariant(dst any, key string) (string, bool) {
	t := reflect.TypeOf(dst)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return "", false
	}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			name = t.Field(i).Name
		}
		if name == key {
			return "", false
		}
		if strings.EqualFold(name, key) {
			return name, true
		}
	}
	return "", false
}

// TooLarge is the answer to a body over limit bytes.
func TooLarge(limit int64) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
		Message: fmt.Sprintf("the request body is larger than %d bytes", limit)}
}

func jsonError(err error) *Error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return badRequest("invalid_json", fmt.Sprintf("the body is not valid JSON (error at byte %d)", syntax.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("invalid_json", "the body is not valid JSON (it ends too early)")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("invalid_json", "the body must be a JSON object")
		}
		return badRequest("invalid_field", fmt.Sprintf("field %q must be a %s, not a JSON %s", typ.Field, typ.Type.Kind(), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequest("unknown_field", fmt.Sprintf("unknown field %s; see /openapi.yaml", strings.TrimPrefix(err.Error(), "json: unknown field ")))
	}
	return badRequest("invalid_json", "the body is not valid JSON")
}

// FormType is the media type of HTML forms, of OAuth 2.0 token requests
// (RFC 6749 §4.3.2) and of FastAPI's OAuth2PasswordRequestForm.
const FormType = "application/x-www-form-urlencoded"

// IsForm reports whether contentType names a form body, whatever its
// parameters; Form judges those.
func IsForm(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == FormType
}

// Form reads an application/x-www-form-urlencoded body as strictly as
// JSON reads JSON: a different media type or charset (415), too large
// (413), malformed escapes, ';' separators, invalid UTF-8 or a key given
// more than once (400 invalid_request; RFC 6749 §3.2 forbids repeating a
// parameter, and picking one of two values would be a guess). A parameter
// with an empty value is left out, as RFC 6749 §3.2 says to treat it.
func Form(contentType string, body io.Reader) (map[string]string, *Error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != FormType {
		return nil, &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "send the parameters as a form, with Content-Type: " + FormType}
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return nil, &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
				Message: fmt.Sprintf("unsupported media type parameter %s=%q; send UTF-8 (charset=utf-8 or none)", k, v)}
		}
	}
	raw, err := io.ReadAll(body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, TooLarge(tooLarge.Limit)
	}
	if err != nil {
		return nil, badRequest("invalid_body", "could not read the request body")
	}
	values, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, badRequest("invalid_request", "the form body is malformed (bad %-escape or a ';' separator); encode it as application/x-www-form-urlencoded")
	}
	form := make(map[string]string, len(values))
	// In order, so that a body with several faults always gets one answer.
	for _, k := range slices.Sorted(maps.Keys(values)) {
		vs := values[k]
		if !utf8.ValidString(k) || slices.ContainsFunc(vs, func(v string) bool { return !utf8.ValidString(v) }) {
			return nil, badRequest("invalid_request", "the form holds invalid UTF-8")
		}
		if len(vs) > 1 {
			return nil, badRequest("invalid_request", fmt.Sprintf("parameter %q is given %d times; send each parameter once", k, len(vs)))
		}
		if vs[0] != "" {
			form[k] = vs[0]
		}
	}
	return form, nil
}

// Login is the body of POST /login. user_id is the seed's name for
// username; a role is accepted and ignored (roles come from the store).
type Login struct {
	Username string          `json:"username"`
	UserID   string          `json:"user_id"`
	Password string          `json:"password"`
	Role     json.RawMessage `json:"role"`
}

// LoginBody decodes and checks a login body. A password that no account
// could have (empty, or over bcrypt's 72 bytes) is refused here; anything
// else is for the password check to judge.
func LoginBody(contentType string, body io.Reader) (username, password string, _ *Error) {
	var req Login
	if IsForm(contentType) {
		if err := loginForm(contentType, body, &req); err != nil {
			return "", "", err
		}
		return req.Credentials()
	}
	if err := JSON(contentType, body, &req); err != nil {
		if err.Status == http.StatusUnsupportedMediaType {
			err.Message = "send a JSON body with Content-Type: application/json, or a form with Content-Type: " + FormType
		}
		return "", "", err
	}
	return req.Credentials()
}

// Credentials checks a decoded login: one username (or the seed's user_id)
// that keeps the username rule, and a password some account could have.
func (req Login) Credentials() (username, password string, _ *Error) {
	username = req.Username
	switch {
	case username == "":
		username = req.UserID
	case req.UserID != "" && req.UserID != username:
		return "", "", badRequest("invalid_request", "username and user_id differ; send only one of them")
	}
	if err := account.ValidateUsername(username); err != nil {
		return "", "", badRequest("invalid_request", err.Error())
	}
	switch {
	case req.Password == "":
		return "", "", badRequest("invalid_request", "password is required")
	case len(req.Password) > account.MaxPasswordBytes:
		return "", "", badRequest("invalid_request", fmt.Sprintf("password is too long (%d bytes, at most %d: bcrypt's limit)", len(req.Password), account.MaxPasswordBytes))
	}
	return username, req.Password, nil
}

// isLoginFormField reports whether a form login may carry the field: those
// of the JSON body and those FastAPI's OAuth2PasswordRequestForm sends.
func isLoginFormField(k string) bool {
	switch k {
	case "username", "user_id", "password", "role", "grant_type", "scope", "client_id", "client_secret":
		return true
	}
	return false
}

// loginForm reads a form login into req. Unknown fields are refused,
// as in the JSON body. grant_type, when sent, must be "password"; scope and
// client_id are accepted and ignored; a client_secret is refused, since
// there are no client secrets to check it against.
func loginForm(contentType string, body io.Reader, req *Login) *Error {
	form, aerr := Form(contentType, body)
	if aerr != nil {
		return aerr
	}
	for _, k := range slices.Sorted(maps.Keys(form)) {
		if !isLoginFormField(k) {
			return badRequest("unknown_field", fmt.Sprintf("unknown field %q; see /openapi.yaml", k))
		}
	}
	if gt, ok := form["grant_type"]; ok && gt != "password" {
		return badRequest("invalid_request", fmt.Sprintf("grant_type must be password here, not %q; other grants are at /token", gt))
	}
	if _, ok := form["client_secret"]; ok {
		return badRequest("invalid_request", "auth-api has no client secrets; send no client_secret")
	}
	req.Username, req.UserID, req.Password = form["username"], form["user_id"], form["password"]
	return nil
}
