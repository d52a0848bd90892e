//go:build linux

package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// releaseStartupMemory gives back to the OS what start-up used and serving
// does not need: the heap of the migrations and the bootstrap admin
// (debug.FreeOSMemory), and the page mappings of the executable's
// read-only segments (code and constants). Start-up touches the init code
// of every package, and the kernel maps the file 64 KiB around each touch,
// so nearly the whole binary would stay in the resident set. Dropping the
// mappings (MADV_DONTNEED on read-only private file pages: nothing is
// lost, the pages stay in the page cache) leaves what serving touches
// again. Writable segments are never touched.
func releaseStartupMemory() error {
	debug.FreeOSMemory()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return err
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(maps)) {
		// address perms offset dev inode path
		f := strings.Fields(line)
		if len(f) < 6 || f[5] != exe || strings.ContainsRune(f[1], 'w') || !strings.HasSuffix(f[1], "p") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			return fmt.Errorf("release start-up memory: bad mapping %q", f[0])
		}
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED); e != 0 {
			return fmt.Errorf("release start-up memory: madvise %s: %w", f[0], e)
		}
	}
	return nil
}
