package store

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// TestCompressRoundTrip compresses from many goroutines at once (writers
// are reused) and checks every blob decompresses to its input.
func TestCompressRoundTrip(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				in := bytes.Repeat([]byte(fmt.Sprintf("run %d line %d\n", i, j)), i*j+1)
				z, err := compress(in)
				if err != nil {
					t.Error(err)
					return
				}
				out, err := decompress(z, int64(len(in)))
				if err != nil || !bytes.Equal(out, in) {
					t.Errorf("round trip of %d bytes: %d bytes, %v", len(in), len(out), err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestCompressAllocates checks that compressing a small blob allocates
// about its size, not a new compressor's tables (most of a megabyte) each
// time: a finished run compresses five.
func TestCompressAllocates(t *testing.T) {
	in := bytes.Repeat([]byte("resource \"dgtest_server\" \"s\" { name = \"a\" }\n"), 20)
	if _, err := compress(in); err != nil { // warm the pool
		t.Fatal(err)
	}
	const n = 50
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		if _, err := compress(in); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 64<<10 {
		t.Errorf("compress allocates %d KiB per call", per>>10)
	}
}
