package runner

import (
	"sync"
)

// maxLiveChunk bounds one ReadLive answer, so that a reader far behind
// catches up in pieces of a size an SSE event can carry.
const maxLiveChunk = 64 << 10

// logHub holds the output of the runs in progress in this process, for the
// readers that follow them live (GET /api/v1/runs/{id}/log?follow=true).
//
// Each run's output is kept once, and readers read it by byte offset: a
// writer appends and wakes the readers, never waiting for any of them, so a
// slow reader (or one that never reads) cannot hold a run back, and costs
// nothing but its offset. When the run ends, after its outcome and log are
// in the store, the hub forgets it and readers continue from the store.
//
// What goes in is what the store will hold: an apply's output as terraform
// prints it (terraform masks sensitive values, and the log is stored as
// printed), and a plan's or drift check's output line by line, masked of
// the secrets known before terraform starts (the values of sensitive
// variables, the sensitive values of the prior state; see tfrun.PlanRequest
// Live). The stored plan log is scrubbed of those and of the secrets the
// finished plan reveals, so it is what streamed unless terraform printed,
// unmarked, a secret known only at the end.
type logHub struct {
	mu   sync.Mutex
	runs map[string]*liveLog
	// closing is closed when the API shuts down, ending live streams.
	closing   chan struct{}
	closeOnce sync.Once
}

// liveLog is one run's output so far.
type liveLog struct {
	buf []byte
	// changed is closed, and replaced, by every write and by the end.
	changed chan struct{}
}

func newLogHub() *logHub {
	return &logHub{runs: map[string]*liveLog{}, closing: make(chan struct{})}
}

// Closing is closed when the API shuts down: followers end their streams
// (their clients reconnect to the next server) so the shutdown does not
// wait for them.
func (h *logHub) Closing() <-chan struct{} { return h.closing }

// close ends the live streams; see Closing.
func (h *logHub) close() { h.closeOnce.Do(func() { close(h.closing) }) }

// start registers run id as in progress and returns the writer its output
// goes to.
func (h *logHub) start(id string) *liveWriter {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.runs[id]; !ok {
		h.runs[id] = &liveLog{changed: make(chan struct{})}
	}
	return &liveWriter{hub: h, id: id}
}

// finish forgets run id and wakes its readers, who then read the store.
// Call it only after the run's outcome and log are stored.
func (h *logHub) finish(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if l, ok := h.runs[id]; ok {
		close(l.changed)
		delete(h.runs, id)
	}
}

// ReadLive returns the output of run id from byte offset on (at most
// maxLiveChunk bytes, copied), whether the run is in progress here, and a
// channel closed when there is more to read or the run ended. A run not in
// progress in this process (queued, finished, or run by no one) is
// live=false with a nil channel: its log is the store's.
func (h *logHub) ReadLive(id string, offset int64) (chunk []byte, live bool, changed <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, ok := h.runs[id]
	if !ok {
		return nil, false, nil
	}
	if offset < 0 || offset > int64(len(l.buf)) {
		offset = int64(len(l.buf))
	}
	end := min(int64(len(l.buf)), offset+maxLiveChunk)
	if end > offset {
		chunk = append([]byte(nil), l.buf[offset:end]...)
	}
	return chunk, true, l.changed
}

// liveWriter appends one run's output to the hub. It never blocks on
// readers.
type liveWriter struct {
	hub *logHub
	id  string
}

// Write appends p to the run's live log; after the run finished it drops p.
func (w *liveWriter) Write(p []byte) (int, error) {
	w.hub.mu.Lock()
	defer w.hub.mu.Unlock()
	l, ok := w.hub.runs[w.id]
	if !ok || len(p) == 0 {
		return len(p), nil
	}
	l.buf = append(l.buf, p...)
	close(l.changed)
	l.changed = make(chan struct{})
	return len(p), nil
}
