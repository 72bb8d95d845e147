//go:build linux

package bench

import "syscall"

// childSysProcAttr makes the kernel kill a child when this process dies,
// so that a benchmark killed with SIGKILL leaves no server behind.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
