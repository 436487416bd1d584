package giteatest

import (
	"os/exec"
	"syscall"
)

// setProcAttr has the kernel stop Gitea when the test process dies without
// running its cleanups (a panic, a -timeout kill).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
