package notify

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/driftgate/driftgate/store"
)

// maxErrorLen bounds the LastError recorded with a delivery.
const maxErrorLen = 500

// work delivers the deliveries queued for s, one at a time and oldest
// first, until ctx ends.
func (n *Notifier) work(ctx context.Context, s Sink) {
	name := s.Name()
	for {
		d, ok := n.next(name)
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-n.wake[name]:
			}
			continue
		}
		n.deliver(ctx, s, d)
		n.done(d.ID)
		if ctx.Err() != nil {
			return
		}
	}
}

// deliver attempts d until it is delivered, fails for good, runs out of
// attempts or ctx ends, recording every attempt. A delivery resumed from
// an earlier run gets what is left of its attempts, and at least one. When
// ctx ends, d stays pending for the next run; an attempt cut off by it is
// not counted.
func (n *Notifier) deliver(ctx context.Context, s Sink, d store.Delivery) {
	logger := n.deliveryLogger(d)
	var ev Event
	if err := json.Unmarshal(d.Event, &ev); err != nil {
		d.Status = store.DeliveryFailed
		d.LastError = "stored event does not decode: " + err.Error()
		n.save(ctx, logger, &d)
		n.attempted(resultFailed)
		logger.Error("delivery failed", logErr, d.LastError)
		return
	}
	budget := max(1, n.opts.Attempts-d.Attempts)
	for try := 1; ; try++ {
		actx, cancel := context.WithTimeout(ctx, n.opts.AttemptTimeout)
		err := s.Send(actx, ev)
		cancel()
		if err != nil && ctx.Err() != nil {
			logger.Info("delivery cut off by shutdown; it is resumed at the next start")
			return
		}
		d.Attempts++
		if err == nil {
			d.Status = store.DeliveryDelivered
			d.LastError = ""
			d.DeliveredAt = time.Now().UTC()
			n.save(ctx, logger, &d)
			n.attempted(resultDelivered)
			logger.Info("notification delivered", logAttempts, d.Attempts)
			return
		}
		d.LastError = clip(err.Error(), maxErrorLen)
		if !retryable(err) || try >= budget {
			d.Status = store.DeliveryFailed
			n.save(ctx, logger, &d)
			n.attempted(resultFailed)
			logger.Error("notification delivery failed; giving up", logAttempts, d.Attempts, logErr, err)
			return
		}
		n.save(ctx, logger, &d)
		n.attempted(resultRetry)
		delay := retryDelay(n.opts.Backoff, n.opts.MaxBackoff, d.Attempts, rand.Float64())
		if se, ok := errors.AsType[*StatusError](err); ok && se.RetryAfter > delay {
			delay = min(se.RetryAfter, n.opts.MaxBackoff)
		}
		logger.Warn("notification delivery attempt failed", logAttempts, d.Attempts, logErr, err, logRetryIn, delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Results of delivery attempts, as Options.OnAttempt is told them.
const (
	resultDelivered = "delivered"
	resultRetry     = "retry"
	resultFailed    = "failed"
)

// attempted tells Options.OnAttempt how an attempt ended.
func (n *Notifier) attempted(result string) {
	if n.opts.OnAttempt != nil {
		n.opts.OnAttempt(result)
	}
}

// save records d. It writes even after ctx ended: an attempt made must be
// recorded, or it would be made again at the next start.
func (n *Notifier) save(ctx context.Context, logger *slog.Logger, d *store.Delivery) {
	if err := n.store.PutDelivery(context.WithoutCancel(ctx), d); err != nil {
		logger.Error("record delivery", logErr, err)
	}
}

// deliveryLogger is the logger of one delivery.
func (n *Notifier) deliveryLogger(d store.Delivery) *slog.Logger {
	return n.logger.With(logDelivery, d.ID, logSink, d.Sink, logEvent, d.EventID,
		logEventType, d.EventType, logRepo, d.Repo, logStack, d.Stack)
}

// retryDelay is the delay after the failed attempt number attempt (from 1):
// base doubled for every earlier failure, capped at most, then jittered
// down by up to half, as jitter in [0, 1) says.
func retryDelay(base, most time.Duration, attempt int, jitter float64) time.Duration {
	d := base
	for i := 1; i < attempt && d < most; i++ {
		d *= 2
	}
	d = min(d, most)
	return d - time.Duration(float64(d/2)*jitter)
}
