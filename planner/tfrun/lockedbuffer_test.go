package tfrun

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// TestLockedBufferTeeOrder checks that the tee of a buffer written by
// concurrent goroutines (terraform's stdout and stderr) sees the writes in
// the buffer's order: a live log reader resumes by byte offset into the
// stored log.
func TestLockedBufferTeeOrder(t *testing.T) {
	var tee bytes.Buffer
	b := lockedBuffer{tee: &tee}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				fmt.Fprintf(&b, "writer %d line %d\n", g, i)
			}
		}()
	}
	wg.Wait()
	if !bytes.Equal(b.Bytes(), tee.Bytes()) {
		t.Errorf("the tee saw the writes in another order than the buffer")
	}
}
