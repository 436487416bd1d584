package forge

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRetry(t *testing.T) {
	errBoom := errors.New("boom")
	p := RetryPolicy{Forge: "test", CallTimeout: time.Second, Retries: 2, Backoff: time.Millisecond, MaxRateLimitWait: 50 * time.Millisecond}
	tests := []struct {
		name      string
		verdicts  []Verdict // one per failed attempt; success after them
		reset     time.Duration
		wantCalls int
		wantErr   func(error) bool
	}{
		{"success", nil, 0, 1, func(err error) bool { return err == nil }},
		{"transient then success", []Verdict{Transient, Transient}, 0, 3, func(err error) bool { return err == nil }},
		{"transient beyond retries", []Verdict{Transient, Transient, Transient, Transient}, 0, 3, func(err error) bool { return errors.Is(err, errBoom) }},
		{"permanent at once", []Verdict{Permanent}, 0, 1, func(err error) bool { return errors.Is(err, errBoom) }},
		{"short rate limit waited out", []Verdict{Limited}, 10 * time.Millisecond, 2, func(err error) bool { return err == nil }},
		{"long rate limit reported", []Verdict{Limited}, time.Hour, 1, func(err error) bool {
			var rle *RateLimitError
			return errors.As(err, &rle)
		}},
	}
	for _, tt := range tests {
		calls := 0
		err := Retry(context.Background(), p, "call", func(context.Context) error {
			calls++
			if calls <= len(tt.verdicts) {
				return errBoom
			}
			return nil
		}, func(err error, now time.Time) (Verdict, time.Time, error) {
			return tt.verdicts[calls-1], now.Add(tt.reset), err
		})
		if calls != tt.wantCalls || !tt.wantErr(err) {
			t.Errorf("%s: %d calls, err %v; want %d calls", tt.name, calls, err, tt.wantCalls)
		}
	}
}
