package store_test

import (
	"path/filepath"
	"testing"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/store/storetest"
)

var _ storetest.Store = (*store.Store)(nil)

// TestConformance runs the store conformance suite against the bbolt store.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts storetest.Options) storetest.Store {
		dir := t.TempDir()
		if opts.Reopen != nil {
			dir = filepath.Dir(opts.Reopen.(*store.Store).Path())
		}
		s, err := store.Open(dir, store.Options{Retention: opts.Retention, EncryptionKey: opts.EncryptionKey})
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close store: %v", err)
			}
		})
		return s
	})
}
