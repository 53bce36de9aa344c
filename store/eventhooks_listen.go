package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Hooks changed on another instance. Each instance keeps in memory which
// events the receiving hooks and the flows on a Hookflow Event card want
// (hookRelay.wants), and records only those. On Postgres, where several
// instances share the hooks, a change made on one (a hook created,
// verified, edited, turned off or deleted; a flow on a Hookflow Event card
// turned on or off) is announced on hookChannel, and every instance reads
// the hooks again at once: without it, the others would learn of it on
// their next tick only, and the runs they ended meanwhile would raise no
// event for a hook already shown as receiving.

// hookChannel is the Postgres notification channel of hook changes.
const hookChannel = "hookflow_event_hooks"

// hooksChanged reads the hooks again here and tells the other instances;
// the notification names this one, which its own listener skips.
func (s *Store) hooksChanged(ctx context.Context) {
	s.hooks.refresh(ctx)
	if s.dialect != Postgres || s.hooks == nil {
		return
	}
	if err := s.db.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", hookChannel, s.instance).Error; err != nil {
		s.log.Warn("event hooks: tell the other instances of a change", "error", err)
	}
}

// listen reads the hooks again whenever another instance announces a
// change, until ctx ends; a lost connection is opened again after a pause
// (the loop's tick reads the hooks meanwhile).
func (r *hookRelay) listen(ctx context.Context) {
	for ctx.Err() == nil {
		err := r.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		r.s.log.Warn("event hooks: listen for changes of the hooks", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(relayEvery):
		}
	}
}

// listenOnce listens on one connection until it fails or ctx ends.
func (r *hookRelay) listenOnce(ctx context.Context) error {
	// A connection of its own, outside the pool, whose connections it
	// would otherwise hold one of for good.
	conn, err := pgx.ConnectConfig(ctx, r.s.pgPool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+hookChannel); err != nil {
		return err
	}
	// What changed before the LISTEN took effect is read now.
	r.refresh(ctx)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload != r.s.instance { // this instance read them when it changed them
			r.refresh(ctx)
		}
	}
}
