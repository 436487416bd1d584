package runner

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/driftgate/driftgate/runner/api"
)

// ErrNotRunning is returned by Reload before Run started or after it ended.
var ErrNotRunning = errors.New("the daemon is not running")

// Reload applies a new configuration while the daemon runs, without
// stopping running runs: repos added start being watched, repos removed
// stop being watched (their queued runs stay and fail to resolve if still
// queued), repos whose settings changed are watched anew with them, and the
// API tokens, the notifier and the drift schedules' repo defaults are
// replaced. Settings that need a restart (data_dir, listen, tls,
// max_parallel_runs, shutdown_timeout) are kept and named in the returned
// list.
func (d *Daemon) Reload(cfg Config) (restartNeeded []string, err error) {
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("daemon config: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.units == nil {
		return nil, ErrNotRunning
	}
	old := d.cfg
	for _, c := range []struct {
		name    string
		changed bool
	}{
		{"data_dir", cfg.DataDir != old.DataDir},
		{"listen", cfg.Listen != old.Listen},
		{"tls", (cfg.TLS == nil) != (old.TLS == nil)},
		{"max_parallel_runs", cfg.MaxParallelRuns != old.MaxParallelRuns},
		{"shutdown_timeout", cfg.ShutdownTimeout != old.ShutdownTimeout},
	} {
		if c.changed {
			restartNeeded = append(restartNeeded, c.name)
		}
	}
	cfg.DataDir, cfg.Listen, cfg.TLS = old.DataDir, old.Listen, old.TLS
	cfg.MaxParallelRuns, cfg.ShutdownTimeout = old.MaxParallelRuns, old.ShutdownTimeout

	byName := map[string]RepoConfig{}
	for _, rc := range cfg.Repos {
		byName[rc.Name] = rc
	}
	for name, w := range d.watchers {
		rc, keep := byName[name]
		a, b := rc, w.cfg
		a.Forge, b.Forge = nil, nil // the watcher does not use it; a new client each load
		if keep && reflect.DeepEqual(a, b) {
			continue
		}
		d.units.stop(unitRepo + name)
		delete(d.watchers, name)
		if !keep {
			d.logger.Info("repo removed from the config: no longer watched", logRepo, name)
		}
	}
	for _, rc := range cfg.Repos {
		if _, ok := d.watchers[rc.Name]; ok {
			continue
		}
		w := newRepoWatcher(rc, d.cfg.DataDir, d.store, d.enqueue, d.logger)
		w.fetches = d.metrics
		d.watchers[rc.Name] = w
		d.units.start(unitRepo+rc.Name, d.leaderOnly(func(ctx context.Context) error {
			if _, err := w.openMirror(ctx); err != nil {
				d.logger.Warn("open git mirror", logRepo, rc.Name, logErr, err)
			}
			return w.Run(ctx)
		}))
		d.logger.Info("repo watched", logRepo, rc.Name)
	}
	if cfg.Auth != nil {
		d.auth.set(cfg.Auth)
	}
	d.units.stop(unitNotifier)
	d.notifier = nil
	if cfg.Notifier != nil {
		d.notifier = cfg.Notifier
		d.units.start(unitNotifier, d.leaderOnly(cfg.Notifier.Run))
	}
	d.cfg = cfg
	return restartNeeded, nil
}

// Names of the daemon's replaceable background units.
const (
	unitRepo     = "repo:" // + the repo name
	unitNotifier = "notifier"
)

// watcher returns the watcher of repo.
func (d *Daemon) watcher(repo string) (*repoWatcher, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	w, ok := d.watchers[repo]
	return w, ok
}

// repos returns the configured repos.
func (d *Daemon) repos() []RepoConfig {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.cfg.Repos
}

// swapAuth is an api.Authenticator whose tokens a reload replaces.
type swapAuth struct {
	cur atomic.Pointer[api.Authenticator]
}

func (s *swapAuth) set(a api.Authenticator) { s.cur.Store(&a) }

// Authenticate implements api.Authenticator with the tokens set last.
func (s *swapAuth) Authenticate(token string) (api.Principal, bool) {
	a := s.cur.Load()
	if a == nil {
		return api.Principal{}, false
	}
	return (*a).Authenticate(token)
}

// unitSet runs background units that can be started and stopped while the
// daemon runs: each in its own context, all ended with the set's.
type unitSet struct {
	ctx    context.Context
	report func(name string, err error)

	mu    sync.Mutex
	units map[string]*unit
	wg    sync.WaitGroup
}

type unit struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func newUnitSet(ctx context.Context, report func(string, error)) *unitSet {
	return &unitSet{ctx: ctx, report: report, units: map[string]*unit{}}
}

// start runs fn as the unit name, stopping one of that name first.
func (s *unitSet) start(name string, fn func(context.Context) error) {
	s.stop(name)
	ctx, cancel := context.WithCancel(s.ctx)
	u := &unit{cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	s.units[name] = u
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(u.done)
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			s.report(name, err)
		}
	}()
}

// stop ends the unit name, if running, and waits for it.
func (s *unitSet) stop(name string) {
	s.mu.Lock()
	u, ok := s.units[name]
	delete(s.units, name)
	s.mu.Unlock()
	if ok {
		u.cancel()
		<-u.done
	}
}

// wait waits for every unit; they end when the set's context does.
func (s *unitSet) wait() { s.wg.Wait() }
