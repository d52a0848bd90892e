package nextpath

import (
	"net/url"
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/", "/"},
		{"/admin", "/admin"},
		{"/admin?tab=users&x=1", "/admin?tab=users&x=1"},
		{"/api/me#frag", "/api/me#frag"},
		{"/a%20b", "/a%20b"},
		{"", "/"},
		{"admin", "/"},
		{"//evil.example", "/"},
		{"//evil.example/path", "/"},
		{"///evil.example", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"/\\/evil.example", "/"},
		{"https://evil.example", "/"},
		{"http:/evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"JavaScript:alert(1)", "/"},
		{"data:text/html,hi", "/"},
		{"/%2F%2Fevil.example", "/"},
		{"/%2fevil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"%2F%2Fevil.example", "/"},
		{"/%09/evil.example", "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/ /evil.example", "/"},
		{"/\x00", "/"},
		{"/%00", "/"},
		{"/ädmin", "/"},
		{"/" + strings.Repeat("a", 3000), "/"},
		{"/%zz", "/"},
	}
	for _, tt := range tests {
		if got := Safe(tt.in); got != tt.want {
			t.Errorf("Safe(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzSafeNext: whatever goes in, what comes out is the input or "/", and
// resolves to this site in a browser-like URL resolver.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/admin?x=1", "//evil", "/\\evil", "https://evil", "javascript:alert(1)",
		"/%2F%2Fevil", "/\t/evil", "%2F%2Fevil", "/%5Cevil", "/.//evil", "/..//evil", "/@evil", "/:evil"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://app.example/login")
	f.Fuzz(func(t *testing.T, in string) {
		out := Safe(in)
		if out != "/" && out != in {
			t.Fatalf("Safe(%q) = %q: neither the input nor /", in, out)
		}
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.ContainsAny(out, "\\\t\r\n ") {
			t.Fatalf("Safe(%q) = %q is not a plain local path", in, out)
		}
		u, err := url.Parse(out)
		if err != nil {
			t.Fatalf("Safe(%q) = %q does not parse: %v", in, out, err)
		}
		if got := base.ResolveReference(u); got.Host != base.Host || got.Scheme != base.Scheme {
			t.Fatalf("Safe(%q) = %q resolves to %s", in, out, got)
		}
		if dec, err := url.PathUnescape(out); err != nil || strings.HasPrefix(dec, "//") || strings.Contains(dec, "\\") {
			t.Fatalf("Safe(%q) = %q decodes to a remote-looking path %q", in, out, dec)
		}
	})
}
