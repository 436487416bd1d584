package runner

import (
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// TestClusterReclaimedRunKeepsTheClustersRecord: a node that comes back
// after its run was reclaimed (here: interrupted, as the leader does the
// second time a node is lost) does not write its outcome over the
// cluster's record.
func TestClusterReclaimedRunKeepsTheClustersRecord(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		h := newClusterHarnessOn(t, kind, "a")
		h.seen()
		h.tf.hold("a")
		n := h.node("n1", 1).start(t)
		run := h.queue("a", OperationPlan)
		n.d.disp.Wake()
		h.wait(run.ID, "running", func(r *store.Run) bool { return r.Status == store.StatusRunning })
		// The leader reclaims it while the node is cut off.
		if _, err := h.st.UpdateRun(t.Context(), run.ID, func(r *store.Run) error {
			r.Status, r.Error, r.FinishedAt = store.StatusInterrupted, "reclaimed: node n1 lost", time.Now().UTC()
			delete(r.Attrs, store.AttrNode)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		h.tf.letGo("a")
		deadline := time.Now().Add(5 * time.Second)
		for h.tf.planned("a") == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Second) // the outcome would be written by now
		got, err := h.st.GetRun(t.Context(), run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.StatusInterrupted || got.Error != "reclaimed: node n1 lost" {
			t.Errorf("reclaimed run is %s (%s), want the cluster's record kept: interrupted", got.Status, got.Error)
		}
	})
}
