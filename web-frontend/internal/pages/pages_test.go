package pages

import (
	"testing"
	"time"

	"github.com/jwt-micro-system/web-frontend/internal/i18n"
)

func TestNewAccountSignInAgain(t *testing.T) {
	c := i18n.New()
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		expires time.Time
		lang    string
		want    string
		wantISO string
	}{
		{"unknown", time.Time{}, i18n.EN, "", ""},
		{"30 days", now.Add(30 * 24 * time.Hour), i18n.EN, "You will have to sign in again in 30 days.", "2027-01-01T12:00:00Z"},
		{"Japanese", now.Add(30 * 24 * time.Hour), i18n.JA, "30日後にもう一度ログインが必要です。", "2027-01-01T12:00:00Z"},
		{"in the past", now.Add(-time.Hour), i18n.EN, "You will have to sign in again in less than a minute.", "2026-12-02T11:00:00Z"},
		{"another zone", now.Add(2 * time.Hour).In(time.FixedZone("JST", 9*3600)), i18n.JA, "2時間後にもう一度ログインが必要です。", "2026-12-02T14:00:00Z"},
	} {
		v := NewAccount(tt.expires, now, c.Texts(tt.lang))
		if v.SignInAgain != tt.want || v.UntilISO != tt.wantISO {
			t.Errorf("%s: got %q %q, want %q %q", tt.name, v.SignInAgain, v.UntilISO, tt.want, tt.wantISO)
		}
	}
}

func TestEndedFlashOnlyKnownCodes(t *testing.T) {
	L := i18n.New().Texts(i18n.EN)
	for _, code := range []string{"", "nope", "EXPIRED", "expired ", "<script>", "msg_expired"} {
		if f := EndedFlash(code, L); f != nil {
			t.Errorf("code %q: got %+v, want none", code, f)
		}
	}
	for _, code := range []string{MsgExpired, MsgLoggedOut, MsgLoggedOutAll, MsgPasswordChanged} {
		if f := EndedFlash(code, L); f == nil || f.Text == "" {
			t.Errorf("code %q: got %+v, want its message", code, f)
		}
	}
}
