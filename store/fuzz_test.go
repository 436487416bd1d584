package store

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/oklog/ulid/v2"
)

func FuzzParseRunID(f *testing.F) {
	for _, seed := range []string{
		"01ARZ3NDEKTSV4RRFFQ69G5FAV",
		"01arz3ndektsv4rrffq69g5fav",
		"7ZZZZZZZZZZZZZZZZZZZZZZZZZ",
		"8ZZZZZZZZZZZZZZZZZZZZZZZZZ",
		"00000000000000000000000000",
		"01ARZ3NDEKTSV4RRFFQ69G5FA",
		"01ARZ3NDEKTSV4RRFFQ69G5FAVX",
		"01ARZ3NDEKTSV4RRFFQ69G5FAU", // U is not Crockford base32
		"",
		"\x00\xff",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := parseRunID(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("parseRunID(%q) err = %v, want ErrInvalid", s, err)
			}
			return
		}
		if len(key) != 16 {
			t.Fatalf("parseRunID(%q) = %d bytes, want 16", s, len(key))
		}
		// Valid ids round-trip, up to case.
		if back := formatRunID(key); !strings.EqualFold(back, s) {
			t.Fatalf("parseRunID(%q) formats back as %q", s, back)
		}
		again, err := parseRunID(formatRunID(key))
		if err != nil || !bytes.Equal(again, key) {
			t.Fatalf("canonical form of %q does not parse back: %v", s, err)
		}
	})
}

func FuzzListRunsCursor(f *testing.F) {
	s := openTestStore(f, Options{})
	ids, _ := seedRuns(f, s)
	for _, seed := range []string{"", ids[0], ids[7], strings.ToLower(ids[19]), "garbage", ulid.Make().String()} {
		f.Add(seed, 3, "infra")
		f.Add(seed, 0, "")
	}
	f.Fuzz(func(t *testing.T, cursor string, limit int, repo string) {
		runs, next, err := s.ListRuns(t.Context(), RunFilter{Repo: repo, Cursor: cursor, Limit: limit})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ListRuns(cursor %q, repo %q) err = %v, want ErrInvalid", cursor, repo, err)
			}
			return
		}
		pageMax := limit
		if pageMax <= 0 {
			pageMax = DefaultListLimit
		}
		if len(runs) > min(pageMax, MaxListLimit) {
			t.Fatalf("ListRuns(limit %d) returned %d runs", limit, len(runs))
		}
		if next != "" && next != runs[len(runs)-1].ID {
			t.Fatalf("next cursor %q is not the last run returned", next)
		}
		upper := "\xff"
		if cursor != "" {
			upper = strings.ToUpper(cursor)
		}
		for _, r := range runs {
			if r.ID >= upper {
				t.Fatalf("run %s is not older than cursor %q", r.ID, cursor)
			}
			upper = r.ID
		}
	})
}
