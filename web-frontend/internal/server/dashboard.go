package server

import (
	"net/http"
	"time"

	"github.com/jwt-micro-system/web-frontend/internal/pages"
)

// handleDashboard shows who is logged in and their decoded token.
func handleDashboard(rd *renderer, now func() time.Time) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, _ := authFrom(r.Context())
		p := rd.page(r)
		p.Title = p.L["dash_title"]
		p.Active = "dashboard"
		p.Dash = pages.NewDashboard(a.token, a.claims, now(), p.L)
		rd.render(w, r, http.StatusOK, "dashboard", p)
	}
}
