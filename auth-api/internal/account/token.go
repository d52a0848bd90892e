package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jwt-micro-system/shared/secretkey"
)

// Refresh tokens describe themselves: FAMILY.GENERATION.BODY, where BODY is
// base64url(secret ‖ tag). The login's secret is random; every successor's
// secret is HMAC-SHA256 of the token it replaces under a key derived from
// SECRET_KEY, so presenting the same token again yields the same successor
// without anything secret in the database. The tag, an HMAC of
// FAMILY.GENERATION.secret under a second derived key, proves that we issued
// the token: an old generation of a family is recognised as reuse without a
// row per used token, and nobody who merely knows a family id (it is in the
// logs) can forge one to revoke that family.
const (
	secretLen = 32
	tagLen    = 16
	// Purposes of the keys derived from SECRET_KEY (secretkey.Derive).
	purposeSuccessor = "auth-api/refresh-token/successor/v1"
	purposeTag       = "auth-api/refresh-token/tag/v1"
)

// tokenKeys are the derived keys of one SECRET_KEY.
type tokenKeys struct{ successor, tag []byte }

func deriveTokenKeys(k secretkey.Key) (tokenKeys, error) {
	succ, err := k.Derive(purposeSuccessor, 32)
	if err != nil {
		return tokenKeys{}, err
	}
	tag, err := k.Derive(purposeTag, 32)
	if err != nil {
		return tokenKeys{}, err
	}
	return tokenKeys{successor: succ, tag: tag}, nil
}

// refreshToken is a parsed self-describing refresh token.
type refreshToken struct {
	family     string
	generation int64
	secret     []byte
}

func (t refreshToken) String(k tokenKeys) string {
	return t.family + "." + strconv.FormatInt(t.generation, 10) + "." +
		base64.RawURLEncoding.EncodeToString(append(append([]byte(nil), t.secret...), t.tag(k)...))
}

func (t refreshToken) tag(k tokenKeys) []byte {
	mac := hmac.New(sha256.New, k.tag)
	fmt.Fprintf(mac, "%s.%d.", t.family, t.generation)
	mac.Write(t.secret)
	return mac.Sum(nil)[:tagLen]
}

// newFamilyToken returns the first token of a new family.
func newFamilyToken() (refreshToken, error) {
	family, err := randomString(16)
	if err != nil {
		return refreshToken{}, fmt.Errorf("token family: %w", err)
	}
	secret := make([]byte, secretLen)
	if _, err := rand.Read(secret); err != nil {
		return refreshToken{}, fmt.Errorf("refresh token: %w", err)
	}
	return refreshToken{family: family, generation: 1, secret: secret}, nil
}

// successor is the token that replaces presented in family at generation:
// the same for the same presented token and key, every time.
func successor(k tokenKeys, family string, generation int64, presented string) refreshToken {
	mac := hmac.New(sha256.New, k.successor)
	mac.Write([]byte(presented))
	return refreshToken{family: family, generation: generation, secret: mac.Sum(nil)[:secretLen]}
}

var errMalformed = errors.New("malformed refresh token")

// parseRefreshToken parses a self-describing token and checks its tag
// against each of keys. ok is false for a token without dots (one issued
// before self-describing tokens, looked up by its hash alone).
func parseRefreshToken(s string, keys []tokenKeys) (t refreshToken, ok bool, err error) {
	family, rest, found := strings.Cut(s, ".")
	if !found {
		return refreshToken{}, false, nil
	}
	genText, body, found := strings.Cut(rest, ".")
	if !found || family == "" || len(family) > 64 || strings.Trim(family, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return refreshToken{}, true, errMalformed
	}
	gen, err := strconv.ParseInt(genText, 10, 64)
	if err != nil || gen < 1 || strconv.FormatInt(gen, 10) != genText {
		return refreshToken{}, true, errMalformed
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil || len(raw) != secretLen+tagLen {
		return refreshToken{}, true, errMalformed
	}
	t = refreshToken{family: family, generation: gen, secret: raw[:secretLen]}
	for _, k := range keys {
		if hmac.Equal(t.tag(k), raw[secretLen:]) {
			return t, true, nil
		}
	}
	return refreshToken{}, true, errMalformed
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hashRefreshToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
