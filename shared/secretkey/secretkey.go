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
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/ccojocar/zxcvbn-go"
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

// MinEntropyBits is the least estimated entropy a secret must have: the
// 128 bits of security HS256 is meant to give. A secret from
// openssl rand -base64 48 estimates at well over 300 bits.
const MinEntropyBits = 128

// estimateWindow bounds the text the estimator looks at: its matching is
// superlinear in the length (a 400-byte secret takes seconds), and 64
// random base64 characters already estimate at about 370 bits. A longer
// secret is judged by its first estimateWindow bytes.
const estimateWindow = 64

// isPublished reports whether lower (a lower-cased secret) is one that
// documentation, tutorials or our own seeds print: anyone can forge tokens
// signed with it. Some look random (the hex keys of the Spring Boot JWT
// tutorials), so the entropy estimate alone would not catch them.
func isPublished(lower string) bool {
	switch lower {
	case
		// jwt.io's debugger, current and older defaults.
		"a-string-secret-at-least-256-bits-long",
		"your-256-bit-secret", "your-384-bit-secret", "your-512-bit-secret",
		// Spring Boot / Java JWT tutorials (hex keys copied into many apps).
		"404e635266556a586e3272357538782f413f4428472b4b6250645367566b5970",
		"5367566b59703373367639792f423f4528482b4d6251655468576d5a71347437",
		// Common examples of "a 32-byte key".
		"0123456789abcdef0123456789abcdef",
		"secret_key_secret_key_secret_key",
		"supersecretkeysupersecretkeysupersecretkey",
		"thisisasecretkeythisisasecretkey",
		// The seeds this project started from, and .env.example.
		"your-very-secret", "your-very-secret-key", "supersecret", "your_flask_secret",
		"secret", "changeme", "keyboard cat", "change_me_generate_with_openssl_rand_base64_48":
		return true
	}
	return false
}

// isPlaceholder reports whether secret is a value people copy from
// documentation: the published examples and the usual "change me" markers.
func isPlaceholder(secret string) bool {
	lower := strings.ToLower(strings.TrimSpace(secret))
	if isPublished(lower) {
		return true
	}
	for _, marker := range []string{"change_me", "change-me", "changeme", "replace_me", "replace-me", "your-very-secret"} {
		if strings.Contains(lower, marker) {
			return true
		}
	}
	return false
}

// Check applies the secret policy to the value of the environment variable
// name: not a published example, at least MinLen bytes, and random: its
// estimated entropy (zxcvbn, which finds words, sequences, repetition and
// keyboard patterns) is at least MinEntropyBits, and so is that of the
// text it encodes when it is base64 or hex of printable text. The error
// names the variable and the fix, and never repeats the secret.
func Check(name, secret string) error {
	switch {
	case secret == "":
		return fmt.Errorf("%s is not set; %s", name, Hint)
	case isPlaceholder(secret):
		return fmt.Errorf("%s is a published example value and would let anyone forge tokens; %s", name, Hint)
	case len(secret) < MinLen:
		return fmt.Errorf("%s is too short (%d bytes, need at least %d); %s", name, len(secret), MinLen, Hint)
	}
	if bits := EstimateBits(secret); bits < MinEntropyBits {
		return fmt.Errorf("%s is not random enough (about %d bits estimated, need %d: it looks like words, a pattern or a repetition); %s",
			name, int(bits), MinEntropyBits, Hint)
	}
	return nil
}

// EstimateBits estimates the entropy of secret in bits: the zxcvbn
// estimate of its first 64 bytes, or of the printable text it decodes to
// (base64 or hex) when that is lower, so an encoded phrase is judged as
// the phrase.
func EstimateBits(secret string) float64 {
	bits := estimate(secret)
	for _, text := range decodedTexts(secret) {
		if isPlaceholder(text) {
			return 0
		}
		bits = min(bits, estimate(text))
	}
	return bits
}

func estimate(s string) float64 {
	if len(s) > estimateWindow {
		s = s[:estimateWindow]
	}
	// Words a person might build a secret from here count as dictionary
	// words.
	domain := []string{"jwt", "secret", "key", "token", "auth", "api", "micro", "system", "signing", "hs256", "hmac", "web", "frontend"}
	return zxcvbn.PasswordStrength(s, domain).Entropy
}

// decodedTexts returns what secret decodes to as hex or base64 (standard
// or URL alphabet, padded or not), keeping only printable ASCII text:
// random bytes are practically never all printable.
func decodedTexts(secret string) []string {
	var out []string
	add := func(b []byte, err error) {
		if err != nil || len(b) == 0 {
			return
		}
		for _, c := range b {
			if c < 0x20 || c > 0x7e {
				return
			}
		}
		out = append(out, string(b))
	}
	add(hex.DecodeString(secret))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		add(enc.DecodeString(secret))
	}
	return out
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
