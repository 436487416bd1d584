package planner

import (
	"context"
	"sync"
)

// workQueue runs tasks, which may add more tasks, on a fixed set of worker
// goroutines. Long-lived workers keep their grown stacks: the HCL parser
// recurses deeply, and a goroutine per task would grow a stack per task.
type workQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	tasks   []func()
	pending int // queued or running
	stopped bool
}

func newWorkQueue() *workQueue {
	q := &workQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// add queues f. It never blocks, so tasks may add tasks.
func (q *workQueue) add(f func()) {
	q.mu.Lock()
	q.tasks = append(q.tasks, f)
	q.pending++
	q.mu.Unlock()
	q.cond.Signal()
}

// run starts workers goroutines and returns when every task has run, or
// when ctx ends (tasks not started by then are dropped).
func (q *workQueue) run(ctx context.Context, workers int) {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.stopped = true
		q.mu.Unlock()
		q.cond.Broadcast()
	})
	defer stop()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(q.work)
	}
	wg.Wait()
}

func (q *workQueue) work() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		for len(q.tasks) == 0 && q.pending > 0 && !q.stopped {
			q.cond.Wait()
		}
		if q.pending == 0 || q.stopped {
			return
		}
		// Last in, first out: the walk goes depth first and keeps the
		// queue short.
		f := q.tasks[len(q.tasks)-1]
		q.tasks[len(q.tasks)-1] = nil
		q.tasks = q.tasks[:len(q.tasks)-1]
		q.mu.Unlock()
		f()
		q.mu.Lock()
		if q.pending--; q.pending == 0 {
			q.cond.Broadcast()
		}
	}
}
