package httpserve

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	for _, tt := range []struct {
		gogc string
		want int
	}{
		{"", GCPercent},
		{"50", 100}, // the runtime applied GOGC at start: here, the 100 set above
	} {
		debug.SetGCPercent(100)
		got := TuneGC(func(k string) string {
			if k == "GOGC" {
				return tt.gogc
			}
			return ""
		})
		if now := debug.SetGCPercent(100); got != tt.want || now != tt.want {
			t.Errorf("GOGC=%q: TuneGC returned %d and left %d, want %d", tt.gogc, got, now, tt.want)
		}
	}
}
