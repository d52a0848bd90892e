package i18n

import (
	"testing"
	"time"
)

func TestIn(t *testing.T) {
	c := New()
	en, ja := c.Texts(EN), c.Texts(JA)
	for _, tt := range []struct {
		d      time.Duration
		en, ja string
	}{
		{0, "in less than a minute", "1分以内"},
		{59 * time.Second, "in less than a minute", "1分以内"},
		{time.Minute, "in 1 minute", "1分後"},
		{61 * time.Second, "in 2 minutes", "2分後"}, // rounded up: a lockout is never announced shorter
		{15 * time.Minute, "in 15 minutes", "15分後"},
		{30 * time.Minute, "in 30 minutes", "30分後"},
		{time.Hour, "in 1 hour", "1時間後"},
		{7 * 24 * time.Hour, "in 7 days", "7日後"},
	} {
		if got := en.In(tt.d); got != tt.en {
			t.Errorf("en %v: got %q, want %q", tt.d, got, tt.en)
		}
		if got := ja.In(tt.d); got != tt.ja {
			t.Errorf("ja %v: got %q, want %q", tt.d, got, tt.ja)
		}
	}
}
