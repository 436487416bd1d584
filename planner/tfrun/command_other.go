//go:build !linux

package tfrun

import "syscall"

// sysProcAttr puts terraform in a process group of its own (see the Linux
// version, which also kills terraform when driftgate dies).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
