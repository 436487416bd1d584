package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// putDelivery stores a copy of d and returns it with its assigned fields.
func putDelivery(tb testing.TB, s *Store, d Delivery) Delivery {
	tb.Helper()
	if err := s.PutDelivery(tb.Context(), &d); err != nil {
		tb.Fatalf("PutDelivery(%s/%s to %s): %v", d.Repo, d.Stack, d.Sink, err)
	}
	return d
}

// deliveryIDs returns the ids of ds, in order.
func deliveryIDs(ds []Delivery) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids
}

func TestPutDeliveryCreatesAndUpdates(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	ev := json.RawMessage(`{"id":"ev1","type":"drift_found"}`)
	d := putDelivery(t, s, Delivery{EventID: "ev1", EventType: "drift_found", Sink: "ops", Repo: "infra", Stack: "net", Event: ev})
	if d.ID == "" || d.Status != DeliveryPending || d.CreatedAt.IsZero() || d.UpdatedAt.IsZero() {
		t.Fatalf("created delivery = %+v", d)
	}

	d.Status, d.Attempts, d.DeliveredAt, d.CreatedAt = DeliveryDelivered, 3, time.Now().UTC(), time.Time{}
	created := putDelivery(t, s, Delivery{Sink: "other"}).CreatedAt
	if err := s.PutDelivery(ctx, &d); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetDelivery(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != DeliveryDelivered || got.Attempts != 3 || got.DeliveredAt.IsZero() {
		t.Errorf("updated delivery = %+v", got)
	}
	if got.CreatedAt.IsZero() || got.CreatedAt.After(created) {
		t.Errorf("CreatedAt = %v, want the stored one (before %v)", got.CreatedAt, created)
	}
	if string(got.Event) != string(ev) {
		t.Errorf("event = %s, want %s", got.Event, ev)
	}
}

func TestPutDeliveryRejects(t *testing.T) {
	s := openTestStore(t, Options{})
	tests := []struct {
		name string
		d    Delivery
		want error
	}{
		{"unknown status", Delivery{Sink: "ops", Status: "lost"}, ErrInvalid},
		{"no sink", Delivery{}, ErrInvalid},
		{"malformed id", Delivery{ID: "nope", Sink: "ops"}, ErrInvalid},
		{"unknown id", Delivery{ID: "01M89WVQZCP27Y1P5KRF7261V2", Sink: "ops"}, ErrNotFound},
		{"unknown id with created_at", Delivery{ID: "01M89WVQZCP27Y1P5KRF7261V2", Sink: "ops", CreatedAt: time.Now()}, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			err := s.PutDelivery(t.Context(), &d)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if d.ID != tt.d.ID {
				t.Errorf("d changed after a failed put: %+v", d)
			}
		})
	}
	if _, err := s.GetDelivery(t.Context(), "nope"); !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrInvalid) {
		t.Errorf("GetDelivery(malformed) err = %v, want ErrNotFound and ErrInvalid", err)
	}
}

func TestListDeliveries(t *testing.T) {
	s := openTestStore(t, Options{})
	a := putDelivery(t, s, Delivery{Sink: "ops", Repo: "infra", Stack: "net"})
	b := putDelivery(t, s, Delivery{Sink: "ops", Repo: "infra", Stack: "dns", Status: DeliveryFailed})
	c := putDelivery(t, s, Delivery{Sink: "chat", Repo: "infra", Stack: "net", Status: DeliveryDelivered})
	l := putDelivery(t, s, Delivery{Sink: "ops", Stack: "net"}) // a local run
	e := putDelivery(t, s, Delivery{Sink: "ops", Repo: "apps", Stack: "net", Status: DeliveryDelivered})

	tests := []struct {
		name string
		f    DeliveryFilter
		want []Delivery
	}{
		{"all, newest first", DeliveryFilter{}, []Delivery{e, l, c, b, a}},
		{"repo", DeliveryFilter{Repo: "infra"}, []Delivery{c, b, a}},
		{"local repo", DeliveryFilter{Repo: LocalRepo}, []Delivery{l}},
		{"repo and stack", DeliveryFilter{Repo: "infra", Stack: "net"}, []Delivery{c, a}},
		{"stack in any repo", DeliveryFilter{Stack: "net"}, []Delivery{e, l, c, a}},
		{"status", DeliveryFilter{Status: DeliveryDelivered}, []Delivery{e, c}},
		{"limit", DeliveryFilter{Limit: 2}, []Delivery{e, l}},
		{"nothing", DeliveryFilter{Repo: "none"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListDeliveries(t.Context(), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := deliveryIDs(got), deliveryIDs(tt.want); !slices.Equal(g, w) {
				t.Errorf("ListDeliveries(%+v) = %v, want %v", tt.f, g, w)
			}
		})
	}
	if _, err := s.ListDeliveries(t.Context(), DeliveryFilter{Status: "lost"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown status err = %v, want ErrInvalid", err)
	}
}

func TestPendingDeliveriesOldestFirst(t *testing.T) {
	s := openTestStore(t, Options{})
	a := putDelivery(t, s, Delivery{Sink: "ops"})
	putDelivery(t, s, Delivery{Sink: "ops", Status: DeliveryDelivered})
	b := putDelivery(t, s, Delivery{Sink: "chat"})
	putDelivery(t, s, Delivery{Sink: "ops", Status: DeliveryFailed})

	got, err := s.PendingDeliveries(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if g, w := deliveryIDs(got), []string{a.ID, b.ID}; !slices.Equal(g, w) {
		t.Errorf("pending = %v, want %v", g, w)
	}
}

func TestPruneDeliveries(t *testing.T) {
	s := openTestStore(t, Options{})
	oldDone := putDelivery(t, s, Delivery{Sink: "ops", Status: DeliveryDelivered})
	oldFailed := putDelivery(t, s, Delivery{Sink: "ops", Status: DeliveryFailed})
	oldPending := putDelivery(t, s, Delivery{Sink: "ops"})
	time.Sleep(3 * time.Millisecond) // ULIDs have millisecond resolution
	cutoff := time.Now()
	time.Sleep(3 * time.Millisecond)
	newDone := putDelivery(t, s, Delivery{Sink: "ops", Status: DeliveryDelivered})

	n, err := s.PruneDeliveries(t.Context(), cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("pruned %d, want 2", n)
	}
	got, err := s.ListDeliveries(t.Context(), DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if g, w := deliveryIDs(got), []string{newDone.ID, oldPending.ID}; !slices.Equal(g, w) {
		t.Errorf("after prune = %v, want %v (gone: %s, %s)", g, w, oldDone.ID, oldFailed.ID)
	}
}

// TestMigrateDeliveries opens a database written by the previous schema
// version and checks that the deliveries bucket is created after a backup.
func TestMigrateDeliveries(t *testing.T) {
	dir := t.TempDir()
	// A database as the version before deliveries wrote it: its
	// migrations and its version, no deliveries bucket.
	prev := migrations[:migrationIndex(t, migrateDeliveries)]
	db, err := bbolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, m := range prev {
			if err := m(tx); err != nil {
				return err
			}
		}
		if tx.Bucket(deliveriesBucket) != nil {
			t.Errorf("deliveries bucket exists before the migration")
		}
		return tx.Bucket(metaBucket).Put(schemaVersionKey, binary.BigEndian.AppendUint64(nil, uint64(len(prev))))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	putDelivery(t, s, Delivery{Sink: "ops"})
	if _, err := os.Stat(filepath.Join(dir, bak(uint64(len(prev))))); err != nil {
		t.Errorf("no backup of the v%d database: %v", len(prev), err)
	}
}
