package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jwt-micro-system/web-frontend/internal/i18n"
)

// timeLayout is how times are shown on the pages.
const timeLayout = "2006-01-02 15:04:05 UTC"

type dashView struct {
	Subject, Role, Issuer string
	Expires, ExpiresISO   string
	ExpiresIn             string
	Issued, IssuedISO     string
	Encoded               string
	Header, Payload       []claimRow
	HeaderJSON            string
	PayloadJSON           string
}

// claimRow is one line of the decoded header or payload table.
type claimRow struct {
	Key, Value, Meaning string
	Note                string // a readable form of a timestamp
}

// handleDashboard shows who is logged in and their decoded token.
func handleDashboard(rd *renderer, now func() time.Time) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, _ := authFrom(r.Context())
		p := rd.page(r)
		p.Title = p.L["dash_title"]
		p.Active = "dashboard"
		c := a.claims
		v := &dashView{Subject: c.Subject, Role: c.Role, Issuer: c.Issuer}
		if exp := c.Expiry(); !exp.IsZero() {
			v.Expires = exp.UTC().Format(timeLayout)
			v.ExpiresISO = exp.UTC().Format(time.RFC3339)
			v.ExpiresIn = humanIn(max(exp.Sub(now()), 0), p.L)
		}
		if c.IssuedAt != nil {
			v.Issued = c.IssuedAt.UTC().Format(timeLayout)
			v.IssuedISO = c.IssuedAt.UTC().Format(time.RFC3339)
		}
		v.Header, v.HeaderJSON = decodeSegment(a.token, 0, p.L, []string{"alg", "typ", "kid"})
		v.Payload, v.PayloadJSON = decodeSegment(a.token, 1, p.L, []string{"sub", "role", "iat", "exp", "iss", "jti", "aud", "nbf"})
		if i := strings.LastIndexByte(a.token, '.'); i > 0 {
			v.Encoded = a.token[:i] + ".…"
		}
		p.Dash = v
		rd.render(w, r, http.StatusOK, "dashboard", p)
	}
}

// decodeSegment decodes segment i (0 header, 1 payload) of a verified
// token into table rows, known keys first in the given order, and into
// indented JSON as the seed shows it.
func decodeSegment(token string, i int, L i18n.Texts, order []string) ([]claimRow, string) {
	parts := strings.SplitN(token, ".", 3)
	if len(parts) != 3 {
		return nil, ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		return nil, ""
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, raw, "", "  "); err != nil {
		return nil, ""
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, pretty.String()
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		if j := slices.Index(order, k); j >= 0 {
			return j
		}
		return len(order)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	rows := make([]claimRow, 0, len(keys))
	for _, k := range keys {
		row := claimRow{Key: k, Value: jsonText(m[k]), Meaning: L["claim_other"]}
		if rank(k) < len(order) {
			row.Meaning = L["claim_"+k]
		}
		if k == "iat" || k == "exp" || k == "nbf" {
			if n, err := strconv.ParseInt(string(m[k]), 10, 64); err == nil {
				row.Note = time.Unix(n, 0).UTC().Format(timeLayout)
			}
		}
		rows = append(rows, row)
	}
	return rows, pretty.String()
}

// jsonText shows a JSON value: strings without quotes, the rest as JSON.
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// handleStatic serves the embedded stylesheet and images; no directory
// listings, cacheable for a day (the layout links them with ?v=version).
func handleStatic(rd *renderer, static fs.FS) http.HandlerFunc {
	files := http.FileServerFS(static)
	return func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if name == "" || strings.HasSuffix(name, "/") || !fs.ValidPath(name) {
			rd.fail(w, r, errNotFound)
			return
		}
		if st, err := fs.Stat(static, path.Clean(name)); err != nil || st.IsDir() {
			rd.fail(w, r, errNotFound)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		r2.URL.RawPath = ""
		files.ServeHTTP(w, r2)
	}
}
