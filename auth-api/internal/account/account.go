// Package account is the auth-api domain: the rules for user accounts
// (which usernames, passwords and roles are acceptable), password hashing
// and checking, refresh-token sessions with rotation and reuse detection,
// the bootstrap admin and the cleanup of expired tokens. Storage is behind
// the Store interface defined here; internal/store implements it. bcrypt is
// used here and nowhere else.
package account

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Roles a user can have.
const (
	RoleAdmin = "admin"
	RoleUser  = "user"
)

// Limits of the account rules.
const (
	MaxUsernameLen    = 64
	MinPasswordChars  = 8
	MaxPasswordBytes  = 72 // bcrypt ignores everything after 72 bytes
	MinBcryptCost     = 10 // the lowest cost the configuration accepts
	DefaultBcryptCost = 12
)

// ErrInvalid marks an input that breaks an account rule; the error text says
// what to fix.
var ErrInvalid = errors.New("invalid")

type ruleError struct{ msg string }

func (e *ruleError) Error() string { return e.msg }
func (e *ruleError) Is(target error) bool {
	return target == ErrInvalid
}

func invalid(format string, args ...any) error {
	return &ruleError{msg: fmt.Sprintf(format, args...)}
}

// ValidateUsername checks the username rule: 1–64 characters, each a letter
// (A–Z, a–z), a digit, or one of . _ - @.
func ValidateUsername(name string) error {
	if name == "" {
		return invalid("username is required")
	}
	if len(name) > MaxUsernameLen {
		return invalid("username is too long (%d characters, at most %d)", utf8.RuneCountInString(name), MaxUsernameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-', c == '@':
		default:
			return invalid("username may contain only letters, digits, '.', '_', '-' and '@'")
		}
	}
	return nil
}

// ValidatePassword checks the password rule for a new password, after NIST
// SP 800-63B: at least 8 characters and at most 72 bytes (bcrypt's limit;
// longer passwords are refused, never silently truncated), no control
// characters (NUL, newlines, escapes: they cannot be typed in a login form
// and bcrypt stops at NUL), and not common or trivially guessable (see
// guessable). There are no composition rules.
func ValidatePassword(password string) error {
	if password == "" {
		return invalid("password is required")
	}
	if !utf8.ValidString(password) {
		return invalid("password must be valid UTF-8 text")
	}
	if hasControl(password) {
		return invalid("password must not contain control characters (such as NUL, tab or newline)")
	}
	if n := utf8.RuneCountInString(password); n < MinPasswordChars {
		return invalid("password is too short (%d characters, at least %d)", n, MinPasswordChars)
	}
	if len(password) > MaxPasswordBytes {
		return invalid("password is too long (%d bytes, at most %d: bcrypt's limit)", len(password), MaxPasswordBytes)
	}
	if guessable(password) {
		return invalid("password is too common or too easy to guess (it is on leaked-password lists, or a simple pattern or repetition); choose a longer, less predictable one, such as a few unrelated words")
	}
	return nil
}

// hasControl reports whether s holds a control character (Unicode Cc:
// C0, DEL and C1).
func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// ValidateRole checks that role is one of the known roles.
func ValidateRole(role string) error {
	switch role {
	case RoleAdmin, RoleUser:
		return nil
	case "":
		return invalid("role is required (admin or user)")
	}
	return invalid("role must be admin or user")
}
