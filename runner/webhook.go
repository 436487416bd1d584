package runner

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/driftgate/driftgate/runner/forge"
)

// maxWebhookBody bounds a webhook delivery's body.
const maxWebhookBody = 25 << 20

// webhookQueue bounds the deliveries waiting to be acted on.
const webhookQueue = 256

// Log keys of webhooks.
const (
	logDelivery = "delivery"
	logEvent    = "event"
	logPR       = "pr"
)

// webhookStore is what receiving webhooks needs from the store.
type webhookStore interface {
	SeenDelivery(ctx context.Context, repo, id string, now time.Time) (bool, error)
	ForgetDelivery(ctx context.Context, repo, id string) error
}

// webhookEvent is a verified delivery waiting to be acted on.
type webhookEvent struct {
	repo string
	ev   *forge.Event
}

// serveWebhook receives POST /webhooks/{repo}: it checks the forge's
// signature, parses the event, records its delivery id and answers 202,
// leaving the work to the PR loop (prloop.go). It needs no API token.
func (d *Daemon) serveWebhook(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("repo")
	rc, ok := d.repoConfig(name)
	if !ok || rc.Forge == nil {
		http.Error(w, "no repo "+name+" with a forge is configured", http.StatusNotFound)
		return
	}
	f := rc.Forge
	log := d.logger.With(logRepo, name)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "webhook body over 25 MiB", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := f.Webhooks.Verify(r.Header, body, f.Secret); err != nil {
		// Never the body: it is whoever's input.
		log.Warn("webhook refused: bad signature", logErr, err, logAddr, r.RemoteAddr)
		http.Error(w, "webhook signature or token missing or wrong", http.StatusUnauthorized)
		return
	}
	ev, err := f.Webhooks.Parse(r.Header, body)
	switch {
	case errors.Is(err, forge.ErrIgnored):
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "event ignored\n")
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ev.Kind == forge.EventPing {
		_, _ = io.WriteString(w, "pong\n")
		return
	}
	if !strings.EqualFold(ev.Project, f.Project) {
		http.Error(w, "event for project "+ev.Project+", but repo "+name+" is "+f.Project, http.StatusUnprocessableEntity)
		return
	}
	fresh, err := d.store.SeenDelivery(r.Context(), name, ev.DeliveryID, time.Now())
	if err != nil {
		log.Error("record webhook delivery", logErr, err)
		http.Error(w, "cannot record the delivery; retry", http.StatusServiceUnavailable)
		return
	}
	if !fresh {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "redelivery acknowledged\n")
		return
	}
	select {
	case d.events <- webhookEvent{repo: name, ev: ev}:
	default:
		// Forget the id so that the forge's redelivery is acted on.
		log.Error("webhook queue full: event refused, to be redelivered", logDelivery, ev.DeliveryID, logEvent, ev.Kind)
		if err := d.store.ForgetDelivery(r.Context(), name, ev.DeliveryID); err != nil {
			log.Error("forget webhook delivery", logErr, err)
		}
		http.Error(w, "busy; redeliver later", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, "accepted\n")
}

// repoConfig returns the configuration of the repo named name.
func (d *Daemon) repoConfig(name string) (RepoConfig, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, rc := range d.cfg.Repos {
		if rc.Name == name {
			return rc, true
		}
	}
	return RepoConfig{}, false
}
