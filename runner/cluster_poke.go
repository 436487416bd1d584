package runner

import (
	"context"
	"time"
)

// pokeChannel is the PostgreSQL NOTIFY channel on which nodes ask the
// leader to poll a repo now (its payload is the repo's name).
const pokeChannel = "driftgate_poke"

// pokeRepo asks for a poll of repo now, for a push webhook: this node's
// watcher polls when this node leads (or is the only node); otherwise the
// leader is told through the database, since only it polls.
func (d *Daemon) pokeRepo(ctx context.Context, repo string) {
	if d.cl == nil || d.cl.elector.Leading() {
		if w, ok := d.watcher(repo); ok {
			w.Poke()
		}
		return
	}
	if _, err := d.cl.cfg.Pool.Exec(ctx, "SELECT pg_notify($1, $2)", pokeChannel, repo); err != nil {
		d.logger.Warn("ask the leader to poll; it polls at its interval", logRepo, repo, logErr, err)
	}
}

// listenPokes, on the leader, polls the repos other nodes ask for until ctx
// ends. It never fails: a lost connection is opened again.
func (d *Daemon) listenPokes(ctx context.Context) error {
	for ctx.Err() == nil {
		if err := d.listenPokesOnce(ctx); err != nil && ctx.Err() == nil {
			d.logger.Warn("listen for poll requests; retrying", logErr, err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

func (d *Daemon) listenPokesOnce(ctx context.Context) error {
	conn, err := d.cl.cfg.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A listening session goes back to no one: closing it makes the
	// pool drop it.
	defer conn.Release()
	defer conn.Conn().Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pokeChannel); err != nil {
		return err
	}
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if w, ok := d.watcher(n.Payload); ok {
			w.Poke()
		}
	}
}
