package postgres

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

func TestNodes(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	beat := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	b := store.Node{Name: "node-b", Version: "v1", StartedAt: beat, Heartbeat: beat, Leader: true, Running: []string{"x"}, Ready: true}
	a := store.Node{Name: "node-a", Version: "v1", StartedAt: beat, Heartbeat: beat, Running: []string{}, NotReady: "disk full"}
	for _, n := range []*store.Node{&b, &a} {
		if err := s.PutNode(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	b.Heartbeat = beat.Add(5 * time.Second)
	if err := s.PutNode(ctx, &b); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListNodes(ctx)
	if want := []store.Node{a, b}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ListNodes = %+v, %v\nwant %+v", got, err, want)
	}
	if err := s.DeleteNode(ctx, "node-a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteNode(ctx, "node-a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteNode(gone) = %v, want ErrNotFound", err)
	}
	for _, name := range []string{"", "a\nb", strings.Repeat("n", store.MaxNodeName+1)} {
		if err := s.PutNode(ctx, &store.Node{Name: name}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("PutNode(%q) = %v, want ErrInvalid", name, err)
		}
	}
}
