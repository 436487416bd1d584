package tfrun

import "syscall"

// sysProcAttr puts terraform in a process group of its own, so that a
// terminal's Ctrl-C reaches driftgate, which interrupts terraform itself
// (once, then kills it after the grace period), and kills it if driftgate
// dies, as terraform-exec does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
