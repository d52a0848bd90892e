// Package clientip finds the address of the client of a request: the
// peer, or, behind trusted proxies, the right-most X-Forwarded-For entry
// that is not a proxy. web-frontend logs it and forwards it to auth-api
// (MAC'd, see shared/clientaddr) for the per-address login limits.
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Of returns the address of the client: the peer, unless the peer is
// a trusted proxy, in which case the right-most X-Forwarded-For entry that
// is not itself a trusted proxy. Headers from untrusted peers are ignored,
// so a client cannot choose its own address.
func Of(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	addr = addr.Unmap()
	if !isTrusted(addr, trusted) {
		return addr.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		addr = a.Unmap()
		if !isTrusted(addr, trusted) {
			break
		}
	}
	return addr.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
