package analysis

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// Lines returns a copy of s for scrubbing text line by line: a secret
// spanning several lines (a PEM key) is replaced by each of its lines, so
// that every secret in the copy fits in one line of text and is found by
// looking at one line at a time.
func (s *Secrets) Lines() *Secrets {
	out := NewSecrets()
	for v := range s.values {
		if !strings.ContainsAny(v, "\r\n") {
			out.Add(v)
			continue
		}
		for _, line := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' }) {
			out.Add(line)
		}
	}
	return out
}

// LineWriter scrubs text written to it line by line, with a set of secrets
// known before the text is written, and passes it on to w: it writes only
// whole lines, and holds a line back until its newline has been written, so
// a secret is never split across two writes to w and always found. Flush
// writes the last line when the text does not end with a newline.
//
// Since every secret of the set fits in a line (see Secrets.Lines), what
// LineWriter writes is, joined, what Secrets.Scrub makes of the whole text.
// Errors of w are ignored: w watches the output, it takes no part in it.
// A LineWriter is safe for concurrent use.
type LineWriter struct {
	mu      sync.Mutex
	w       io.Writer
	secrets *Secrets
	partial []byte // the text after the last newline written
}

// NewLineWriter returns a LineWriter scrubbing with the lines of secrets
// (see Secrets.Lines); later changes to secrets do not affect it.
func NewLineWriter(w io.Writer, secrets *Secrets) *LineWriter {
	return &LineWriter{w: w, secrets: secrets.Lines()}
}

// Write scrubs and passes on the lines p completes and holds the rest. It
// always reports all of p written.
func (l *LineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := bytes.LastIndexByte(p, '\n')
	if i < 0 {
		l.partial = append(l.partial, p...)
		return len(p), nil
	}
	lines := append(l.partial, p[:i+1]...)
	_, _ = l.w.Write(l.secrets.Scrub(lines))
	l.partial = append([]byte(nil), p[i+1:]...)
	return len(p), nil
}

// Flush scrubs and passes on the line held back, if any: call it once the
// text is complete.
func (l *LineWriter) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) == 0 {
		return
	}
	_, _ = l.w.Write(l.secrets.Scrub(l.partial))
	l.partial = nil
}
