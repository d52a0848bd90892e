package secretkey_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/jwt-micro-system/shared/secretkey"
)

// newSecret is what openssl rand -base64 48 prints.
func newSecret() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func Example() {
	// Both services build their keys from SECRET_KEY, and from
	// SECRET_KEY_PREVIOUS during a rotation.
	keys, err := secretkey.NewKeys(newSecret(), newSecret())
	if err != nil {
		fmt.Println(err)
		return
	}
	// Key ids are safe to publish and log; they tell which key signed what.
	_, rotating := keys.Previous()
	fmt.Println(len(keys.Current().ID()), rotating)

	// Any other use gets its own key, derived for its purpose.
	cookieKey, err := keys.Derive("web-frontend/session-cookie/v1", 32)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(cookieKey), string(cookieKey) != string(keys.Current().Secret()[:32]))
	// Output:
	// 16 true
	// 32 true
}

func ExampleCheck() {
	fmt.Println(secretkey.Check("SECRET_KEY", "a-string-secret-at-least-256-bits-long"))
	fmt.Println(secretkey.Check("SECRET_KEY", "0123456789abcdef"))
	fmt.Println(secretkey.Check("SECRET_KEY", "correct-horse-battery-staple-jwt-key"))
	fmt.Println(secretkey.Check("SECRET_KEY", newSecret()))
	// Output:
	// SECRET_KEY is a published example value and would let anyone forge tokens; generate one with: openssl rand -base64 48
	// SECRET_KEY is too short (16 bytes, need at least 32); generate one with: openssl rand -base64 48
	// SECRET_KEY is not random enough (it looks like words: almost only lower-case letters and separators); generate one with: openssl rand -base64 48
	// <nil>
}

func ExampleNewKeys_sameKeyTwice() {
	secret := newSecret()
	_, err := secretkey.NewKeys(secret, secret)
	fmt.Println(err)
	// Output: SECRET_KEY_PREVIOUS equals SECRET_KEY; set it to the old key during a rotation, or leave it empty
}

func ExampleKeyID() {
	// Services compare key ids, never keys, to detect a SECRET_KEY mismatch.
	a := secretkey.KeyID([]byte(newSecret()))
	b := secretkey.KeyID([]byte(newSecret()))
	fmt.Println(len(a), a == b)
	// Output: 16 false
}

func ExampleKeys_Lookup() {
	keys, _ := secretkey.NewKeys(newSecret(), "")
	_, ok := keys.Lookup(keys.Current().ID())
	_, unknown := keys.Lookup("AAAAAAAAAAAAAAAA")
	fmt.Println(ok, unknown)
	// Output: true false
}
