// Package session owns the web-frontend session: the Manager loads the
// session of a request (open the cookie, verify the access token with the
// shared Verifier, renew it silently with the refresh token), starts one
// from a token pair and ends one. The Codec seals the session (the access
// and refresh tokens) into a cookie value, encrypted and authenticated with
// AES-256-GCM under a key derived from SECRET_KEY.
//
// The cookie is opaque to the browser and to anyone who reads it: it cannot
// be read, altered or forged without the key. During a key rotation, cookies
// sealed under the previous key (SECRET_KEY_PREVIOUS) are still opened.
package session

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jwt-micro-system/shared/secretkey"
)

// Purpose is the HKDF label of the cookie key. Changing it (v2) invalidates
// every cookie in circulation.
const Purpose = "web-frontend/session-cookie/v1"

// MaxValueLen bounds the encoded cookie value. Browsers keep cookies of up
// to 4096 bytes including name and attributes; a value longer than this is
// refused by Encode and never decrypted by Decode.
const MaxValueLen = 3800

// Cookie names: the __Host- prefix makes browsers insist on Secure, Path=/
// and no Domain, so a sibling subdomain cannot plant or overwrite it. Over
// plain http (COOKIE_SECURE=false) that prefix is not allowed, so the name
// is one no other application uses: another app on the same host that sets
// its own "session" cookie neither clobbers ours nor is taken for it.
const (
	SecureName   = "__Host-jwtms_session"
	InsecureName = "jwtms_session"
)

// The cookie formats, the first byte of every sealed cookie. Version 1
// carries the two tokens; version 2 also the refresh family's absolute
// expiry. Encode writes version 2; Decode still opens version 1 (its
// expiry is unknown), so no one is signed out by the change.
const (
	version1 byte = 1
	version2 byte = 2
	version       = version2
)

// The additional data of each version binds the ciphertext to its use (a
// value sealed with the same key for some other purpose does not open
// here) and to its version: a version byte changed in transit fails
// authentication rather than being read in the other format.
const (
	aadV1 = "jwt-micro-system/web-frontend/session/v1"
	aadV2 = "jwt-micro-system/web-frontend/session/v2"
)

// ErrInvalid is returned (wrapped) by Decode for any cookie value that is
// not a session this service sealed.
var ErrInvalid = errors.New("session: invalid cookie")

// Session is what the cookie carries.
type Session struct {
	AccessToken  string
	RefreshToken string
	// RefreshExpires is when the refresh family ends, so the user has to
	// sign in again (rotation never extends it), to the second, in UTC.
	// Zero when unknown: a version 1 cookie, or an auth-api that does not
	// say (no refresh_expires_in).
	RefreshExpires time.Time
}

// Codec seals and opens session cookies. It is safe for concurrent use.
type Codec struct {
	current  cipher.AEAD
	previous cipher.AEAD // nil when not rotating
	aad      [3][]byte   // by version: aadV1, aadV2 as bytes, made once
	name     string
	secure   bool
}

// NewCodec derives the cookie keys from keys (once, at start) and returns a
// Codec. secure selects the cookie name and the Secure attribute.
func NewCodec(keys *secretkey.Keys, secure bool) (*Codec, error) {
	k, err := keys.Derive(Purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("session: deriving cookie key: %w", err)
	}
	c := &Codec{name: InsecureName, secure: secure, aad: [3][]byte{version1: []byte(aadV1), version2: []byte(aadV2)}}
	if secure {
		c.name = SecureName
	}
	if c.current, err = newAEAD(k); err != nil {
		return nil, err
	}
	pk, ok, err := keys.DerivePrevious(Purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("session: deriving previous cookie key: %w", err)
	}
	if ok {
		if c.previous, err = newAEAD(pk); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	// A fresh random 96-bit nonce per cookie, managed by the standard
	// library; cookies are sealed only at login and refresh, far below the
	// 2^32 messages per key this mode allows.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return aead, nil
}

// Name returns the cookie name.
func (c *Codec) Name() string { return c.name }

// Encode seals s into a cookie value.
func (c *Codec) Encode(s Session) (string, error) {
	if s.AccessToken == "" || s.RefreshToken == "" {
		return "", errors.New("session: both tokens are required")
	}
	// Plaintext (version 2): uvarint of the refresh expiry in Unix
	// seconds (0: unknown), uvarint length of the access token, the access
	// token, the refresh token. Binary, so the cookie stays small and
	// decoding cheap.
	var exp uint64
	if u := s.RefreshExpires.Unix(); !s.RefreshExpires.IsZero() && u > 0 && u <= maxUnix {
		exp = uint64(u)
	}
	n := 2*binary.MaxVarintLen64 + len(s.AccessToken) + len(s.RefreshToken)
	if base64.RawURLEncoding.EncodedLen(1+n+c.current.Overhead()) > MaxValueLen {
		return "", fmt.Errorf("session: tokens too large for a cookie (%d bytes)", n)
	}
	plain := make([]byte, 0, n)
	plain = binary.AppendUvarint(plain, exp)
	plain = binary.AppendUvarint(plain, uint64(len(s.AccessToken)))
	plain = append(plain, s.AccessToken...)
	plain = append(plain, s.RefreshToken...)

	sealed := make([]byte, 1, 1+len(plain)+c.current.Overhead())
	sealed[0] = version
	sealed = c.current.Seal(sealed, nil, plain, c.aad[version2])
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Decode opens a cookie value. Any failure (bad encoding, wrong size,
// unknown version, tampering, a foreign key) wraps ErrInvalid.
func (c *Codec) Decode(value string) (Session, error) {
	if len(value) > MaxValueLen {
		return Session{}, fmt.Errorf("%w: %d bytes is too long", ErrInvalid, len(value))
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return Session{}, fmt.Errorf("%w: not base64url", ErrInvalid)
	}
	var aad []byte
	if len(raw) >= 1+c.current.Overhead() && (raw[0] == version1 || raw[0] == version2) {
		aad = c.aad[raw[0]]
	}
	if aad == nil {
		return Session{}, fmt.Errorf("%w: unknown format", ErrInvalid)
	}
	plain, err := c.current.Open(nil, nil, raw[1:], aad)
	if err != nil && c.previous != nil {
		plain, err = c.previous.Open(nil, nil, raw[1:], aad)
	}
	if err != nil {
		return Session{}, fmt.Errorf("%w: authentication failed", ErrInvalid)
	}
	var s Session
	if raw[0] == version2 {
		exp, k := binary.Uvarint(plain)
		if k <= 0 || exp > maxUnix {
			return Session{}, fmt.Errorf("%w: bad payload", ErrInvalid)
		}
		if exp > 0 {
			s.RefreshExpires = time.Unix(int64(exp), 0).UTC()
		}
		plain = plain[k:]
	}
	n, k := binary.Uvarint(plain)
	if k <= 0 || n == 0 || n >= uint64(len(plain)-k) {
		return Session{}, fmt.Errorf("%w: bad payload", ErrInvalid)
	}
	rest := plain[k:]
	s.AccessToken, s.RefreshToken = string(rest[:n]), string(rest[n:])
	return s, nil
}

// maxUnix bounds a refresh expiry read from a cookie (the year 9999).
const maxUnix = 253402300799

// Cookie returns the session cookie carrying value.
func (c *Codec) Cookie(value string) *http.Cookie {
	return &http.Cookie{
		Name:     c.name,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   c.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// ClearCookie returns a cookie that makes the browser drop the session.
func (c *Codec) ClearCookie() *http.Cookie {
	ck := c.Cookie("")
	ck.MaxAge = -1
	ck.Expires = time.Unix(1, 0)
	return ck
}
