package images

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestContentTag(t *testing.T) {
	base := contentTag("r", "1.26", []byte("go1.26"), []byte("go.sum a"))
	if !strings.HasPrefix(base, "r:1.26-") || len(base) != len("r:1.26-")+12 {
		t.Fatalf("got %q, want r:1.26-<12 hex digits>", base)
	}
	for _, tc := range []struct {
		name  string
		parts [][]byte
		same  bool
	}{
		{"same inputs", [][]byte{[]byte("go1.26"), []byte("go.sum a")}, true},
		{"changed go.sum", [][]byte{[]byte("go1.26"), []byte("go.sum b")}, false},
		{"bytes moved between parts", [][]byte{[]byte("go1.26go.sum"), []byte(" a")}, false},
		{"a part more", [][]byte{[]byte("go1.26"), []byte("go.sum a"), nil}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := contentTag("r", "1.26", tc.parts...)
			if (got == base) != tc.same {
				t.Errorf("got %q for %q, base %q: same %v, want %v", got, tc.parts, base, got == base, tc.same)
			}
		})
	}
}

func TestRootfsTree(t *testing.T) {
	src := t.TempDir()
	for name, body := range map[string]string{
		"bin/go": "binary", "src/fmt/print.go": "package fmt",
		"src/fmt/testdata/x": "skipped", "test/a.go": "skipped", "doc/go_spec.html": "skipped",
	} {
		if err := writeFile(filepath.Join(src, name), []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(src, "bin/go"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("go", filepath.Join(src, "bin/gofmt")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	r := rootfs{tw}
	if err := r.dir("tmp", 0o1777); err != nil {
		t.Fatal(err)
	}
	err := r.tree(src, "usr/local/go", func(rel string, d fs.DirEntry) bool {
		return d.IsDir() && (d.Name() == "testdata" || rel == "test" || rel == "doc")
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}

	got := map[string]string{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: owner %d:%d, want 0:0", h.Name, h.Uid, h.Gid)
		}
		body, _ := io.ReadAll(tr)
		got[h.Name] = string(rune(h.Typeflag)) + " " + fs.FileMode(h.Mode).String() + " " + h.Linkname + string(body)
	}
	want := map[string]string{
		"tmp/":                          "5 -rwxrwxrwx ",
		"usr/local/go/":                 "5 -rwxr-xr-x ",
		"usr/local/go/bin/":             "5 -rwxr-xr-x ",
		"usr/local/go/bin/go":           "0 -rwxr-xr-x binary",
		"usr/local/go/bin/gofmt":        "2 -rwxrwxrwx go",
		"usr/local/go/src/":             "5 -rwxr-xr-x ",
		"usr/local/go/src/fmt/":         "5 -rwxr-xr-x ",
		"usr/local/go/src/fmt/print.go": "0 -rw-r--r-- package fmt",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: got %q, want %q", name, got[name], w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected entry %s", name)
		}
	}
	// fs.FileMode does not print tar's sticky bit: check it apart.
	var sticky bytes.Buffer
	tw = tar.NewWriter(&sticky)
	if err := (rootfs{tw}).dir("tmp", 0o1777); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	h, err := tar.NewReader(&sticky).Next()
	if err != nil || h.Mode != 0o1777 {
		t.Errorf("tmp: mode %o (%v), want 1777", h.Mode, err)
	}
}

func TestIsStatic(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{filepath.Join(t.TempDir(), "missing"), false},
		{"/etc/passwd", false}, // not ELF
		{"/bin/ls", false},     // Debian's coreutils: dynamically linked
	} {
		if _, err := os.Stat(tc.path); err != nil && tc.path == "/bin/ls" {
			continue
		}
		if got := isStatic(tc.path); got != tc.want {
			t.Errorf("isStatic(%s) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
