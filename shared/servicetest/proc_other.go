//go:build !linux

package servicetest

import "os/exec"

// dieWithParent is a no-op where the kernel offers no parent-death signal;
// callers still stop their processes.
func dieWithParent(*exec.Cmd) {}
