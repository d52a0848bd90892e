package session

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// cookieIter must read exactly the cookies net/http would: a difference
// would let a value net/http refuses reach the codec, or hide one it
// accepts.
func TestCookieIterMatchesNetHTTP(t *testing.T) {
	const name = InsecureName
	many := strings.Repeat("a=1; ", 3000) + name + "=v"
	for _, lines := range [][]string{
		nil,
		{""},
		{name + "=abc"},
		{name + "=abc; " + name + "=def"},
		{"x=1; " + name + "=abc;y=2"},
		{name + `="quoted"`},
		{name + `="`},
		{name + `=""`},
		{name + `=a"b`},
		{name + `=a\b`},
		{name + "=a b"},
		{name + "=a,b"},
		{name + "=a\x00b"},
		{name + "=a\x7fb"},
		{name + "=\xff\xfe"},
		{name + "="},
		{name},
		{" \t" + name + " = abc \r\n"},
		{name + "=abc", name + "=def", name + "=ghi", name + "=jkl"},
		{name + "=a b; " + name + "=\\; " + name + `=""x; ` + name + "=good"},
		{"; ;;" + name + "=abc;;"},
		{strings.ToUpper(name) + "=abc"},
		{"__Host-" + name + "=abc"},
		{name + "=a=b=c"},
		{many},
		{strings.Repeat("a=1;", 1500), strings.Repeat("b=1;", 1500) + name + "=v"},
	} {
		r := &http.Request{Header: http.Header{}}
		if lines != nil {
			r.Header["Cookie"] = lines
		}
		var want []string
		for _, c := range r.CookiesNamed(name) {
			want = append(want, c.Value)
		}
		got := valuesOf(r.Header, name)
		if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("Cookie %.60q: got %q, want %q", lines, got, want)
		}
	}
}

func FuzzCookieIter(f *testing.F) {
	f.Add(InsecureName + `=abc; x="y"; ` + InsecureName + "=def")
	f.Fuzz(func(t *testing.T, line string) {
		r := &http.Request{Header: http.Header{"Cookie": {line}}}
		var want []string
		for _, c := range r.CookiesNamed(InsecureName) {
			want = append(want, c.Value)
		}
		if got := valuesOf(r.Header, InsecureName); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Errorf("Cookie %q: got %q, want %q", line, got, want)
		}
	})
}

// valuesOf is what the Manager reads: the values cookieIter yields that
// validCookieValue accepts.
func valuesOf(h http.Header, name string) []string {
	var out []string
	it := newCookieIter(h, name)
	for v, ok := it.next(); ok; v, ok = it.next() {
		if validCookieValue(v) {
			out = append(out, v)
		}
	}
	return out
}

// BenchmarkCookieHeader is reading the session cookie out of a Cookie
// header that carries other cookies too, as a browser sends it: with
// net/http's CookiesNamed, and as the Manager reads it (cookieIter, the
// value's bytes checked as on a cache miss).
func BenchmarkCookieHeader(b *testing.B) {
	value := strings.Repeat("Ab3_-", 120) // the size of a real session cookie
	h := http.Header{"Cookie": {"_ga=GA1.1.1234567890.1700000000; theme=dark; " + InsecureName + "=" + value + "; lang=ja"}}
	r := &http.Request{Header: h}
	b.Run("CookiesNamed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if c := r.CookiesNamed(InsecureName); len(c) != 1 || c[0].Value != value {
				b.Fatal("not found")
			}
		}
	})
	b.Run("cookieIter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			it := newCookieIter(h, InsecureName)
			if v, ok := it.next(); !ok || v != value || !validCookieValue(v) {
				b.Fatal("not found")
			}
		}
	})
}
