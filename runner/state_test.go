package runner

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadStateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := loadStateKey(dir)
	if err != nil || len(k1) != 32 {
		t.Fatalf("first load = %d bytes, %v", len(k1), err)
	}
	st, err := os.Stat(filepath.Join(dir, stateKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, %v", st.Mode().Perm(), err)
	}
	k2, err := loadStateKey(dir)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Errorf("second load gave another key: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateKeyFile), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	k3, err := loadStateKey(dir)
	if err != nil || len(k3) != 32 || bytes.Equal(k3, k1) {
		t.Errorf("a too short key was not replaced: %d bytes, %v", len(k3), err)
	}
}
