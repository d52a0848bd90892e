package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestRunRefusesBadArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"image"}, "usage: image builder|postgres"},
		{[]string{"image", "builder", "extra"}, "usage: image builder|postgres"},
		{[]string{"image", "golang"}, `unknown image "golang": use builder or postgres`},
	} {
		err := run(context.Background(), tc.args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q): got %v, want %q", tc.args, err, tc.want)
		}
	}
}
