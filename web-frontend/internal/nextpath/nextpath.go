// Package nextpath sanitises the next parameter of the login flow (where
// to go once signed in), so a link can never send the user to another
// origin.
package nextpath

import (
	"net/url"
	"strings"
)

// maxNextLen bounds the next parameter; longer values are not local paths
// anyone needs.
const maxNextLen = 2048

// Safe returns next when it is a path on this site, and "/" otherwise,
// so that a login link can never send the user to another origin. It
// refuses anything a browser might resolve elsewhere: scheme-relative
// (//host), backslash tricks (/\host, which browsers treat as //host),
// schemes (https:, javascript:), control characters and whitespace (which
// browsers strip), and the same forms once more percent-decoded.
func Safe(next string) string {
	if !isLocalPath(next) {
		return "/"
	}
	// Once more decoded, in case something on the way decodes it again.
	dec, err := url.PathUnescape(next)
	if err != nil || len(dec) > 1 && (dec[1] == '/' || dec[1] == '\\') {
		return "/"
	}
	for i := 0; i < len(dec); i++ {
		if c := dec[i]; c < ' ' || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	return next
}

func isLocalPath(p string) bool {
	if p == "" || len(p) > maxNextLen || p[0] != '/' {
		return false
	}
	if len(p) > 1 && (p[1] == '/' || p[1] == '\\') {
		return false
	}
	for i := 0; i < len(p); i++ {
		// Printable ASCII only: no controls, no spaces, no backslashes.
		if c := p[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return false
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	return strings.HasPrefix(u.Path, "/") || u.Path == ""
}
