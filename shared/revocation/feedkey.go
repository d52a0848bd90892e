package revocation

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"

	"github.com/jwt-micro-system/shared/secretkey"
)

// FeedPurpose is the secretkey.Derive label of the key that authenticates
// readers of auth-api's revocation feed (GET /revocations).
const FeedPurpose = "jwt-micro-system/revocation-feed/v1"

// feedKeySize is the size of the derived feed key in bytes.
const feedKeySize = 32

// FeedKey returns the bearer credential of the revocation feed for the
// current key of keys: the derived key, base64url-encoded. Services that
// hold SECRET_KEY can compute it; nobody else can, and it reveals nothing
// of SECRET_KEY.
func FeedKey(keys *secretkey.Keys) (string, error) {
	k, err := keys.Derive(FeedPurpose, feedKeySize)
	if err != nil {
		return "", fmt.Errorf("revocation: feed key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(k), nil
}

// FeedKeys checks presented feed credentials against the current and, during
// a key rotation, the previous key.
type FeedKeys struct{ accepted [][]byte }

// NewFeedKeys derives the accepted feed credentials from every key of keys.
func NewFeedKeys(keys *secretkey.Keys) (*FeedKeys, error) {
	fk := &FeedKeys{}
	for _, k := range keys.All() {
		d, err := k.Derive(FeedPurpose, feedKeySize)
		if err != nil {
			return nil, fmt.Errorf("revocation: feed key: %w", err)
		}
		fk.accepted = append(fk.accepted, []byte(base64.RawURLEncoding.EncodeToString(d)))
	}
	return fk, nil
}

// Accepts reports whether presented is one of the feed credentials, in
// constant time.
func (fk *FeedKeys) Accepts(presented string) bool {
	ok := 0
	for _, k := range fk.accepted {
		ok |= subtle.ConstantTimeCompare([]byte(presented), k)
	}
	return ok == 1
}
