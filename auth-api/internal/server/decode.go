package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/jwt-micro-system/auth-api/internal/account"
)

// decodeJSON reads one JSON object from body into dst. Every way a body can
// be wrong gets its own status and a message that says what to fix: not
// JSON (415), too large (413), empty, malformed, wrong types, unknown fields
// or trailing data (400).
func decodeJSON(contentType string, body io.Reader, dst any) *apiError {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			message: "send a JSON body with Content-Type: application/json"}
	}
	raw, err := io.ReadAll(body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return tooLargeError()
	}
	if err != nil {
		return badRequest("invalid_body", "could not read the request body")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return badRequest("empty_body", "the request body is empty; send a JSON object")
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

func tooLargeError() *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, code: "body_too_large",
		message: fmt.Sprintf("the request body is larger than %d bytes", MaxBodyBytes)}
}

func jsonError(err error) *apiError {
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

// loginRequest is the body of POST /login. user_id is the seed's name for
// username; a role is accepted and ignored (roles come from the store).
type loginRequest struct {
	Username string          `json:"username"`
	UserID   string          `json:"user_id"`
	Password string          `json:"password"`
	Role     json.RawMessage `json:"role"`
}

// decodeLogin decodes and checks a login body. A password that no account
// could have (empty, or over bcrypt's 72 bytes) is refused here; anything
// else is for the password check to judge.
func decodeLogin(contentType string, body io.Reader) (username, password string, _ *apiError) {
	var req loginRequest
	if isForm(contentType) {
		if err := decodeLoginForm(contentType, body, &req); err != nil {
			return "", "", err
		}
		return req.credentials()
	}
	if err := decodeJSON(contentType, body, &req); err != nil {
		if err.status == http.StatusUnsupportedMediaType {
			err.message = "send a JSON body with Content-Type: application/json, or a form with Content-Type: " + formType
		}
		return "", "", err
	}
	return req.credentials()
}

// credentials checks a decoded login: one username (or the seed's user_id)
// that keeps the username rule, and a password some account could have.
func (req loginRequest) credentials() (username, password string, _ *apiError) {
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
