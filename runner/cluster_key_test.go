package runner

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClusterNodeWithAnotherStateKeyRefusesToStart: a node whose
// statever.key differs from a live node's refuses to start and says which
// file to copy from where; with the same key it starts.
func TestClusterNodeWithAnotherStateKeyRefusesToStart(t *testing.T) {
	h := newClusterHarness(t, "a")
	h.seen()
	h.node("n1", 1).start(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		nodes, err := h.st.ListNodes(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes) == 1 && nodes[0].StateKeyID != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node n1 wrote no record with its key id: %+v", nodes)
		}
		time.Sleep(50 * time.Millisecond)
	}

	other := h.node("n2", 1)
	if err := os.WriteFile(filepath.Join(other.d.cfg.DataDir, stateKeyFile), bytes.Repeat([]byte{9}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := other.d.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "is not the one node n1 uses") || !strings.Contains(err.Error(), "copy statever.key from node n1") {
		t.Fatalf("Run with another key = %v, want a refusal naming n1 and the file", err)
	}

	same := h.node("n3", 1) // h.node writes the shared key
	same.start(t)
	deadline = time.Now().Add(20 * time.Second)
	for !same.d.ready.Load() {
		if time.Now().After(deadline) {
			t.Fatal("a node with the shared key did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
