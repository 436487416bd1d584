package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"server error", &StatusError{Code: 500}, true},
		{"bad gateway, wrapped", fmt.Errorf("slack chat: %w", &StatusError{Code: 502}), true},
		{"too many requests", &StatusError{Code: 429}, true},
		{"request timeout", &StatusError{Code: 408}, true},
		{"not found", &StatusError{Code: 404}, false},
		{"bad request", &StatusError{Code: 400}, false},
		{"gone", &StatusError{Code: 410}, false},
		{"redirect not followed", &StatusError{Code: 302}, false},
		{"network", errors.New("post: dial tcp: connection refused"), true},
		{"attempt timeout", fmt.Errorf("post: %w", context.DeadlineExceeded), true},
		{"permanent", fmt.Errorf("webhook x: %w: encode event", errPermanent), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryable(tt.err); got != tt.want {
				t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestCleanSnippet(t *testing.T) {
	target := "https://hooks.slack.com" + slackPath
	tests := []struct {
		name string
		body string
		want string
	}{
		{"plain", "invalid_payload", "invalid_payload"},
		{"multi-line", "<html>\n  <body>oops</body>\n</html>\n", "<html> <body>oops</body> </html>"},
		{"echoes the URL", "no service at " + target, "no service at [sink url]"},
		{"echoes the path", "POST " + slackPath + " failed", "POST [sink url] failed"},
		{"long", strings.Repeat("x", 300), strings.Repeat("x", maxBodySnippet) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanSnippet([]byte(tt.body), target); got != tt.want {
				t.Errorf("cleanSnippet = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"30", 30 * time.Second},
		{" 2 ", 2 * time.Second},
		{"-1", 0},
		{"Wed, 21 Oct 2015 07:28:00 GMT", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	tests := []struct {
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{1, 0, time.Second},
		{2, 0, 2 * time.Second},
		{3, 0, 4 * time.Second},
		{6, 0, 32 * time.Second},
		{7, 0, time.Minute},
		{50, 0, time.Minute},
		{1, 0.5, 750 * time.Millisecond},
		{3, 0.999, 4*time.Second - time.Duration(float64(2*time.Second)*0.999)},
		{7, 0.5, 45 * time.Second},
	}
	for _, tt := range tests {
		if got := retryDelay(time.Second, time.Minute, tt.attempt, tt.jitter); got != tt.want {
			t.Errorf("retryDelay(1s, 1m, %d, %v) = %v, want %v", tt.attempt, tt.jitter, got, tt.want)
		}
	}
}
