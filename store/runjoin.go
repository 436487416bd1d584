package store

import (
	"bytes"

	"go.etcd.io/bbolt"
)

// keySource is a set of run keys read newest first: one index bucket, or
// the union of several. Returned keys are valid only inside the
// transaction; nil means no more keys.
type keySource interface {
	// start positions on the greatest key strictly less than after, or
	// on the greatest key when after is nil.
	start(after []byte) []byte
	// seekLE positions on the greatest key less than or equal to key.
	seekLE(key []byte) []byte
	// prev moves to the next smaller key.
	prev() []byte
}

// runJoin yields the run keys present in every one of its sources, newest
// first, by leapfrogging: each source jumps straight to the smallest head
// among them instead of stepping through the keys the others lack.
type runJoin struct {
	srcs  []keySource
	heads [][]byte
	done  bool
}

// newRunJoin picks the run indexes for f and joins them, starting strictly
// before after. A filter whose index bucket does not exist matches nothing.
func newRunJoin(tx *bbolt.Tx, f RunFilter, after []byte) *runJoin {
	j := &runJoin{}
	sub := func(top []byte, name string) {
		b := tx.Bucket(top).Bucket([]byte(name))
		if b == nil {
			j.done = true
			return
		}
		j.srcs = append(j.srcs, &bucketSource{c: b.Cursor()})
	}
	switch {
	case f.Repo != "" && f.Stack != "":
		sub(runsByStackBucket, string(stackKey(f.Repo, f.Stack)))
	case f.Repo != "":
		sub(runsByRepoBucket, repoKey(f.Repo))
	case f.Stack != "":
		j.addStackInAnyRepo(tx, f.Stack)
	}
	if f.Status != "" {
		sub(runsByStatusBucket, string(f.Status))
	}
	if f.Operation != "" {
		sub(runsByOpBucket, string(f.Operation))
	}
	if len(j.srcs) == 0 && !j.done {
		j.srcs = append(j.srcs, &bucketSource{c: tx.Bucket(runsBucket).Cursor()})
	}
	if j.done {
		return j
	}
	for _, s := range j.srcs {
		j.heads = append(j.heads, s.start(after))
	}
	return j
}

// addStackInAnyRepo adds the union of the run indexes of every stack
// named stack, whatever its repo.
func (j *runJoin) addStackInAnyRepo(tx *bbolt.Tx, stack string) {
	index := tx.Bucket(runsByStackBucket)
	suffix := append([]byte{0}, stack...)
	u := &unionSource{}
	c := index.Cursor()
	for name, v := c.First(); name != nil; name, v = c.Next() {
		if v == nil && bytes.HasSuffix(name, suffix) && bytes.IndexByte(name, 0) == len(name)-len(suffix) {
			u.srcs = append(u.srcs, &bucketSource{c: index.Bucket(name).Cursor()})
		}
	}
	if len(u.srcs) == 0 {
		j.done = true
		return
	}
	j.srcs = append(j.srcs, u)
}

// next returns the next key in every source, or nil.
func (j *runJoin) next() []byte {
	if j.done {
		return nil
	}
	for {
		var low []byte
		for _, h := range j.heads {
			if h == nil {
				j.done = true
				return nil
			}
			if low == nil || bytes.Compare(h, low) < 0 {
				low = h
			}
		}
		agree := true
		for i, h := range j.heads {
			if !bytes.Equal(h, low) {
				j.heads[i] = j.srcs[i].seekLE(low)
				agree = false
			}
		}
		if agree {
			for i, s := range j.srcs {
				j.heads[i] = s.prev()
			}
			return low
		}
	}
}

// bucketSource reads the keys of one bucket.
type bucketSource struct{ c *bbolt.Cursor }

func (s *bucketSource) start(after []byte) []byte {
	k, _ := seekBefore(s.c, after)
	return k
}

func (s *bucketSource) seekLE(key []byte) []byte {
	k, _ := s.c.Seek(key)
	switch {
	case k == nil:
		k, _ = s.c.Last()
	case !bytes.Equal(k, key):
		k, _ = s.c.Prev()
	}
	return k
}

func (s *bucketSource) prev() []byte {
	k, _ := s.c.Prev()
	return k
}

// seekBefore positions c on the last key strictly less than key, or on the
// last key of the bucket when key is nil.
func seekBefore(c *bbolt.Cursor, key []byte) (k, v []byte) {
	if key == nil {
		return c.Last()
	}
	if k, _ := c.Seek(key); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// unionSource reads the keys of several sources whose key sets do not
// overlap (the run indexes of different stacks), newest first.
type unionSource struct {
	srcs  []keySource
	heads [][]byte
}

func (u *unionSource) start(after []byte) []byte {
	u.heads = u.heads[:0]
	for _, s := range u.srcs {
		u.heads = append(u.heads, s.start(after))
	}
	return u.top()
}

func (u *unionSource) seekLE(key []byte) []byte {
	for i, s := range u.srcs {
		if h := u.heads[i]; h != nil && bytes.Compare(h, key) > 0 {
			u.heads[i] = s.seekLE(key)
		}
	}
	return u.top()
}

func (u *unionSource) prev() []byte {
	best := u.best()
	if best < 0 {
		return nil
	}
	u.heads[best] = u.srcs[best].prev()
	return u.top()
}

// best is the index of the greatest head, or -1 when all are done.
func (u *unionSource) best() int {
	best := -1
	for i, h := range u.heads {
		if h != nil && (best < 0 || bytes.Compare(h, u.heads[best]) > 0) {
			best = i
		}
	}
	return best
}

func (u *unionSource) top() []byte {
	if b := u.best(); b >= 0 {
		return u.heads[b]
	}
	return nil
}
