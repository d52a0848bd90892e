package account

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/jwt-micro-system/shared/secretkey"
)

func testTokenKeys(tb testing.TB, secret string) tokenKeys {
	tb.Helper()
	k, err := secretkey.NewKey("SECRET_KEY", secret)
	if err != nil {
		tb.Fatal(err)
	}
	tk, err := deriveTokenKeys(k)
	if err != nil {
		tb.Fatal(err)
	}
	return tk
}

func TestParseRefreshToken(t *testing.T) {
	k := testTokenKeys(t, "token-test-secret-0123456789abcdefghijklmnopqrstuv")
	other := testTokenKeys(t, "other-test-secret-0123456789abcdefghijklmnopqrstuv")
	first, err := newFamilyToken()
	if err != nil {
		t.Fatal(err)
	}
	good := first.String(k)
	next := successor(k, first.family, 2, good)
	family, _, _ := strings.Cut(good, ".")
	body := good[strings.LastIndex(good, ".")+1:]
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)-1] ^= 1
	otherFamily := "A" + good[1:]
	if good[0] == 'A' {
		otherFamily = "B" + good[1:]
	}

	for _, tt := range []struct {
		name           string
		token          string
		keys           []tokenKeys
		selfDescribing bool
		ok             bool
	}{
		{"a login's token", good, []tokenKeys{k}, true, true},
		{"its successor", next.String(k), []tokenKeys{k}, true, true},
		{"under the previous key", good, []tokenKeys{other, k}, true, true},
		{"another key only", good, []tokenKeys{other}, true, false},
		{"a token from before (no dots)", "bm90LWEtcmVhbC10b2tlbg", []tokenKeys{k}, false, true},
		{"tag flipped", family + ".1." + base64.RawURLEncoding.EncodeToString(flipped), []tokenKeys{k}, true, false},
		{"generation changed", family + ".2." + body, []tokenKeys{k}, true, false},
		{"family changed", otherFamily, []tokenKeys{k}, true, false},
		{"generation 0", family + ".0." + body, []tokenKeys{k}, true, false},
		{"generation with a sign", family + ".+1." + body, []tokenKeys{k}, true, false},
		{"generation with a leading zero", family + ".01." + body, []tokenKeys{k}, true, false},
		{"generation overflows", family + ".99999999999999999999." + body, []tokenKeys{k}, true, false},
		{"body too short", family + ".1." + body[:20], []tokenKeys{k}, true, false},
		{"body padded", good + "==", []tokenKeys{k}, true, false},
		{"two parts", family + "." + body, []tokenKeys{k}, true, false},
		{"empty family", ".1." + body, []tokenKeys{k}, true, false},
		{"family with a slash", "a/b.1." + body, []tokenKeys{k}, true, false},
		{"family too long", strings.Repeat("a", 65) + ".1." + body, []tokenKeys{k}, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, selfDescribing, err := parseRefreshToken(tt.token, tt.keys)
			if selfDescribing != tt.selfDescribing || (err == nil) != tt.ok {
				t.Fatalf("got self-describing %v, err %v; want %v, ok %v", selfDescribing, err, tt.selfDescribing, tt.ok)
			}
			if tt.ok && tt.selfDescribing && got.String(tt.keys[len(tt.keys)-1]) != tt.token {
				t.Errorf("round trip: got %q, want %q", got.String(tt.keys[len(tt.keys)-1]), tt.token)
			}
		})
	}
}

// The successor depends on the presented token and the key, nothing else:
// the same input gives the same successor, every other input another.
func TestSuccessorIsDeterministic(t *testing.T) {
	k := testTokenKeys(t, "token-test-secret-0123456789abcdefghijklmnopqrstuv")
	other := testTokenKeys(t, "other-test-secret-0123456789abcdefghijklmnopqrstuv")
	a := successor(k, "fam", 2, "fam.1.x").String(k)
	for _, tt := range []struct {
		name string
		got  string
		same bool
	}{
		{"again", successor(k, "fam", 2, "fam.1.x").String(k), true},
		{"another presented token", successor(k, "fam", 2, "fam.1.y").String(k), false},
		{"another key", successor(other, "fam", 2, "fam.1.x").String(other), false},
	} {
		if (tt.got == a) != tt.same {
			t.Errorf("%s: got %q vs %q, want same %v", tt.name, tt.got, a, tt.same)
		}
	}
	if len(a) > MaxRefreshTokenLen {
		t.Errorf("a token is %d bytes, over MaxRefreshTokenLen", len(a))
	}
}
