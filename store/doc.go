// Package store persists driftgate's repos, stacks, runs, plans and logs in
// an embedded bbolt database, one file per data dir.
//
// A Store is opened with Open and is safe for concurrent use by many
// goroutines. Only one process may hold a data dir at a time: a second Open
// of the same dir waits Options.Timeout and then fails with ErrLocked.
//
// Runs are keyed by ULIDs, so keys sort by creation time and the newest run of
// a stack is the last key of its index bucket. Plans and logs are kept in
// their own buckets, compressed, and deleted with their run when retention
// prunes it. The stored schema carries a version; Open applies forward-only
// migrations after copying the database to a backup file.
//
// The package is persistence only: it imports neither planner nor runner.
package store
