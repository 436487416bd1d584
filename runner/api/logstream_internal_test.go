package api

import (
	"net/http/httptest"
	"testing"
)

func TestWriteLogEvent(t *testing.T) {
	tests := []struct {
		chunk string
		want  string
	}{
		{"one\n", "event: log\ndata: one\ndata: \nid: 4\n\n"},
		{"one\ntwo", "event: log\ndata: one\ndata: two\nid: 7\n\n"},
		{"50%\r100%\r\n", "event: log\ndata: 50%100%\ndata: \nid: 10\n\n"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		if err := writeLogEvent(rec, []byte(tt.chunk), int64(len(tt.chunk))); err != nil {
			t.Fatal(err)
		}
		if got := rec.Body.String(); got != tt.want {
			t.Errorf("writeLogEvent(%q) = %q, want %q", tt.chunk, got, tt.want)
		}
	}
}

func TestWholeRunes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", "abc"},
		{"a→", "a→"},
		{"a\xe2\x86", "a"},
		{"a\xe2", "a"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := string(wholeRunes([]byte(tt.in))); got != tt.want {
			t.Errorf("wholeRunes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
