package secretkey_test

import (
	"fmt"

	"github.com/jwt-micro-system/shared/secretkey"
)

func Example() {
	// Both services build their keys from SECRET_KEY, and from
	// SECRET_KEY_PREVIOUS during a rotation.
	keys, err := secretkey.NewKeys("t3st-s3cret-0123456789-abcdefghijklmnop", "pr3vious-s3cret-9876543210-zyxwvutsrqpo")
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
	fmt.Println(secretkey.Check("SECRET_KEY", "supersecret"))
	fmt.Println(secretkey.Check("SECRET_KEY", "0123456789abcdef"))
	fmt.Println(secretkey.Check("SECRET_KEY", "t3st-s3cret-0123456789-abcdefghijklmnop"))
	// Output:
	// SECRET_KEY is a published placeholder value and would let anyone forge tokens; generate one with: openssl rand -base64 48
	// SECRET_KEY is too short (16 bytes, need at least 32); generate one with: openssl rand -base64 48
	// <nil>
}

func ExampleNewKeys_sameKeyTwice() {
	_, err := secretkey.NewKeys("t3st-s3cret-0123456789-abcdefghijklmnop", "t3st-s3cret-0123456789-abcdefghijklmnop")
	fmt.Println(err)
	// Output: SECRET_KEY_PREVIOUS equals SECRET_KEY; set it to the old key during a rotation, or leave it empty
}

func ExampleKeyID() {
	// Services compare key ids, never keys, to detect a SECRET_KEY mismatch.
	a := secretkey.KeyID([]byte("t3st-s3cret-0123456789-abcdefghijklmnop"))
	b := secretkey.KeyID([]byte("pr3vious-s3cret-9876543210-zyxwvutsrqpo"))
	fmt.Println(len(a), a == b)
	// Output: 16 false
}

func ExampleKeys_Lookup() {
	keys, _ := secretkey.NewKeys("t3st-s3cret-0123456789-abcdefghijklmnop", "")
	_, ok := keys.Lookup(keys.Current().ID())
	_, unknown := keys.Lookup("AAAAAAAAAAAAAAAA")
	fmt.Println(ok, unknown)
	// Output: true false
}
