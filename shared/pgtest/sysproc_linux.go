package pgtest

import "syscall"

// sysProcAttr makes the server's processes die with the test binary, even
// when it is killed (a test timeout) before its cleanups run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
