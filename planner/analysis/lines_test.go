package analysis

import (
	"bytes"
	"strings"
	"testing"
)

// recorder keeps every write apart.
type recorder struct{ writes []string }

func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func secretsOf(values ...string) *Secrets {
	s := NewSecrets()
	for _, v := range values {
		s.Add(v)
	}
	return s
}

func TestLineWriter(t *testing.T) {
	const secret = "hunter2-password"
	m := Marker
	tests := []struct {
		name   string
		chunks []string // what is written, in order
		want   []string // what reaches w, write by write
	}{
		{"whole lines pass in one write", []string{"a\nb\n"}, []string{"a\nb\n"}},
		{"a partial line waits for its newline", []string{"ab", "c\nd", "e\n"}, []string{"abc\n", "de\n"}},
		{"a secret split across writes is found", []string{"pw=hunter2-pa", "ssword ok\n"}, []string{"pw=" + m + " ok\n"}},
		{"a secret byte by byte", strings.Split("x hunter2-password\n", ""), []string{"x " + m + "\n"}},
		{"the last line without newline is flushed", []string{"a\n", "tail hunter2-password"}, []string{"a\n", "tail " + m}},
		{"nothing to write writes nothing", []string{"", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r recorder
			lw := NewLineWriter(&r, secretsOf(secret))
			for _, c := range tt.chunks {
				if n, err := lw.Write([]byte(c)); n != len(c) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", c, n, err)
				}
			}
			lw.Flush()
			if strings.Join(r.writes, "|") != strings.Join(tt.want, "|") {
				t.Errorf("writes %q, want %q", r.writes, tt.want)
			}
			for _, w := range r.writes[:max(0, len(r.writes)-1)] {
				if !strings.HasSuffix(w, "\n") {
					t.Errorf("write %q is not whole lines", w)
				}
			}
		})
	}
}

// TestLineWriterMultiLineSecret masks a secret spanning lines line by line:
// no write holds any of its lines.
func TestLineWriterMultiLineSecret(t *testing.T) {
	key := "-----BEGIN KEY-----\nMIIEpAIBAAKCAQEAx\n-----END KEY-----"
	var r recorder
	lw := NewLineWriter(&r, secretsOf(key))
	for _, c := range []string{"key: -----BEGIN KEY-----\nMIIEpA", "IBAAKCAQEAx\n-----END KEY-----\n"} {
		_, _ = lw.Write([]byte(c))
	}
	lw.Flush()
	got := strings.Join(r.writes, "")
	for _, line := range strings.Split(key, "\n") {
		if strings.Contains(got, line) {
			t.Errorf("output %q holds %q", got, line)
		}
	}
}

// TestLineWriterJoinedIsScrub checks that what a LineWriter writes, joined,
// is what Scrub makes of the whole text at once, however it was cut.
func TestLineWriterJoinedIsScrub(t *testing.T) {
	s := secretsOf("hunter2-password", "hunter2", "tok-3141592653", "abc")
	text := "init\npw hunter2-password and hunter2 and hunter2-pass\n" +
		"tok-3141592653tok-3141592653\nabc abcdef\nno newline tok-3141592653"
	want := string(s.Lines().Scrub([]byte(text)))
	for size := 1; size <= len(text); size++ {
		var out bytes.Buffer
		lw := NewLineWriter(&out, s)
		for i := 0; i < len(text); i += size {
			_, _ = lw.Write([]byte(text[i:min(len(text), i+size)]))
		}
		lw.Flush()
		if out.String() != want {
			t.Fatalf("written in pieces of %d: %q, want %q", size, out.String(), want)
		}
	}
}

func TestSecretsLines(t *testing.T) {
	s := secretsOf("one-line-secret", "first-line\r\nsecond-line\nab")
	lines := s.Lines()
	for _, v := range []string{"one-line-secret", "first-line", "second-line"} {
		if lines.ScrubString("<"+v+">") != "<"+Marker+">" {
			t.Errorf("%q is not a secret of Lines()", v)
		}
	}
	if lines.Len() != 3 {
		t.Errorf("Lines() holds %d secrets, want 3 (too short a line is no secret)", lines.Len())
	}
	if s.Len() != 2 {
		t.Errorf("Lines() changed the set: %d secrets", s.Len())
	}
}
