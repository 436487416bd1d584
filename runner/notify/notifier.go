package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/driftgate/driftgate/store"
)

// Defaults applied by New to zero Options fields.
const (
	// DefaultAttempts is how many times a delivery is attempted.
	DefaultAttempts = 5
	// DefaultBackoff is the delay before the first retry; it doubles
	// after each failed attempt.
	DefaultBackoff = time.Second
	// DefaultMaxBackoff caps the delay between attempts.
	DefaultMaxBackoff = time.Minute
	// DefaultAttemptTimeout bounds one attempt.
	DefaultAttemptTimeout = 30 * time.Second
	// DefaultRetention is how long finished deliveries are kept.
	DefaultRetention = 30 * 24 * time.Hour
)

// pruneInterval is how often Run deletes finished deliveries older than
// the retention.
const pruneInterval = time.Hour

// deliveryStore is what a Notifier needs from the store.
type deliveryStore interface {
	PutDelivery(ctx context.Context, d *store.Delivery) error
	PendingDeliveries(ctx context.Context) ([]store.Delivery, error)
	PruneDeliveries(ctx context.Context, cutoff time.Time) (int, error)
}

// Route sends some events to a sink.
type Route struct {
	// Sink receives the events.
	Sink Sink
	// Events lists the event types sent; empty means all of them.
	Events []EventType
	// Repos lists the repos whose events are sent; empty means all of
	// them. Local runs have the empty repo.
	Repos []string
}

// wants reports whether r sends ev.
func (r Route) wants(ev *Event) bool {
	return (len(r.Events) == 0 || slices.Contains(r.Events, ev.Type)) &&
		(len(r.Repos) == 0 || slices.Contains(r.Repos, ev.Repo))
}

// Options tunes a Notifier. The zero value is usable.
type Options struct {
	// Attempts is how many times a delivery is attempted before it is
	// recorded failed. Zero or negative means DefaultAttempts.
	Attempts int
	// Backoff is the delay before the first retry, doubled after every
	// failed attempt up to MaxBackoff; each delay is jittered down by up
	// to half. Zero or negative means DefaultBackoff.
	Backoff time.Duration
	// MaxBackoff caps the delay between attempts. Zero or negative means
	// DefaultMaxBackoff.
	MaxBackoff time.Duration
	// AttemptTimeout bounds one attempt. Zero or negative means
	// DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// Retention is how long delivered and failed deliveries are kept.
	// Zero means DefaultRetention; negative keeps them forever.
	Retention time.Duration
	// Logger receives the notifier's logs. Nil discards them.
	Logger *slog.Logger
	// OnAttempt, when set, is told how each delivery attempt ended:
	// "delivered", "retry" (failed, to be retried) or "failed" (given up).
	OnAttempt func(result string)
}

// Notifier queues events for delivery to sinks and delivers them in the
// background, durably: see the package doc. Build it with New; call Notify
// from anywhere and run Run in the caller's errgroup.
type Notifier struct {
	store  deliveryStore
	routes []Route
	sinks  map[string]Sink
	opts   Options
	logger *slog.Logger

	mu      sync.Mutex
	running bool
	queues  map[string][]store.Delivery // by sink name, oldest first
	queued  map[string]bool             // delivery ids queued or in delivery
	wake    map[string]chan struct{}    // by sink name
}

// New builds a notifier that records deliveries in st and sends events
// along routes. Sink names must be unique and non-empty, and filters must
// name known event types. A webhook sink without a secret is logged as a
// warning here, once.
func New(st deliveryStore, routes []Route, opts Options) (*Notifier, error) {
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = DefaultAttemptTimeout
	}
	if opts.Retention == 0 {
		opts.Retention = DefaultRetention
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{
		store:  st,
		routes: slices.Clone(routes),
		sinks:  map[string]Sink{},
		opts:   opts,
		logger: logger,
		queues: map[string][]store.Delivery{},
		queued: map[string]bool{},
		wake:   map[string]chan struct{}{},
	}
	for _, r := range routes {
		if r.Sink == nil {
			return nil, errors.New("notifier: a route has no sink")
		}
		name := r.Sink.Name()
		if name == "" {
			return nil, errors.New("notifier: a sink has no name")
		}
		if _, dup := n.sinks[name]; dup {
			return nil, fmt.Errorf("notifier: two sinks are named %q", name)
		}
		for _, t := range r.Events {
			if !t.Valid() {
				return nil, fmt.Errorf("notifier: sink %q: unknown event type %q (want one of %v)", name, t, EventTypes)
			}
		}
		n.sinks[name] = r.Sink
		n.wake[name] = make(chan struct{}, 1)
		if w, ok := r.Sink.(*webhook); ok && !w.signed() {
			logger.Warn("webhook has no secret: its requests are not signed and receivers cannot tell them from forgeries", logSink, name)
		}
	}
	return n, nil
}

