package forge

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Verdict is what a failed forge call calls for.
type Verdict int

// Verdicts of a failed attempt.
const (
	Permanent Verdict = iota // give up with the error
	Transient                // retry with backoff
	Limited                  // rate limited until a reset time
)

// MaxBackoff caps the wait between retries of a transient failure.
const MaxBackoff = 10 * time.Second

// Defaults of a RetryPolicy's zero fields.
const (
	DefaultCallTimeout      = 30 * time.Second
	DefaultRetries          = 4
	DefaultBackoff          = 500 * time.Millisecond
	DefaultMaxRateLimitWait = time.Minute
)

// RetryPolicy says how Retry retries a forge call; zero fields take the
// defaults above.
type RetryPolicy struct {
	// Forge names the forge in errors and logs ("github").
	Forge string
	// CallTimeout bounds each attempt.
	CallTimeout time.Duration
	// Retries is how many times a transient failure (or a rate limit
	// waited out) is retried.
	Retries int
	// Backoff is the first wait after a transient failure; it doubles,
	// up to MaxBackoff.
	Backoff time.Duration
	// MaxRateLimitWait is the longest rate-limit reset Retry waits for;
	// a later one is a *RateLimitError.
	MaxRateLimitWait time.Duration
	Logger           *slog.Logger
}

// Retry runs op, one attempt at a time, each bounded by CallTimeout. It
// retries transient failures (as classify reads them: 5xx, connection
// errors, an attempt's timeout) with capped exponential backoff, waits out
// a rate limit whose reset is within MaxRateLimitWait (and before ctx's
// deadline), and otherwise returns a *RateLimitError. classify also
// returns the error to report (such as ErrNotFound for a 404). what names
// the call in errors.
func Retry(ctx context.Context, p RetryPolicy, what string, op func(context.Context) error,
	classify func(err error, now time.Time) (Verdict, time.Time, error)) error {
	p = p.withDefaults()
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, p.CallTimeout)
		err := op(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %s: %w", p.Forge, what, ctx.Err())
		}
		v, reset, err := classify(err, time.Now())
		switch v {
		case Limited:
			// A reset already past still waits a backoff step, so a forge
			// repeating it does not make a busy loop.
			wait := max(time.Until(reset), p.Backoff)
			dl, hasDL := ctx.Deadline()
			if wait > p.MaxRateLimitWait || (hasDL && dl.Before(reset)) || attempt > p.Retries {
				return fmt.Errorf("%s: %s: %w", p.Forge, what, &RateLimitError{Reset: reset})
			}
			p.logger().Warn(p.Forge+" rate limit; waiting for the reset", logCall, what, logWait, wait)
			if err := sleep(ctx, wait); err != nil {
				return fmt.Errorf("%s: %s: %w", p.Forge, what, err)
			}
		case Transient:
			if attempt > p.Retries {
				return fmt.Errorf("%s: %s: gave up after %d attempts: %w", p.Forge, what, attempt, err)
			}
			wait := min(p.Backoff<<(attempt-1), MaxBackoff)
			p.logger().Warn(p.Forge+" call failed; retrying", logCall, what, logAttempt, attempt, logErr, err.Error())
			if err := sleep(ctx, wait); err != nil {
				return fmt.Errorf("%s: %s: %w", p.Forge, what, err)
			}
		default:
			return fmt.Errorf("%s: %s: %w", p.Forge, what, err)
		}
	}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.CallTimeout <= 0 {
		p.CallTimeout = DefaultCallTimeout
	}
	if p.Retries <= 0 {
		p.Retries = DefaultRetries
	}
	if p.Backoff <= 0 {
		p.Backoff = DefaultBackoff
	}
	if p.MaxRateLimitWait <= 0 {
		p.MaxRateLimitWait = DefaultMaxRateLimitWait
	}
	return p
}

func (p RetryPolicy) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// Log keys.
const (
	logCall    = "call"
	logWait    = "wait"
	logAttempt = "attempt"
	logErr     = "err"
)

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
