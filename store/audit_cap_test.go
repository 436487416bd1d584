package store

import (
	"strings"
	"testing"
	"unicode/utf8"

	"go.etcd.io/bbolt"
)

func TestCapField(t *testing.T) {
	long := strings.Repeat("a", 100_000)
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"short", "01ARZ3NDEKTSV4RRFFQ69G5FAV", 512, "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
		{"exact", strings.Repeat("a", 512), 512, strings.Repeat("a", 512)},
		{"long", long, 64, strings.Repeat("a", 64-len("… (100000 bytes)")) + "… (100000 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := capField(tt.in, tt.max); got != tt.want {
				t.Errorf("capField = %q, want %q", got, tt.want)
			}
		})
	}
	// A cut never splits a rune.
	got := capField(strings.Repeat("é", 1000), 100)
	if !utf8.ValidString(got) || len(got) > 100 {
		t.Errorf("capField of runes = %q (%d bytes), want valid UTF-8 within 100 bytes", got, len(got))
	}
}

// TestAuditCapsRequestFields appends entries whose run id is 100 KB, as a
// refused request's path can make it, and checks that the database grows
// by a few KB, not megabytes, and that a page of them stays small.
func TestAuditCapsRequestFields(t *testing.T) {
	s := openTestStore(t, Options{})
	huge := strings.Repeat("0", 100_000)
	for range 20 {
		got := appendAudit(t, s, AuditEntry{Actor: "vera", Action: AuditCancel, RunID: huge, Result: AuditRefused, Detail: "role viewer"})
		if len(got.RunID) > MaxAuditField || !strings.HasSuffix(got.RunID, "… (100000 bytes)") {
			t.Fatalf("stored run id is %d bytes ending %q, want at most %d ending with its length", len(got.RunID), got.RunID[len(got.RunID)-20:], MaxAuditField)
		}
	}
	stored := 0
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(auditBucket).ForEach(func(k, v []byte) error {
			stored += len(k) + len(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if stored > 16<<10 {
		t.Errorf("20 entries with 100 KB run ids store %d bytes, want a few KB", stored)
	}
	page, _, err := s.ListAudit(t.Context(), AuditFilter{Limit: MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	size := 0
	for _, e := range page {
		size += len(e.RunID) + len(e.Detail)
	}
	if len(page) != 20 || size > 20*MaxAuditField+20*len("role viewer") {
		t.Errorf("page = %d entries, %d bytes; want 20 entries of capped fields", len(page), size)
	}
}

// TestAuditPageByteBudget checks that a page of large entries stops at
// MaxAuditPageBytes and that the next page goes on from there.
func TestAuditPageByteBudget(t *testing.T) {
	s := openTestStore(t, Options{})
	detail := strings.Repeat("d", MaxAuditDetail)
	const n = 80 // 80 × 4 KB > the 256 KB budget
	for range n {
		appendAudit(t, s, AuditEntry{Actor: "root", Action: AuditRelease, Result: AuditOK, Detail: detail})
	}
	seen, pages, cursor := 0, 0, ""
	for {
		page, next, err := s.ListAudit(t.Context(), AuditFilter{Limit: MaxListLimit, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		size := 0
		for _, e := range page {
			size += len(e.Actor) + len(e.Action) + len(e.Detail)
		}
		if size > MaxAuditPageBytes || len(page) == 0 {
			t.Fatalf("page %d = %d entries, %d bytes; want 1 or more within %d", pages, len(page), size, MaxAuditPageBytes)
		}
		seen, pages = seen+len(page), pages+1
		if next == "" {
			break
		}
		cursor = next
	}
	if seen != n || pages < 2 {
		t.Errorf("paged through %d entries in %d pages, want %d in 2 or more", seen, pages, n)
	}
}
