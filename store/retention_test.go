package store

import (
	"slices"
	"testing"

	"go.etcd.io/bbolt"
)

// storedIDs returns the run ids stored as keys of a top-level bucket, or of
// the run index of a stack when stack is set.
func storedIDs(tb testing.TB, s *Store, bucket []byte, repo, stack string) []string {
	tb.Helper()
	var ids []string
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucket)
		if stack != "" {
			b = b.Bucket(stackKey(repo, stack))
		}
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			ids = append(ids, formatRunID(k))
			return nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

func TestRetention(t *testing.T) {
	tests := []struct {
		name      string
		retention int
		statuses  []RunStatus
		wantKept  []int // indexes into statuses
	}{
		{
			name:      "keeps newest finished runs and every live one",
			retention: 3,
			statuses:  []RunStatus{StatusRunning, StatusPlanned, StatusErrored, StatusQueued, StatusNoChanges, StatusCanceled, StatusPlanned},
			wantKept:  []int{0, 3, 4, 5, 6},
		},
		{
			name:      "under the limit",
			retention: 5,
			statuses:  []RunStatus{StatusPlanned, StatusSuperseded},
			wantKept:  []int{0, 1},
		},
		{
			name:      "live runs do not count against the limit",
			retention: 1,
			statuses:  []RunStatus{StatusQueued, StatusRunning, StatusInterrupted, StatusPlanned},
			wantKept:  []int{0, 1, 3},
		},
		{
			name:      "negative retention keeps everything",
			retention: -1,
			statuses:  []RunStatus{StatusPlanned, StatusPlanned, StatusPlanned},
			wantKept:  []int{0, 1, 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTestStore(t, Options{Retention: tt.retention})
			other := createRun(t, s, Run{Repo: "infra", Stack: "dns", Status: StatusPlanned})
			var ids []string
			for _, st := range tt.statuses {
				r := createRun(t, s, Run{Repo: "infra", Stack: "net", Status: st})
				if err := s.PutPlan(t.Context(), &Plan{RunID: r.ID, JSON: []byte("{}"), Text: []byte("t"), Analysis: []byte("{}"), File: []byte("f")}); err != nil {
					t.Fatal(err)
				}
				if err := s.PutLog(t.Context(), r.ID, []byte("log")); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, r.ID)
			}

			var want []string
			for _, i := range tt.wantKept {
				want = append(want, ids[i])
			}
			if got := storedIDs(t, s, runsByStackBucket, "infra", "net"); !slices.Equal(got, want) {
				t.Errorf("index: got %v, want %v", got, want)
			}
			wantAll := append([]string{other.ID}, want...)
			if got := storedIDs(t, s, runsBucket, "", ""); !slices.Equal(got, wantAll) {
				t.Errorf("runs: got %v, want %v", got, wantAll)
			}
			for _, b := range runBlobBuckets {
				if got := storedIDs(t, s, b, "", ""); !slices.Equal(got, want) {
					t.Errorf("%s: got %v, want %v", b, got, want)
				}
			}
		})
	}
}

func TestPruneAfterLoweringRetention(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Retention: -1})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 10 {
		ids = append(ids, createRun(t, s, Run{Stack: "net", Status: StatusNoChanges}).ID)
	}
	s.Close()

	s, err = Open(dir, Options{Retention: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, want := range []int{6, 0} {
		n, err := s.Prune(t.Context(), "", "net")
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("Prune deleted %d runs, want %d", n, want)
		}
	}
	if got := storedIDs(t, s, runsBucket, "", ""); !slices.Equal(got, ids[6:]) {
		t.Errorf("runs left: %v, want %v", got, ids[6:])
	}
}