// Notify queues ev for delivery to every sink whose route wants its type
// and repo, and returns without waiting on the network. It assigns ev.ID
// (a ULID) and ev.Time when they are empty, redacts sensitive values, and
// records a pending delivery per sink, carrying the event, in the store.
// The records are written even when ctx is already done, so an event found
// as the daemon stops is still delivered at the next start. Failures are
// logged: an event of an unknown type, or one the store cannot record, is
// dropped.
func (n *Notifier) Notify(ctx context.Context, ev Event) {
	if ev.ID == "" {
		ev.ID = ulid.Make().String()
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	logger := n.logger.With(logEvent, ev.ID, logEventType, string(ev.Type), logRepo, ev.Repo, logStack, ev.Stack)
	if !ev.Type.Valid() {
		logger.Error("notification dropped: unknown event type")
		return
	}
	ev = ev.Redacted()
	body, err := json.Marshal(ev)
	if err != nil {
		logger.Error("notification dropped: cannot encode event", logErr, err)
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, r := range n.routes {
		if !r.wants(&ev) {
			continue
		}
		d := store.Delivery{
			EventID:   ev.ID,
			EventType: string(ev.Type),
			Sink:      r.Sink.Name(),
			Repo:      ev.Repo,
			Stack:     ev.Stack,
			Status:    store.DeliveryPending,
			Event:     body,
		}
		if err := n.store.PutDelivery(ctx, &d); err != nil {
			logger.Error("notification dropped: cannot record delivery", logSink, d.Sink, logErr, err)
			continue
		}
		// Only a running notifier queues in memory. One that does not
		// run (a cluster node that does not lead) leaves the delivery to
		// whichever notifier resumes it from the store; Run sets running
		// before it resumes, and the delivery is written before running is
		// read, so none is missed.
		if n.isRunning() {
			n.enqueue(d)
		}
	}
}

// isRunning reports whether Run is running.
func (n *Notifier) isRunning() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.running
}

// Run delivers queued notifications until ctx ends and returns nil then.
// It first resumes the deliveries the store holds as pending, from earlier
// runs, and prunes old finished ones. Deliveries not made when ctx ends stay
// pending for the next Run. Run must not be called again before it returned.
func (n *Notifier) Run(ctx context.Context) error {
	n.mu.Lock()
	if n.running {
		n.mu.Unlock()
		return errors.New("notifier: Run called twice")
	}
	n.running = true
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		n.running = false
		n.mu.Unlock()
	}()

	if err := n.resume(ctx); err != nil && ctx.Err() == nil {
		// New events are still delivered; the old ones wait for a restart.
		n.logger.Error("resume pending deliveries", logErr, err)
	}
	var wg sync.WaitGroup
	for _, s := range n.sinks {
		wg.Go(func() { n.work(ctx, s) })
	}
	n.pruneLoop(ctx)
	wg.Wait()
	return nil
}

// Resume queues the deliveries the store holds as pending that this
// notifier has not queued yet, while Run runs: those another process
// sharing the store recorded (a node of a cluster that does not deliver).
// Deliveries queued or under way are not queued twice.
func (n *Notifier) Resume(ctx context.Context) error {
	return n.resume(ctx)
}

// resume queues the deliveries the store holds as pending. Those of sinks
// no longer configured are recorded failed.
func (n *Notifier) resume(ctx context.Context) error {
	pending, err := n.store.PendingDeliveries(ctx)
	if err != nil {
		return err
	}
	var resumed int
	for _, d := range pending {
		if _, ok := n.sinks[d.Sink]; !ok {
			d.Status = store.DeliveryFailed
			d.LastError = fmt.Sprintf("sink %q is no longer configured", d.Sink)
			n.save(ctx, n.deliveryLogger(d), &d)
			continue
		}
		if n.enqueue(d) {
			resumed++
		}
	}
	if resumed > 0 {
		n.logger.Info("resuming pending deliveries", logCount, resumed)
	}
	return nil
}

// pruneLoop deletes old finished deliveries now and every pruneInterval
// until ctx ends.
func (n *Notifier) pruneLoop(ctx context.Context) {
	if n.opts.Retention < 0 {
		<-ctx.Done()
		return
	}
	tick := time.NewTicker(pruneInterval)
	defer tick.Stop()
	for {
		pruned, err := n.store.PruneDeliveries(ctx, time.Now().Add(-n.opts.Retention))
		switch {
		case err != nil && ctx.Err() == nil:
			n.logger.Error("prune old deliveries", logErr, err)
		case pruned > 0:
			n.logger.Debug("pruned old deliveries", logCount, pruned)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// enqueue adds d to its sink's queue, in id (creation) order, and wakes
// the sink's worker. It reports false for a delivery already queued or
// under way.
func (n *Notifier) enqueue(d store.Delivery) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.queued[d.ID] {
		return false
	}
	n.queued[d.ID] = true
	q := n.queues[d.Sink]
	i, _ := slices.BinarySearchFunc(q, d.ID, func(e store.Delivery, id string) int {
		return cmp.Compare(e.ID, id) // ULIDs: string order is creation order
	})
	n.queues[d.Sink] = slices.Insert(q, i, d)
	select {
	case n.wake[d.Sink] <- struct{}{}:
	default:
	}
	return true
}

// next takes the oldest queued delivery of sink; it stays marked queued
// until done is called.
func (n *Notifier) next(sink string) (store.Delivery, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	q := n.queues[sink]
	if len(q) == 0 {
		return store.Delivery{}, false
	}
	d := q[0]
	q[0] = store.Delivery{}
	n.queues[sink] = q[1:]
	return d, true
}

// done forgets a delivery taken by next.
func (n *Notifier) done(id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.queued, id)
}
