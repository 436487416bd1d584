package store

import "go.etcd.io/bbolt"

// Stats returns the database's bbolt statistics (transactions, pages,
// time spent writing), for the daemon's metrics.
func (s *Store) Stats() bbolt.Stats { return s.db.Stats() }
