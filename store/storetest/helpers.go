package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// unknownID is a well-formed run (and delivery) id no store holds.
const unknownID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"

// badID is not a ULID.
const badID = "not-a-run-id"

// createRun stores a copy of r and returns it with its assigned fields.
func createRun(t testing.TB, s Store, r store.Run) store.Run {
	t.Helper()
	if err := s.CreateRun(context.Background(), &r); err != nil {
		t.Fatalf("CreateRun(%s/%s): %v", r.Repo, r.Stack, err)
	}
	return r
}

// getRun returns the stored run id or fails the test.
func getRun(t testing.TB, s Store, id string) *store.Run {
	t.Helper()
	r, err := s.GetRun(context.Background(), id)
	if err != nil {
		t.Fatalf("GetRun(%s): %v", id, err)
	}
	return r
}

// runIDs returns the ids of runs, in order.
func runIDs(runs []store.Run) []string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	return ids
}

// reversed returns a reversed copy of ids.
func reversed(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[len(ids)-1-i] = id
	}
	return out
}

// wantErr fails the test unless err matches every one of targets.
func wantErr(t testing.TB, what string, err error, targets ...error) {
	t.Helper()
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("%s: error = %v, want %v", what, err, target)
		}
	}
}

// mustNot fails the test now when err is not nil.
func mustNot(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// timePrecision is what the suite asks of stored times: PostgreSQL keeps
// microseconds.
const timePrecision = time.Microsecond

// sameTime reports whether a and b are the same instant to timePrecision.
func sameTime(a, b time.Time) bool {
	return a.Truncate(timePrecision).Equal(b.Truncate(timePrecision))
}

// at is a fixed instant, already at timePrecision, in UTC.
func at(minute int) time.Time {
	return time.Date(2026, 3, 1, 12, minute, 7, 123456000, time.UTC)
}

// normalize returns v with every time.Time in it at timePrecision in UTC
// and every empty map or slice nil, so stored values compare with
// reflect.DeepEqual whatever the store's time precision and zone.
func normalize[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	normValue(rv)
	return v
}

var timeType = reflect.TypeFor[time.Time]()

func normValue(v reflect.Value) {
	if v.Type() == timeType {
		if v.CanSet() {
			t := v.Interface().(time.Time)
			if !t.IsZero() {
				v.Set(reflect.ValueOf(t.Truncate(timePrecision).UTC()))
			} else {
				v.Set(reflect.ValueOf(time.Time{}))
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			normValue(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				normValue(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			if v.CanSet() {
				v.Set(reflect.Zero(v.Type()))
			}
			return
		}
		for i := range v.Len() {
			normValue(v.Index(i))
		}
	case reflect.Map:
		if v.Len() == 0 && v.CanSet() {
			v.Set(reflect.Zero(v.Type()))
		}
	}
}

// same reports whether got and want are equal once normalized.
func same[T any](got, want T) bool {
	return reflect.DeepEqual(normalize(got), normalize(want))
}
