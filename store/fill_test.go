package store

import (
	"fmt"
	"testing"

	"go.etcd.io/bbolt"
)

// TestRunPagesArePacked checks that buckets keyed by run id fill their
// pages: bbolt's default fill percent leaves appended-to pages half empty,
// which nearly doubled the bytes on disk per run.
func TestRunPagesArePacked(t *testing.T) {
	s := openTestStore(t, Options{Retention: -1})
	s.db.NoSync = true
	const n = 4000
	for done := 0; done < n; done += 500 {
		err := s.update(t.Context(), func(tx *bbolt.Tx) error {
			for i := done; i < done+500; i++ {
				run := Run{Repo: fmt.Sprintf("repo-%d", i%3), Stack: fmt.Sprintf("stack-%d", i%40),
					Operation: "plan", Status: StatusPlanned, Commit: fmt.Sprintf("%040d", i)}
				if _, err := s.createRun(tx, nil, &run); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{runsBucket, runsByRepoBucket, runsByStatusBucket, runsByOpBucket} {
			st := tx.Bucket(name).Stats()
			fill := float64(st.LeafInuse) / float64(st.LeafAlloc)
			t.Logf("%s: %d leaf pages, %.0f%% full", name, st.LeafPageN, fill*100)
			if fill < 0.85 {
				t.Errorf("leaf pages of %s are %.0f%% full, want at least 85%%", name, fill*100)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
