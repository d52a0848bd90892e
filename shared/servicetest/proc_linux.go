package servicetest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill cmd when its parent dies (a go test
// timeout, a Ctrl-C), so no service outlives its test or load run.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
