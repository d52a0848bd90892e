package jwtauth

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestClaimsJSON(t *testing.T) {
	claimsOf := func(sub string) *Claims {
		return &Claims{Subject: sub, Role: "user", ID: sub + "-jti", ExpiresAt: jwt.NewNumericDate(testNow.Add(time.Minute))}
	}
	alice, bob := claimsOf("alice"), claimsOf("bob")
	aliceJSON, _ := json.Marshal(alice)
	bobJSON, _ := json.Marshal(bob)
	for _, c := range []struct {
		name    string
		size    int
		newline bool
	}{{"cached", 8, false}, {"cached, newline", 8, true}, {"one entry", 1, false}, {"uncached", 0, false}, {"uncached, newline", -1, true}} {
		cache := NewClaimsJSON(c.size, c.newline)
		for i, r := range []struct {
			token  string
			claims *Claims
			want   []byte
		}{
			{"token-a", alice, aliceJSON}, {"token-a", alice, aliceJSON},
			{"token-b", bob, bobJSON}, {"token-a", alice, aliceJSON}, {"token-b", bob, bobJSON},
		} {
			want := string(r.want)
			if c.newline {
				want += "\n"
			}
			got, err := cache.Get(r.token, r.claims)
			if err != nil || string(got) != want {
				t.Errorf("%s, call %d: got %q, %v, want %q", c.name, i+1, got, err, want)
			}
		}
	}
}

// A cached token's JSON comes without encoding or allocating again.
func TestClaimsJSONHitAllocs(t *testing.T) {
	cache := NewClaimsJSON(8, true)
	claims := &Claims{Subject: "admin", Role: "admin"}
	if _, err := cache.Get("token", claims); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = cache.Get("token", claims) }); n != 0 {
		t.Errorf("a hit allocates %v times, want 0", n)
	}
}

func BenchmarkClaimsJSON(b *testing.B) {
	claims := &Claims{Subject: "alice", Role: "user", ID: "jti", ExpiresAt: jwt.NewNumericDate(testNow.Add(time.Minute))}
	for _, c := range []struct {
		name string
		size int
	}{{"hit", 8}, {"uncached", 0}} {
		b.Run(c.name, func(b *testing.B) {
			cache := NewClaimsJSON(c.size, false)
			b.ReportAllocs()
			for b.Loop() {
				_, _ = cache.Get("token", claims)
			}
		})
	}
}
