// Package store persists driftgate's repos, stacks, runs, plans and logs in
// an embedded bbolt database. It imports neither planner nor runner.
package store
