package notify

import (
	"slices"
	"sync"
	"testing"
)

// TestOnAttemptReportsResults: Options.OnAttempt hears how each attempt
// ended, as the metrics count deliveries.
func TestOnAttemptReportsResults(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		want     []string
	}{
		{"retried then delivered", []int{500, 500, 200}, []string{resultRetry, resultRetry, resultDelivered}},
		{"not retryable", []int{404}, []string{resultFailed}},
		{"out of attempts", []int{503}, []string{resultRetry, resultRetry, resultRetry, resultFailed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			r := newReceiver(t, tt.statuses...)
			var mu sync.Mutex
			var got []string
			opts := fastOptions(nil)
			opts.OnAttempt = func(result string) {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, result)
			}
			n, err := New(st, []Route{{Sink: NewSlack("chat", r.url(), nil)}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			stop := startNotifier(t, n)
			n.Notify(t.Context(), driftEvent())
			waitDeliveries(t, st, 1)
			stop() // the worker has reported all it will
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(got, tt.want) {
				t.Errorf("attempts %v, want %v", got, tt.want)
			}
		})
	}
}
