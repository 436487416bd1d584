package analysis

import (
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Path is an attribute path inside a resource, as a list of steps: string
// steps are object attributes or map keys, int steps are list indexes.
type Path []any

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// String renders the path the way Terraform addresses attributes:
// tags["cost-center"], ingress[0].from_port.
func (p Path) String() string {
	var b strings.Builder
	for i, step := range p {
		switch s := step.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(s) + "]")
		case string:
			switch {
			case identifier.MatchString(s) && i == 0:
				b.WriteString(s)
			case identifier.MatchString(s):
				b.WriteString("." + s)
			default:
				b.WriteString("[" + strconv.Quote(s) + "]")
			}
		}
	}
	return b.String()
}

func (p Path) with(step any) Path {
	out := make(Path, len(p), len(p)+1)
	copy(out, p)
	return append(out, step)
}

// valueAt returns the part of v (a decoded JSON value or a sensitivity or
// unknown mask) at path, and whether a mask along the way was simply true,
// which covers everything below it.
func valueAt(v any, p Path) (any, bool) {
	for _, step := range p {
		if b, ok := v.(bool); ok && b {
			return true, true
		}
		switch s := step.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			v = m[s]
		case int:
			a, ok := v.([]any)
			if !ok || s >= len(a) {
				return nil, false
			}
			v = a[s]
		}
	}
	if b, ok := v.(bool); ok && b {
		return true, true
	}
	return v, false
}

// maskCovers reports whether mask marks the value at p, or any value above
// it, as wholly sensitive (or unknown, for after_unknown masks).
func maskCovers(mask any, p Path) bool {
	_, covered := valueAt(mask, p)
	return covered
}

// changedPaths returns the leaf paths at which before and after differ.
// Objects are compared key by key and lists of equal length index by index;
// a list whose length changed, or a value whose type changed, is reported at
// its own path. unknown is Terraform's after_unknown mask: a path it marks is
// reported as changed (its value is known only after apply) and not descended
// into. sensitive reports paths that must not be descended into either, so a
// sensitive object's inner keys are never named.
func changedPaths(before, after, unknown any, sensitive func(Path) bool) []Path {
	var out []Path
	var walk func(b, a, u any, p Path)
	walk = func(b, a, u any, p Path) {
		if isTrue(u) {
			out = append(out, p)
			return
		}
		if len(p) > 0 && sensitive(p) {
			if !reflect.DeepEqual(b, a) {
				out = append(out, p)
			}
			return
		}
		bm, bok := b.(map[string]any)
		am, aok := a.(map[string]any)
		um, _ := u.(map[string]any)
		if (bok || b == nil) && (aok || a == nil) && (bok || aok) {
			for _, k := range unionKeys(bm, am, um) {
				walk(bm[k], am[k], um[k], p.with(k))
			}
			return
		}
		bl, blok := b.([]any)
		al, alok := a.([]any)
		if blok && alok && len(bl) == len(al) {
			ul, _ := u.([]any)
			for i := range bl {
				var ui any
				if i < len(ul) {
					ui = ul[i]
				}
				walk(bl[i], al[i], ui, p.with(i))
			}
			return
		}
		if !reflect.DeepEqual(b, a) {
			out = append(out, p)
		}
	}
	walk(before, after, unknown, nil)
	return out
}

func isTrue(v any) bool {
	b, ok := v.(bool)
	return ok && b
}

func unionKeys(maps ...map[string]any) []string {
	seen := map[string]struct{}{}
	var keys []string
	for _, m := range maps {
		for k := range m {
			if _, ok := seen[k]; !ok {
				seen[k] = struct{}{}
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}
