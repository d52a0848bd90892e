//go:build !linux

package e2e

import "os/exec"

// dieWithParent is a no-op where the kernel offers no parent-death signal;
// Proc.Stop in t.Cleanup still stops the services.
func dieWithParent(*exec.Cmd) {}
