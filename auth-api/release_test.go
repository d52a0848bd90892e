package main

import (
	"strings"
	"testing"
)

// After the executable's read-only mappings are dropped, its code and
// constants are read back from the file as they are used: the process goes
// on working, and doing it twice is harmless.
func TestReleaseStartupMemory(t *testing.T) {
	for range 2 {
		if err := releaseStartupMemory(); err != nil {
			t.Fatal(err)
		}
		if got := strings.ToUpper(usage[:8]); got != "USAGE:\n " {
			t.Errorf("got %q after the release, want %q", got, "USAGE:\n ")
		}
	}
}
