package tftest

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// workPrefix starts the name of every per-process work directory, which is
// followed by the owning process id and a dash:
// $TMPDIR/driftgate-tftest-<pid>-<random>.
const workPrefix = "driftgate-tftest-"

// sweepStale removes the work directories of test processes that have
// exited. A test process has no exit hook without TestMain, so each one
// cleans up after its predecessors instead. Errors are ignored: a directory
// left behind only costs disk space.
func sweepStale() {
	matches, err := filepath.Glob(filepath.Join(os.TempDir(), workPrefix+"*-*"))
	if err != nil {
		return
	}
	for _, dir := range matches {
		pid, ok := workPID(filepath.Base(dir))
		if !ok || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		os.RemoveAll(dir)
	}
}

// workPID extracts the process id from a work directory's name.
func workPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, workPrefix)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// processAlive reports whether pid may still be running. When in doubt it
// says yes, so a live process never loses its directory.
func processAlive(pid int) bool {
	if runtime.GOOS == "windows" {
		return true // no cheap probe; keep the directory
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || !errors.Is(err, os.ErrProcessDone)
}
