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

// MinTextLen is the shortest SECRET_KEY accepted that is not base64 or hex:
// a plain string carries less than a byte of key material per character,
// so it must be longer than an encoded key of MinLen bytes.
const MinTextLen = 64

// minDistinct is the fewest different byte values the key material may
// hold: 32 random bytes hold about 30, a repeated word or a run far fewer.
const minDistinct = 16

// judgeWindow bounds how much of the key material the variety checks read,
// so a hostile multi-kilobyte value costs no more than a long key.
const judgeWindow = 256

// isPublished reports whether lower (a lower-cased secret) is one that
// documentation, tutorials or our own seeds print: anyone can forge tokens
// signed with it. Some look random (the hex keys of the Spring Boot JWT
// tutorials), so the variety checks alone would not catch them.
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
// name: not a published example, at least MinLen bytes, and made of enough
// key material. A key that is hex or base64 (standard or URL alphabet,
// padded or not) is judged by the bytes it decodes to: at least MinLen of
// them, and not printable text (an encoded phrase is judged as the phrase).
// Any other key is judged as text and must be at least MinTextLen
// characters. Neither may look like words (almost only lower-case letters
// and separators) or be obviously low-variety: few distinct
// values, a repeated block, or a sequence. The checks are a few hundred
// comparisons, with no dictionary in memory. The error names the variable
// and the fix, and never repeats the secret.
func Check(name, secret string) error {
	switch {
	case secret == "":
		return fmt.Errorf("%s is not set; %s", name, Hint)
	case isPlaceholder(secret):
		return fmt.Errorf("%s is a published example value and would let anyone forge tokens; %s", name, Hint)
	case len(secret) < MinLen:
		return fmt.Errorf("%s is too short (%d bytes, need at least %d); %s", name, len(secret), MinLen, Hint)
	}
	if looksLikeWords(secret) {
		return fmt.Errorf("%s is not random enough (it looks like words: almost only lower-case letters and separators); %s", name, Hint)
	}
	material, encoding := keyMaterial(secret)
	if encoding != "" && isText(material) {
		if isPlaceholder(string(material)) {
			return fmt.Errorf("%s is an encoded published example value and would let anyone forge tokens; %s", name, Hint)
		}
		encoding = "" // text in disguise: judged as the text it is
	}
	switch {
	case encoding != "" && len(material) < MinLen:
		return fmt.Errorf("%s is not random enough: it decodes (%s) to %d bytes, need at least %d random bytes; %s",
			name, encoding, len(material), MinLen, Hint)
	case encoding == "" && len(material) < MinTextLen:
		return fmt.Errorf("%s is not random enough: a key that is not hex or base64 of %d random bytes must be a random string of at least %d characters (this one has %d); %s",
			name, MinLen, MinTextLen, len(material), Hint)
	}
	if why := lowVariety(material); why != "" {
		return fmt.Errorf("%s is not random enough (%s); %s", name, why, Hint)
	}
	return nil
}

// keyMaterial returns what secret decodes to as hex, else as base64 (the
// first alphabet that decodes it), with the name of the encoding; or the
// secret itself and "" when it is neither.
func keyMaterial(secret string) ([]byte, string) {
	if b, err := hex.DecodeString(secret); err == nil {
		return b, "hex"
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.Strict().DecodeString(secret); err == nil {
			return b, "base64"
		}
	}
	return []byte(secret), ""
}

// looksLikeWords reports whether nine tenths of secret (its first
// judgeWindow bytes) are lower-case letters and word separators, as in
// "this-is-my-very-long-secret-key-…". Such text may even be valid base64,
// whose decoding looks random. Random base64 is about 40 % lower case.
func looksLikeWords(secret string) bool {
	s := secret[:min(len(secret), judgeWindow)]
	wordy := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' || c == '-' || c == '_' || c == ' ' || c == '.' {
			wordy++
		}
	}
	return 10*wordy >= 9*len(s)
}

// isText reports whether b is all printable ASCII: random bytes
// practically never are.
func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// lowVariety says why key material (its first judgeWindow bytes) is
// obviously not random, or "" when it is not: fewer than minDistinct
// different values, three quarters of it repeating a shorter block
// ("secret_key_secret_key…"), or half of its steps the same (a run or a
// counting sequence).
func lowVariety(b []byte) string {
	b = b[:min(len(b), judgeWindow)]
	var seen [256]bool
	distinct := 0
	for _, c := range b {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
	}
	if distinct < minDistinct {
		return fmt.Sprintf("only %d different characters or byte values, need %d", distinct, minDistinct)
	}
	n := len(b)
	for p := 1; p <= n/2; p++ {
		same := 0
		for i := p; i < n; i++ {
			if b[i] == b[i-p] {
				same++
			}
		}
		if 4*same >= 3*(n-p) {
			return fmt.Sprintf("it repeats a block of %d", p)
		}
	}
	var steps [256]int
	for i := 1; i < n; i++ {
		if steps[b[i]-b[i-1]]++; 2*steps[b[i]-b[i-1]] >= n-1 {
			return "it is a sequence"
		}
	}
	return ""
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
