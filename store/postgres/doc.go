// Package postgres is driftgate's PostgreSQL store, for several `driftgate
// serve` nodes sharing one database. It keeps the records, rules of
// storage and errors of the bbolt store in package store (whose types it
// uses): the same ordering, filters, paging, retention, audit entries
// written in the transaction of their action, and plan files and state
// version bodies sealed with the encryption key in the same format.
//
// The schema is in migrations/, numbered .sql files embedded in the binary
// and applied by Open under an advisory lock, so that nodes starting
// together migrate once; the version reached is recorded, and a binary
// older than the database's schema refuses to start.
//
// Every change to runs is one transaction that locks the rows it reads
// (SELECT ... FOR UPDATE) and the stack it changes (a transaction-level
// advisory lock), so nodes never interleave their changes to one stack. The schema allows at most one running run per
// stack; a write that would make a second fails with store.ErrConflict.
package postgres
