package runner

import (
	"context"
	"errors"
	"time"

	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/store"
)

// Outbox delivery timing.
const (
	outboxPoll       = 5 * time.Second
	outboxCallLimit  = 30 * time.Second
	outboxMinBackoff = 5 * time.Second
	outboxMaxBackoff = 10 * time.Minute
)

// outboxStore is what delivering the forge outbox needs from the store.
type outboxStore interface {
	PendingOutbox(ctx context.Context, repo string, now time.Time) ([]store.OutboxItem, error)
	DoneOutbox(ctx context.Context, it store.OutboxItem) error
	RetryOutbox(ctx context.Context, it store.OutboxItem, next time.Time, cause error) error
}

// runOutbox delivers the forge outbox until ctx ends: whenever woken, and
// every outboxPoll for retries. A forge that fails delays its updates,
// with backoff; it never holds up planning.
func (d *Daemon) runOutbox(ctx context.Context) error {
	for {
		d.deliverOutbox(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-d.outboxPoke:
		case <-time.After(outboxPoll):
		}
	}
}

// outboxWake asks the outbox loop to deliver now.
func (d *Daemon) outboxWake() {
	select {
	case d.outboxPoke <- struct{}{}:
	default:
	}
}

// deliverOutbox makes every due forge update once.
func (d *Daemon) deliverOutbox(ctx context.Context) {
	items, err := d.store.PendingOutbox(ctx, "", time.Now())
	if err != nil {
		if ctx.Err() == nil {
			d.logger.Error("read forge outbox", logErr, err)
		}
		return
	}
	for _, it := range items {
		if ctx.Err() != nil {
			return
		}
		rc, ok := d.repoConfig(it.Repo)
		var err error
		if !ok || rc.Forge == nil {
			err = nil // the repo lost its forge: drop what it had pending
		} else {
			err = d.deliverItem(ctx, rc.Forge.Client, it)
		}
		if err == nil {
			err = d.store.DoneOutbox(ctx, it)
			if err != nil {
				d.logger.Error("record forge update delivered", logRepo, it.Repo, logErr, err)
			}
			continue
		}
		delay := min(outboxMinBackoff<<min(it.Attempts, 10), outboxMaxBackoff)
		var rl *forge.RateLimitError
		if errors.As(err, &rl) && time.Until(rl.Reset) > delay {
			delay = time.Until(rl.Reset)
		}
		d.logger.Warn("forge update failed: will retry", logRepo, it.Repo, logPR, it.PR, logWhat, it.Kind, logRetryIn, delay.Round(time.Second), logErr, err)
		if err := d.store.RetryOutbox(ctx, it, time.Now().Add(delay), err); err != nil {
			d.logger.Error("record forge update retry", logRepo, it.Repo, logErr, err)
		}
	}
}

func (d *Daemon) deliverItem(ctx context.Context, c forge.Client, it store.OutboxItem) error {
	ctx, cancel := context.WithTimeout(ctx, outboxCallLimit)
	defer cancel()
	switch it.Kind {
	case store.OutboxComment:
		_, err := c.UpsertComment(ctx, it.PR, it.Marker, it.Body)
		return err
	case store.OutboxDeleteComment:
		return c.DeleteComment(ctx, it.PR, it.Marker)
	case store.OutboxStatus:
		return c.SetStatus(ctx, it.Commit, forge.Status{Context: it.Context, State: forge.StatusState(it.State), Description: it.Description, TargetURL: it.TargetURL})
	}
	return nil
}
