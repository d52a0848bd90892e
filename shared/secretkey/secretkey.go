// Package secretkey owns SECRET_KEY, the one secret both services share:
// the policy a secret must meet, the public key id that lets two services
// compare keys without revealing them, the current and previous key of a
// rotation, and the HKDF derivation of independent keys for other purposes
// (such as web-frontend's cookie encryption key).
//
// Access tokens are signed with the secret itself (see package jwtauth), so
// any standard JWT library can check them; every other use derives its own
// key with Derive, so the token key never serves a second purpose.
package secretkey

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// The environment variables that hold the keys.
const (
	EnvCurrent  = "SECRET_KEY"
	EnvPrevious = "SECRET_KEY_PREVIOUS"
)

// MinLen is the shortest secret accepted, in bytes: 256 bits, the size of
// the HS256 hash.
const MinLen = 32

// Hint tells people how to produce a good secret. Error messages about a
// secret end with it.
const Hint = "generate one with: openssl rand -base64 48"

// ExamplePlaceholder is the SECRET_KEY value that .env.example ships. It is
// long enough to pass the length check, so it is refused by name.
const ExamplePlaceholder = "CHANGE_ME_generate_with_openssl_rand_base64_48"

// isPlaceholder reports whether secret is a value people copy from
// documentation: the seeds' examples, .env.example, and the usual
// "change me" markers.
func isPlaceholder(secret string) bool {
	switch secret {
	case "your-very-secret", "your-very-secret-key", "supersecret",
		"your_flask_secret", "secret", "changeme", ExamplePlaceholder:
		return true
	}
	lower := strings.ToLower(secret)
	for _, marker := range []string{"change_me", "change-me", "changeme", "replace_me", "replace-me", "your-very-secret"} {
		if strings.Contains(lower, marker) {
			return true
		}
	}
	return false
}

// Check applies the secret policy to the value of the environment variable
// name: at least MinLen bytes, not a known placeholder and not a trivially
// repetitive string. The error names the variable and the fix, and never
// repeats the secret.
func Check(name, secret string) error {
	switch {
	case secret == "":
		return fmt.Errorf("%s is not set; %s", name, Hint)
	case isPlaceholder(secret):
		return fmt.Errorf("%s is a published placeholder value and would let anyone forge tokens; %s", name, Hint)
	case len(secret) < MinLen:
		return fmt.Errorf("%s is too short (%d bytes, need at least %d); %s", name, len(secret), MinLen, Hint)
	case distinctBytes(secret) < 8:
		return fmt.Errorf("%s is too repetitive to be random; %s", name, Hint)
	}
	return nil
}

func distinctBytes(s string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			n++
		}
	}
	return n
}

// KeyID derives the public key id of secret with a one-way function, so that
// two services can compare their keys without revealing them. It is the
// first 96 bits of HMAC-SHA256(secret, "jwt-micro-system/kid/v1"),
// base64url-encoded (16 characters).
func KeyID(secret []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("jwt-micro-system/kid/v1"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:12])
}

// Derive derives a size-byte key for purpose from secret with HKDF-SHA256
// (RFC 5869). The purpose is the HKDF info label, for example
// "web-frontend/session-cookie/v1"; it must not be empty, and distinct
// purposes give independent keys.
func Derive(secret []byte, purpose string, size int) ([]byte, error) {
	if purpose == "" {
		return nil, errors.New("secretkey: Derive needs a purpose label")
	}
	if len(secret) == 0 {
		return nil, errors.New("secretkey: Derive needs a secret")
	}
	return hkdf.Key(sha256.New, secret, []byte("jwt-micro-system"), purpose, size)
}

// Key is one secret that passed the policy, with its key id. The zero Key
// holds no secret.
type Key struct {
	id     string
	secret []byte
}

// NewKey checks secret against the secret policy (see Check; name is the
// environment variable it came from) and returns it as a Key.
func NewKey(name, secret string) (Key, error) {
	if err := Check(name, secret); err != nil {
		return Key{}, err
	}
	return Key{id: KeyID([]byte(secret)), secret: []byte(secret)}, nil
}

// ID returns the key id, which is safe to publish and to log.
func (k Key) ID() string { return k.id }

// Secret returns a copy of the secret itself, for signing and verifying
// HS256 tokens. Every other purpose must use Derive instead.
func (k Key) Secret() []byte { return append([]byte(nil), k.secret...) }

// Derive returns a size-byte key for purpose derived from this key (see the
// package function Derive).
func (k Key) Derive(purpose string, size int) ([]byte, error) {
	return Derive(k.secret, purpose, size)
}

// Keys is the set of keys a service holds: the current key, used to sign and
// verify, and optionally the previous key, used only to verify during a key
// rotation. It never changes once built and is safe for concurrent use.
type Keys struct {
	current  Key
	previous Key // zero when not rotating
}

// NewKeys builds the key set from the values of SECRET_KEY and
// SECRET_KEY_PREVIOUS (empty when not rotating). Both must satisfy the
// secret policy, and they must differ.
func NewKeys(current, previous string) (*Keys, error) {
	cur, err := NewKey(EnvCurrent, current)
	if err != nil {
		return nil, err
	}
	ks := &Keys{current: cur}
	if previous != "" {
		prev, err := NewKey(EnvPrevious, previous)
		if err != nil {
			return nil, err
		}
		if prev.id == cur.id {
			return nil, errors.New(EnvPrevious + " equals " + EnvCurrent + "; set it to the old key during a rotation, or leave it empty")
		}
		ks.previous = prev
	}
	return ks, nil
}

// Current returns the signing key.
func (ks *Keys) Current() Key { return ks.current }

// Previous returns the previous key and whether one is configured.
func (ks *Keys) Previous() (Key, bool) { return ks.previous, ks.previous.id != "" }

// All returns the current key, then the previous one when configured: the
// keys a token or cookie may be verified with, in the order to try them.
func (ks *Keys) All() []Key {
	if prev, ok := ks.Previous(); ok {
		return []Key{ks.current, prev}
	}
	return []Key{ks.current}
}

// Lookup returns the key whose id is kid, if it is one of ours.
func (ks *Keys) Lookup(kid string) (Key, bool) {
	for _, k := range ks.All() {
		if kid != "" && kid == k.id {
			return k, true
		}
	}
	return Key{}, false
}

// Derive returns a size-byte key for purpose, derived from the current
// secret with HKDF-SHA256.
func (ks *Keys) Derive(purpose string, size int) ([]byte, error) {
	return ks.current.Derive(purpose, size)
}

// DerivePrevious is Derive for the previous key; ok is false when there is
// none.
func (ks *Keys) DerivePrevious(purpose string, size int) (key []byte, ok bool, err error) {
	prev, ok := ks.Previous()
	if !ok {
		return nil, false, nil
	}
	key, err = prev.Derive(purpose, size)
	return key, err == nil, err
}
