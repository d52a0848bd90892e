// Package clientaddr carries a browser's address from web-frontend to
// auth-api in a header that auth-api can believe without knowing where the
// frontend runs: the address and the time are authenticated with an
// HMAC-SHA256 under a key derived from SECRET_KEY (purpose Purpose), and a
// header older or newer than MaxSkew is refused, so one captured from the
// wire cannot be replayed later. Any number of frontend replicas at any
// address can send it; nobody without SECRET_KEY can forge it.
//
// The header value is "ADDRESS;UNIX-SECONDS;MAC", MAC being the unpadded
// base64url HMAC of "jwt-micro-system/client-address/v1\nADDRESS\nUNIX-SECONDS".
package clientaddr

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/jwt-micro-system/shared/secretkey"
)

// Header is the request header that carries the signed client address.
const Header = "X-Client-Address"

// Purpose is the secretkey.Derive label of the header's MAC key.
const Purpose = "jwt-micro-system/client-address/v1"

// MaxSkew is how far the header's time may be from the receiver's clock.
const MaxSkew = 30 * time.Second

// keySize is the MAC key size in bytes.
const keySize = 32

// maxHeaderLen bounds what Verify looks at: an IPv6 address with a zone,
// a time and a MAC fit easily.
const maxHeaderLen = 256

// Signer signs client addresses with the current key.
type Signer struct{ key []byte }

// NewSigner derives the MAC key from the current key of keys.
func NewSigner(keys *secretkey.Keys) (*Signer, error) {
	k, err := keys.Derive(Purpose, keySize)
	if err != nil {
		return nil, fmt.Errorf("clientaddr: %w", err)
	}
	return &Signer{key: k}, nil
}

// Sign returns the header value for addr at now; "" when addr is not an IP
// address (there is nothing to vouch for).
func (s *Signer) Sign(addr string, now time.Time) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return ""
	}
	text := a.Unmap().String()
	ts := strconv.FormatInt(now.Unix(), 10)
	return text + ";" + ts + ";" + base64.RawURLEncoding.EncodeToString(mac(s.key, text, ts))
}

func mac(key []byte, addr, ts string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(Purpose + "\n" + addr + "\n" + ts))
	return h.Sum(nil)
}

// Verifier checks headers made by a Signer with the current or, during a
// key rotation, the previous key.
type Verifier struct{ keys [][]byte }

// NewVerifier derives the MAC keys from every key of keys.
func NewVerifier(keys *secretkey.Keys) (*Verifier, error) {
	v := &Verifier{}
	for _, k := range keys.All() {
		d, err := k.Derive(Purpose, keySize)
		if err != nil {
			return nil, fmt.Errorf("clientaddr: %w", err)
		}
		v.keys = append(v.keys, d)
	}
	return v, nil
}

// Errors of Verify.
var (
	ErrMalformed = errors.New("client address header is malformed")
	ErrBadMAC    = errors.New("client address header has a bad MAC")
	ErrStale     = errors.New("client address header is too old or from the future")
)

// Verify returns the address in value when its MAC verifies and its time
// is within MaxSkew of now.
func (v *Verifier) Verify(value string, now time.Time) (netip.Addr, error) {
	if len(value) > maxHeaderLen {
		return netip.Addr{}, ErrMalformed
	}
	addr, rest, ok := strings.Cut(value, ";")
	ts, sig, ok2 := strings.Cut(rest, ";")
	if !ok || !ok2 {
		return netip.Addr{}, ErrMalformed
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || a.String() != addr {
		return netip.Addr{}, ErrMalformed
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return netip.Addr{}, ErrMalformed
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return netip.Addr{}, ErrMalformed
	}
	good := false
	for _, k := range v.keys {
		if hmac.Equal(got, mac(k, addr, ts)) {
			good = true
		}
	}
	if !good {
		return netip.Addr{}, ErrBadMAC
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return netip.Addr{}, ErrStale
	}
	return a, nil
}
