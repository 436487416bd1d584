package store

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
)

// compress gzips b at the fastest level: plans and logs are text that
// compresses well even so, and writes stay cheap.
func compress(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(b)/4 + 64)
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	return buf.Bytes(), nil
}

// decompress reverses compress. sizeHint, when positive, is the expected
// uncompressed size.
func decompress(b []byte, sizeHint int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	var out bytes.Buffer
	if sizeHint > 0 {
		out.Grow(int(sizeHint) + bytes.MinRead)
	}
	if _, err := io.Copy(&out, zr); err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	if err := zr.Close(); err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	return out.Bytes(), nil
}
