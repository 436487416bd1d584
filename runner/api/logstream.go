package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/driftgate/driftgate/store"
)

// keepAliveEvery is how often a followed log sends a comment line while
// nothing happens, so proxies and clients keep the stream open.
const keepAliveEvery = 15 * time.Second

// pollQueued is how often a followed log looks at a run that is not
// running in this process yet (queued, awaiting approval).
const pollQueued = 500 * time.Millisecond

// maxEventBytes bounds the text of one log event sent from the store.
const maxEventBytes = 64 << 10

// LiveLogs is the output of the runs in progress, as the store will hold
// it (redacted where the store's copy is).
type LiveLogs interface {
	// ReadLive returns run id's output from byte offset on, whether the
	// run is in progress in this process, and a channel closed when there
	// is more or the run ended. A run not in progress is live=false: its
	// log is the store's.
	ReadLive(id string, offset int64) (chunk []byte, live bool, changed <-chan struct{})
	// Closing is closed when the server shuts down: streams end then, so
	// the shutdown does not wait for them.
	Closing() <-chan struct{}
}

// WithLiveLogs makes GET /api/v1/runs/{id}/log?follow=true stream the
// output of runs in progress as it is written. Without it a followed log
// is sent from the store when the run ends.
func WithLiveLogs(l LiveLogs) Option {
	return func(s *server) { s.live = l }
}

// followLog streams a run's log as Server-Sent Events: what is stored or
// written so far, then what arrives, then, once the run ended and its log
// is stored, the rest of the stored log and an `end` event whose data is
// the final run as JSON.
//
// Each `log` event carries a chunk of the log (one `data:` line per line
// of text) and, as its id, the byte offset in the log after the chunk. A
// client that reconnects with `Last-Event-ID: N` gets the log from byte N
// on, with nothing repeated and nothing skipped. A reader that falls
// behind costs the run nothing: it reads the run's output by offset,
// catching up in chunks, and the run never waits for it.
func (s *server) followLog(w http.ResponseWriter, r *http.Request, run *store.Run) error {
	var offset int64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return badRequest("Last-Event-ID must be a byte offset in the log (a whole number), not %s", quote(v))
		}
		offset = n
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	flush := func() error { return rc.Flush() }
	if err := flush(); err != nil {
		return nil
	}
	keepAlive := time.NewTicker(s.keepAlive)
	defer keepAlive.Stop()
	ctx := r.Context()
	var closing <-chan struct{}
	if s.live != nil {
		closing = s.live.Closing()
	}
	id := run.ID
	for {
		var chunk []byte
		var live bool
		var changed <-chan struct{}
		if s.live != nil {
			chunk, live, changed = s.live.ReadLive(id, offset)
		}
		if len(chunk) > 0 {
			chunk = wholeRunes(chunk)
			if len(chunk) > 0 {
				offset += int64(len(chunk))
				if writeLogEvent(w, chunk, offset) != nil || flush() != nil {
					return nil
				}
				continue
			}
		}
		if !live {
			cur, err := s.svc.Run(ctx, id)
			if err != nil {
				return nil
			}
			if cur.Status.Terminal() {
				s.sendStoredRest(w, r, cur, offset)
				_ = flush()
				return nil
			}
			changed = nil
		}
		var poll <-chan time.Time
		if changed == nil {
			poll = time.After(pollQueued)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-closing:
			return nil
		case <-changed:
		case <-poll:
		case <-keepAlive.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || flush() != nil {
				return nil
			}
		}
	}
}

// sendStoredRest sends the stored log of a finished run from offset on,
// then the end event.
func (s *server) sendStoredRest(w http.ResponseWriter, r *http.Request, run *store.Run, offset int64) {
	log, err := s.svc.Log(r.Context(), run.ID)
	if err != nil && statusOf(err) != http.StatusNotFound {
		s.logger.Error("read log to follow", logErr, err.Error())
	}
	for offset < int64(len(log)) {
		end := min(int64(len(log)), offset+maxEventBytes)
		chunk := log[offset:end]
		if end < int64(len(log)) {
			if c := wholeRunes(chunk); len(c) > 0 {
				chunk = c
			}
		}
		offset += int64(len(chunk))
		if writeLogEvent(w, chunk, offset) != nil {
			return
		}
	}
	body, err := json.Marshal(wireRun(run))
	if err != nil {
		s.logger.Error("encode run", logErr, err.Error())
		return
	}
	_, _ = fmt.Fprintf(w, "event: end\ndata: %s\n\n", body)
}

// writeLogEvent writes chunk as a log event with id offset: one data line
// per line of the chunk, which an SSE client joins back with "\n".
func writeLogEvent(w http.ResponseWriter, chunk []byte, offset int64) error {
	var b bytes.Buffer
	b.WriteString("event: log\n")
	for _, line := range strings.Split(string(chunk), "\n") {
		// A lone CR would end the line for an SSE client too.
		line = strings.ReplaceAll(line, "\r", "")
		b.WriteString("data: ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "id: %d\n\n", offset)
	_, err := w.Write(b.Bytes())
	return err
}

// wholeRunes returns chunk without a UTF-8 sequence cut at its end, so an
// event never splits a character; the rest follows in the next one.
func wholeRunes(chunk []byte) []byte {
	for i := 1; i <= utf8.UTFMax && i <= len(chunk); i++ {
		if utf8.RuneStart(chunk[len(chunk)-i]) {
			if !utf8.FullRune(chunk[len(chunk)-i:]) {
				return chunk[:len(chunk)-i]
			}
			return chunk
		}
	}
	return chunk
}
