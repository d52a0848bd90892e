package session

import (
	"net/http"
	"strings"
)

// maxCookieCount is net/http's default limit of cookies in one request
// (GODEBUG httpcookiemaxnum): a request with more carries none.
const maxCookieCount = 3000

// cookieIter walks the values of the cookies of one name in the Cookie
// headers of a request, split and trimmed exactly as
// http.Request.CookiesNamed does (surrounding double quotes dropped), but
// as substrings of the header, with no allocation: this runs on every
// request. Unlike CookiesNamed it does not check the bytes of a value:
// the caller skips a value validCookieValue refuses, as CookiesNamed
// would, unless it knows the value already (the cache of opened cookies
// holds only values that passed), which saves reading ~600 bytes per
// request.
type cookieIter struct {
	lines []string
	line  string
	name  string
}

func newCookieIter(h http.Header, name string) cookieIter {
	lines := h["Cookie"]
	count := 0
	for _, line := range lines {
		count += strings.Count(line, ";") + 1
	}
	if count > maxCookieCount {
		lines = nil
	}
	return cookieIter{lines: lines, name: name}
}

// next returns the next value; ok is false when there is none.
func (it *cookieIter) next() (value string, ok bool) {
	for {
		for it.line == "" {
			if len(it.lines) == 0 {
				return "", false
			}
			it.line, it.lines = trimSpace(it.lines[0]), it.lines[1:]
		}
		var part string
		part, it.line, _ = strings.Cut(it.line, ";")
		part = trimSpace(part)
		if part == "" {
			continue
		}
		n, v, _ := strings.Cut(part, "=")
		if trimSpace(n) != it.name {
			continue
		}
		if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		return v, true
	}
}

// validCookieValue reports whether every byte of v may be in a cookie
// value (net/http's validCookieValueByte).
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return false
		}
	}
	return true
}

// trimSpace is textproto.TrimString: ASCII space, tab, CR and LF.
func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }
