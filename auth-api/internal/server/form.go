package server

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// formType is the media type of HTML forms, of OAuth 2.0 token requests
// (RFC 6749 §4.3.2) and of FastAPI's OAuth2PasswordRequestForm.
const formType = "application/x-www-form-urlencoded"

// isForm reports whether contentType names a form body, whatever its
// parameters; decodeForm judges those.
func isForm(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == formType
}

// decodeForm reads an application/x-www-form-urlencoded body as strictly as
// decodeJSON reads JSON: a different media type or charset (415), too large
// (413), malformed escapes, ';' separators, invalid UTF-8 or a key given
// more than once (400 invalid_request; RFC 6749 §3.2 forbids repeating a
// parameter, and picking one of two values would be a guess). A parameter
// with an empty value is left out, as RFC 6749 §3.2 says to treat it.
func decodeForm(contentType string, body io.Reader) (map[string]string, *apiError) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != formType {
		return nil, &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			message: "send the parameters as a form, with Content-Type: " + formType}
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return nil, &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
				message: fmt.Sprintf("unsupported media type parameter %s=%q; send UTF-8 (charset=utf-8 or none)", k, v)}
		}
	}
	raw, err := io.ReadAll(body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, tooLargeError()
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

// isLoginFormField reports whether a form login may carry the field: those
// of the JSON body and those FastAPI's OAuth2PasswordRequestForm sends.
func isLoginFormField(k string) bool {
	switch k {
	case "username", "user_id", "password", "role", "grant_type", "scope", "client_id", "client_secret":
		return true
	}
	return false
}

// decodeLoginForm reads a form login into req. Unknown fields are refused,
// as in the JSON body. grant_type, when sent, must be "password"; scope and
// client_id are accepted and ignored; a client_secret is refused, since
// there are no client secrets to check it against.
func decodeLoginForm(contentType string, body io.Reader, req *loginRequest) *apiError {
	form, aerr := decodeForm(contentType, body)
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
