//go:build !linux

package giteatest

import "os/exec"

func setProcAttr(*exec.Cmd) {}
