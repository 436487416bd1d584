package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit checks examples/systemd (the service and the daily backup
// timer) with systemd-analyze verify (ExecStart pointed at a freshly built
// binary), and that the service keeps the hardening and reload the README
// promises.
func TestSystemdUnit(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), "examples", "systemd", "driftgate.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(raw)
	for _, want := range []string{
		"ExecStart=/usr/local/bin/driftgate serve --config /etc/driftgate/driftgate.hcl\n",
		"ExecReload=/bin/kill -HUP $MAINPID\n",
		"User=driftgate\n", "StateDirectory=driftgate\n", "NoNewPrivileges=yes\n", "ProtectSystem=strict\n",
		"ProtectHome=yes\n", "PrivateTmp=yes\n", "ReadWritePaths=/var/lib/driftgate\n", "Restart=on-failure\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed; the unit was not verified")
	}
	bin := buildDriftgate(t)
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"driftgate.service", "driftgate-backup.service", "driftgate-backup.timer"} {
		raw, err := os.ReadFile(filepath.Join(moduleRoot(t), "examples", "systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(raw), "/usr/local/bin/driftgate", bin)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	// verify exits 0 on unknown keys too, with a warning: any output fails.
	out, err := exec.Command(analyze, append([]string{"verify"}, paths...)...).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
