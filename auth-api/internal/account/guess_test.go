package account

import (
	"strings"
	"testing"
)

func TestBlocklistSorted(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(blocklist, "\n"), "\n")
	if len(lines) < 40000 {
		t.Fatalf("blocklist has %d words, want the 43,000 of zxcvbn's lists", len(lines))
	}
	for i := 1; i < len(lines); i++ {
		if lines[i-1] >= lines[i] {
			t.Fatalf("blocklist not sorted or not unique at line %d: %q then %q", i+1, lines[i-1], lines[i])
		}
	}
}

func TestInSorted(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(blocklist, "\n"), "\n")
	// Every word is found, and nothing between neighbours is.
	for i, w := range lines {
		if !inSorted(blocklist, w) {
			t.Fatalf("inSorted(%q) = false, want true", w)
		}
		if i%97 == 0 && inSorted(blocklist, w+"\x01") {
			t.Fatalf("inSorted(%q) = true, want false", w+"\x01")
		}
	}
	for _, w := range []string{"", "\n", "a", "zzzzzzzzzzzz", "~"} {
		if inSorted(blocklist, w) {
			t.Errorf("inSorted(%q) = true, want false", w)
		}
	}
	for _, tt := range []struct {
		list, w string
		want    bool
	}{
		{"", "a", false},
		{"a\n", "a", true},
		{"a\nb\nc", "c", true},
		{"a\nb\nc", "bb", false},
	} {
		if got := inSorted(tt.list, tt.w); got != tt.want {
			t.Errorf("inSorted(%q, %q) = %v, want %v", tt.list, tt.w, got, tt.want)
		}
	}
}

// BenchmarkValidatePassword is the cost of the password rule on a
// password it accepts (every check runs).
func BenchmarkValidatePassword(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := ValidatePassword("lantern-harbor-quiet-2"); err != nil {
			b.Fatal(err)
		}
	}
}
