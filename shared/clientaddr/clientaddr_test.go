package clientaddr

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/secretkey"
)

const (
	secretA = "V4QbAylP0b4Nqc9L8WWf9KRKBf6tXOfq+s8J17O91GmVSicl"
	secretB = "g7e8C0q5MD+ATMsc/rlN4Ht8vmM7pAXl4kiv5Gj3ZSSaXxRX"
)

func keys(tb testing.TB, cur, prev string) *secretkey.Keys {
	tb.Helper()
	ks, err := secretkey.NewKeys(cur, prev)
	if err != nil {
		tb.Fatal(err)
	}
	return ks
}

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s, err := NewSigner(keys(t, secretA, ""))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(keys(t, secretA, ""))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSigner(keys(t, secretB, ""))
	rotated, _ := NewVerifier(keys(t, secretB, secretA))
	good := s.Sign("203.0.113.7", now)
	tampered := strings.Replace(good, "203.0.113.7", "203.0.113.8", 1)
	for _, tt := range []struct {
		name  string
		v     *Verifier
		value string
		at    time.Time
		want  error
		addr  string
	}{
		{"fresh", v, good, now, nil, "203.0.113.7"},
		{"IPv6", v, s.Sign("2001:db8::1", now), now, nil, "2001:db8::1"},
		{"IPv4-mapped is unmapped", v, s.Sign("::ffff:192.0.2.1", now), now, nil, "192.0.2.1"},
		{"29 s later", v, good, now.Add(29 * time.Second), nil, "203.0.113.7"},
		{"replayed 31 s later", v, good, now.Add(31 * time.Second), ErrStale, ""},
		{"from 31 s in the future", v, good, now.Add(-31 * time.Second), ErrStale, ""},
		{"another address under the same MAC", v, tampered, now, ErrBadMAC, ""},
		{"signed with another key", v, other.Sign("203.0.113.7", now), now, ErrBadMAC, ""},
		{"previous key during a rotation", rotated, good, now, nil, "203.0.113.7"},
		{"empty", v, "", now, ErrMalformed, ""},
		{"no MAC", v, "203.0.113.7;1800000000", now, ErrMalformed, ""},
		{"not an address", v, "evil;1800000000;" + strings.Repeat("A", 43), now, ErrMalformed, ""},
		{"short MAC", v, "203.0.113.7;1800000000;AAAA", now, ErrMalformed, ""},
		{"huge", v, strings.Repeat("1", 1000), now, ErrMalformed, ""},
	} {
		a, err := tt.v.Verify(tt.value, tt.at)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
			continue
		}
		if err == nil && a.String() != tt.addr {
			t.Errorf("%s: address %q, want %q", tt.name, a, tt.addr)
		}
	}
	if got := s.Sign("not-an-ip", now); got != "" {
		t.Errorf("Sign of a non-address = %q, want empty", got)
	}
}
