package pages

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/web-frontend/internal/i18n"
)

// Dashboard is the view of the dashboard: who is signed in, until when,
// and the decoded token for developers.
type Dashboard struct {
	Subject, Role, Issuer string
	Expires, ExpiresISO   string
	ExpiresIn             string
	Issued, IssuedISO     string
	Encoded               string
	Header, Payload       []ClaimRow
	HeaderJSON            string
	PayloadJSON           string
}

// ClaimRow is one line of the decoded header or payload table.
type ClaimRow struct {
	Key, Value, Meaning string
	Note                string // a readable form of a timestamp
}

// NewDashboard is the dashboard of a verified token and its claims at
// time now, in the texts L.
func NewDashboard(token string, c *jwtauth.Claims, now time.Time, L i18n.Texts) *Dashboard {
	v := &Dashboard{Subject: c.Subject, Role: c.Role, Issuer: c.Issuer}
	if exp := c.Expiry(); !exp.IsZero() {
		v.Expires = exp.UTC().Format(TimeLayout)
		v.ExpiresISO = exp.UTC().Format(time.RFC3339)
		v.ExpiresIn = L.In(max(exp.Sub(now), 0))
	}
	if c.IssuedAt != nil {
		v.Issued = c.IssuedAt.UTC().Format(TimeLayout)
		v.IssuedISO = c.IssuedAt.UTC().Format(time.RFC3339)
	}
	v.Header, v.HeaderJSON = decodeSegment(token, 0, L, []string{"alg", "typ", "kid"})
	v.Payload, v.PayloadJSON = decodeSegment(token, 1, L, []string{"sub", "role", "iat", "exp", "iss", "jti", "aud", "nbf"})
	if i := strings.LastIndexByte(token, '.'); i > 0 {
		v.Encoded = token[:i] + ".…"
	}
	return v
}

// decodeSegment decodes segment i (0 header, 1 payload) of a verified
// token into table rows, known keys first in the given order, and into
// indented JSON as the seed shows it.
func decodeSegment(token string, i int, L i18n.Texts, order []string) ([]ClaimRow, string) {
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
	rows := make([]ClaimRow, 0, len(keys))
	for _, k := range keys {
		row := ClaimRow{Key: k, Value: jsonText(m[k]), Meaning: L["claim_other"]}
		if rank(k) < len(order) {
			row.Meaning = L["claim_"+k]
		}
		if k == "iat" || k == "exp" || k == "nbf" {
			if n, err := strconv.ParseInt(string(m[k]), 10, 64); err == nil {
				row.Note = time.Unix(n, 0).UTC().Format(TimeLayout)
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
