package store

import "log/slog"

// A record whose bytes no longer decode (a flipped bit on disk, a bad
// restore) must not take every listing down with it: the list calls skip it,
// log it at error level with its bucket and key, and answer the rest.
// `driftgate store check` (Check) reports every such record.

// Log keys of skipped records.
const (
	logKeyBucket = "bucket"
	logKeyKey    = "key"
	logKeyError  = "error"
)

// skipUnreadable logs a record of bucket, named by key, that a listing
// skips because it does not decode.
func (s *Store) skipUnreadable(bucket []byte, key string, err error) {
	s.logger.Error("skipping unreadable record; run `driftgate store check` and restore from a backup",
		logKeyBucket, string(bucket), logKeyKey, key, slog.Any(logKeyError, err))
}
