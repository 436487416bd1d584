package runner

import "github.com/driftgate/driftgate/planner/tfrun"

// removeStaleWorkdirs removes the run copies under the data dir that a
// killed driftgate left behind (they can hold var files with secrets and
// saved plans). Runs of other live processes sharing the data dir keep
// theirs: each run locks its copy. A failure is logged, never fatal.
func (d *Daemon) removeStaleWorkdirs() {
	removed, err := tfrun.RemoveStaleWorkdirs(d.cfg.DataDir)
	for _, dir := range removed {
		d.logger.Info("removed work dir left by an earlier run", logDir, dir)
	}
	if err != nil {
		d.logger.Warn("remove stale work dirs", logErr, err)
	}
}
