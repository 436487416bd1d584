package postgres

import (
	"context"
	"testing"

	"github.com/driftgate/driftgate/store/storetest"
	"github.com/driftgate/driftgate/test/pgtest"
)

var _ storetest.Store = (*Store)(nil)

// TestConformance runs the store conformance suite against the PostgreSQL
// store, one fresh database per store the suite opens.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts storetest.Options) storetest.Store {
		var url string
		if opts.Reopen != nil {
			url = opts.Reopen.(*Store).pool.Config().ConnString()
		} else {
			url = pgtest.NewDatabase(t)
		}
		s, err := Open(context.Background(), url, Options{Retention: opts.Retention, EncryptionKey: opts.EncryptionKey})
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
