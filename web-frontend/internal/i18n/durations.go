package i18n

import (
	"fmt"
	"time"
)

// In says in words how far ahead d is, in these texts' language: "in 30
// minutes", 「30分後」. Minutes are rounded up, so a lockout is never
// announced shorter than it is.
func (t Texts) In(d time.Duration) string {
	switch {
	case d < time.Minute:
		return t["in_moment"]
	case d < time.Hour:
		return t.plural("in_minutes", int((d+time.Minute-1)/time.Minute))
	case d < 48*time.Hour:
		return t.plural("in_hours", int((d+30*time.Minute)/time.Hour))
	}
	return t.plural("in_days", int((d+12*time.Hour)/(24*time.Hour)))
}

func (t Texts) plural(key string, n int) string {
	if n == 1 {
		return t[key+"_1"]
	}
	return fmt.Sprintf(t[key], n)
}
