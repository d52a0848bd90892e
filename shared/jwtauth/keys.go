package jwtauth

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// MinSecretLen is the shortest SECRET_KEY accepted, in bytes: 256 bits,
// the size of the HS256 hash.
const MinSecretLen = 32

// SecretHint tells people how to produce a good secret. Error messages about
// SECRET_KEY end with it.
const SecretHint = "generate one with: openssl rand -base64 48"

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

// CheckSecret applies the secret policy to the value of the environment
// variable name: at least MinSecretLen bytes, not a known placeholder and not
// a trivially repetitive string. The error names the variable and the fix.
func CheckSecret(name, secret string) error {
	switch {
	case secret == "":
		return fmt.Errorf("%s is not set; %s", name, SecretHint)
	case isPlaceholder(secret):
		return fmt.Errorf("%s is a published placeholder value and would let anyone forge tokens; %s", name, SecretHint)
	case len(secret) < MinSecretLen:
		return fmt.Errorf("%s is too short (%d bytes, need at least %d); %s", name, len(secret), MinSecretLen, SecretHint)
	case distinctBytes(secret) < 8:
		return fmt.Errorf("%s is too repetitive to be random; %s", name, SecretHint)
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

// Key is one HMAC signing key with its key id.
type Key struct {
	id     string
	secret []byte
}

// NewKey checks secret against the secret policy (see CheckSecret; name is
// the environment variable it came from) and returns it as a Key.
func NewKey(name, secret string) (Key, error) {
	if err := CheckSecret(name, secret); err != nil {
		return Key{}, err
	}
	return Key{id: KeyID([]byte(secret)), secret: []byte(secret)}, nil
}

// ID returns the key id, which is safe to publish.
func (k Key) ID() string { return k.id }

// KeyID derives the public key id of secret with a one-way function, so that
// two services can compare their keys without revealing them. It is the
// first 96 bits of HMAC-SHA256(secret, "jwt-micro-system/kid/v1"),
// base64url-encoded (16 characters).
func KeyID(secret []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("jwt-micro-system/kid/v1"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:12])
}

// Keys is the set of keys a service holds: the current key, used to sign and
// verify, and optionally the previous key, used only to verify during a key
// rotation.
type Keys struct {
	current  Key
	previous *Key
}

// NewKeys builds the key set from the values of SECRET_KEY and
// SECRET_KEY_PREVIOUS (empty when not rotating). Both must satisfy the
// secret policy, and they must differ.
func NewKeys(current, previous string) (*Keys, error) {
	cur, err := NewKey("SECRET_KEY", current)
	if err != nil {
		return nil, err
	}
	ks := &Keys{current: cur}
	if previous != "" {
		prev, err := NewKey("SECRET_KEY_PREVIOUS", previous)
		if err != nil {
			return nil, err
		}
		if prev.id == cur.id {
			return nil, errors.New("SECRET_KEY_PREVIOUS equals SECRET_KEY; set it to the old key during a rotation, or leave it empty")
		}
		ks.previous = &prev
	}
	return ks, nil
}

// Current returns the signing key.
func (ks *Keys) Current() Key { return ks.current }

// Previous returns the previous key and whether one is configured.
func (ks *Keys) Previous() (Key, bool) {
	if ks.previous == nil {
		return Key{}, false
	}
	return *ks.previous, true
}

// lookup returns the key with the given id.
func (ks *Keys) lookup(kid string) (Key, bool) {
	if kid == ks.current.id {
		return ks.current, true
	}
	if ks.previous != nil && kid == ks.previous.id {
		return *ks.previous, true
	}
	return Key{}, false
}

// Derive returns a size-byte key for purpose, derived from the current
// secret with HKDF-SHA256. Distinct purposes give independent keys, so the
// JWT key never serves a second purpose (such as encrypting cookies).
func (ks *Keys) Derive(purpose string, size int) ([]byte, error) {
	return DeriveKey(ks.current.secret, purpose, size)
}

// DerivePrevious is Derive for the previous key; ok is false when there is
// none.
func (ks *Keys) DerivePrevious(purpose string, size int) (key []byte, ok bool, err error) {
	if ks.previous == nil {
		return nil, false, nil
	}
	key, err = DeriveKey(ks.previous.secret, purpose, size)
	return key, err == nil, err
}

// DeriveKey derives a size-byte key for purpose from secret with
// HKDF-SHA256 (RFC 5869). The purpose is the HKDF info label, for example
// "web-frontend/session-cookie/v1"; it must not be empty.
func DeriveKey(secret []byte, purpose string, size int) ([]byte, error) {
	if purpose == "" {
		return nil, errors.New("jwtauth: DeriveKey needs a purpose label")
	}
	if len(secret) == 0 {
		return nil, errors.New("jwtauth: DeriveKey needs a secret")
	}
	return hkdf.Key(sha256.New, secret, []byte("jwt-micro-system"), purpose, size)
}
