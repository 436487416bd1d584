package drift

import (
	"cmp"
	"slices"
	"time"

	"github.com/driftgate/driftgate/planner/analysis"
)

// noAnalysis is the error of a check that has no plan analysis.
const noAnalysis = "the check produced no plan analysis"

// Evaluate decides what a check found, given the findings open before it
// (resolved ones in prev are history and ignored).
//
// Every drift entry of the analysis is a changed or deleted finding caused
// out of band. Every planned change (neither no-op nor read) at an address
// that did not drift is a pending finding, explained by pendingCause; a
// change at a drifted address is the plan putting the drift back, not a
// finding of its own. A finding continues an open one of the same address
// and category (drift, or pending), keeping its ID, FirstSeen and
// FirstRun. An open finding the check no longer sees is resolved.
//
// Events track the attention a finding needs: EventFound when a finding
// needs it for the first time (new and not accepted, or no longer
// accepted), EventChanged when a finding that needs it changes kind, cause,
// planned action or attributes, EventResolved when it stops needing it
// (resolved, or accepted by a rule). So every EventFound is followed,
// sooner or later, by one EventResolved.
//
// A check without an analysis is an error: see Errored.
func Evaluate(prev []Finding, c Check) Result {
	if c.Analysis == nil {
		return Errored(prev, c.RunID, c.At, noAnalysis)
	}
	newID := c.NewID
	if newID == nil {
		newID = NewID
	}
	rules := compileRules(c.Rules)
	open, stale := openByKey(prev)

	var res Result
	for _, f := range observe(c) {
		if rule := accept(rules, &f); rule != "" {
			f.Accepted, f.Rule = true, rule
		}
		f.LastSeen, f.LastRun = c.At, c.RunID
		p, continued := open[keyOf(&f)]
		if !continued {
			f.ID, f.FirstSeen, f.FirstRun = newID(), c.At, c.RunID
			res.Open = append(res.Open, f)
			if !f.Accepted {
				res.Events = append(res.Events, event(EventFound, f, c))
			}
			continue
		}
		delete(open, keyOf(&f))
		f.ID, f.FirstSeen, f.FirstRun = p.ID, p.FirstSeen, p.FirstRun
		if f.FirstSeen.IsZero() {
			f.FirstSeen = c.At
		}
		res.Open = append(res.Open, f)
		switch {
		case p.Accepted && !f.Accepted:
			res.Events = append(res.Events, event(EventFound, f, c))
		case !p.Accepted && f.Accepted:
			res.Events = append(res.Events, event(EventResolved, f, c))
		case !f.Accepted && changed(&p, &f):
			res.Events = append(res.Events, event(EventChanged, f, c))
		}
	}
	for _, p := range open {
		stale = append(stale, p)
	}
	for _, p := range stale {
		p.ResolvedAt = c.At
		res.Resolved = append(res.Resolved, p)
		if !p.Accepted {
			res.Events = append(res.Events, event(EventResolved, p, c))
		}
	}
	sortFindings(res.Open)
	sortFindings(res.Resolved)
	slices.SortStableFunc(res.Events, func(a, b Event) int { return compareFindings(&a.Finding, &b.Finding) })
	res.Status = status(res.Open)
	return res
}

// Errored is the result of a check that failed: the stack is errored, the
// findings open before stay open unchanged (the check saw nothing), and
// one EventCheckErrored carries err.
func Errored(prev []Finding, runID string, at time.Time, err string) Result {
	if err == "" {
		err = "the check failed without an error message"
	}
	var open []Finding
	for _, f := range prev {
		if f.Open() {
			open = append(open, f)
		}
	}
	sortFindings(open)
	return Result{
		Status: StatusErrored,
		Open:   open,
		Events: []Event{{Type: EventCheckErrored, Error: err, RunID: runID, At: at}},
	}
}

// observe lists the findings the check's analysis shows, without identity
// or times, one per address and category.
func observe(c Check) []Finding {
	a := c.Analysis
	var out []Finding
	drifted := make(map[string]bool, len(a.Drift))
	for _, d := range a.Drift {
		if drifted[d.Address] {
			continue
		}
		drifted[d.Address] = true
		f := Finding{Address: d.Address, Kind: KindChanged, Cause: CauseOutOfBand}
		if d.Kind == analysis.DriftDeleted || (d.Kind == "" && d.Action == analysis.ActionDelete) {
			f.Kind = KindDeleted
		} else {
			f.Attributes = attributes(d.Attributes)
		}
		out = append(out, f)
	}
	cause := pendingCause(c)
	pending := make(map[string]bool, len(a.Changes))
	for _, ch := range a.Changes {
		if ch.Action == analysis.ActionNoop || ch.Action == analysis.ActionRead || drifted[ch.Address] || pending[ch.Address] {
			continue
		}
		pending[ch.Address] = true
		out = append(out, Finding{
			Address: ch.Address, Kind: KindPending, Cause: cause, Action: ch.Action,
			Attributes: attributes(ch.Attributes),
		})
	}
	return out
}

// attributes copies the analysis's attribute changes, values untouched.
func attributes(in []analysis.AttributeChange) []Attribute {
	if len(in) == 0 {
		return nil
	}
	out := make([]Attribute, len(in))
	for i, a := range in {
		out[i] = Attribute{Path: a.Path, Before: a.Before, After: a.After, Sensitive: a.Sensitive, Unknown: a.Unknown}
	}
	return out
}

// pendingCause explains the check's pending changes: code not applied when
// the commit differs from the last apply's (or driftgate never applied),
// else a provider or Terraform change when the lock hash, the product
// (Terraform or OpenTofu), its version or a provider version differs, else unknown. Values not
// recorded on either side are not compared.
func pendingCause(c Check) Cause {
	la := c.LastApplied
	if la == nil || la.Commit != c.Commit {
		return CauseUnappliedCode
	}
	tfVersion := c.TerraformVersion
	if tfVersion == "" {
		tfVersion = c.Analysis.TerraformVersion
	}
	if differs(la.LockHash, c.LockHash) || differs(la.TerraformVersion, tfVersion) || differs(la.Product, c.Product) ||
		providersDiffer(la.Providers, c.Providers) {
		return CauseProviderOrVersion
	}
	return CauseUnknown
}

// differs reports whether two recorded values differ.
func differs(a, b string) bool {
	return a != "" && b != "" && a != b
}

// providersDiffer reports whether two recorded provider version maps
// differ: a provider in one and not the other, or at another version.
func providersDiffer(a, b map[string]string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	for name, v := range a {
		if w, ok := b[name]; !ok || w != v {
			return true
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok {
			return true
		}
	}
	return false
}

// category groups kinds that continue one another: drift (changed or
// deleted) and pending.
func category(k Kind) string {
	if k == KindPending {
		return "pending"
	}
	return "drift"
}

// findingKey is a finding's identity across checks.
type findingKey struct{ address, category string }

// keyOf is f's identity.
func keyOf(f *Finding) findingKey { return findingKey{f.Address, category(f.Kind)} }

// openByKey indexes the open findings of prev by identity. Of two open
// findings with one identity (which Evaluate never produces), the first in
// Result order continues and the others are returned as stale, to resolve.
func openByKey(prev []Finding) (map[findingKey]Finding, []Finding) {
	open := make([]Finding, 0, len(prev))
	for _, f := range prev {
		if f.Open() {
			open = append(open, f)
		}
	}
	sortFindings(open)
	byKey := make(map[findingKey]Finding, len(open))
	var stale []Finding
	for _, f := range open {
		if _, dup := byKey[keyOf(&f)]; dup {
			stale = append(stale, f)
			continue
		}
		byKey[keyOf(&f)] = f
	}
	return byKey, stale
}

// changed reports whether a continued finding differs from what was open:
// kind, cause, planned action (when both record one) or attributes.
func changed(was, now *Finding) bool {
	if was.Kind != now.Kind || was.Cause != now.Cause {
		return true
	}
	if was.Action != "" && now.Action != "" && was.Action != now.Action {
		return true
	}
	return !sameAttributes(was.Attributes, now.Attributes)
}

// sameAttributes compares attribute lists as sets keyed by path: same
// paths, same sensitivity, equal values. Unknown is not compared: an
// unknown value is nil, which the values already compare.
func sameAttributes(a, b []Attribute) bool {
	if len(a) != len(b) {
		return false
	}
	byPath := make(map[string]Attribute, len(a))
	for _, at := range a {
		byPath[at.Path] = at
	}
	for _, bt := range b {
		at, ok := byPath[bt.Path]
		if !ok || at.Sensitive != bt.Sensitive || !equalValues(at.Before, bt.Before) || !equalValues(at.After, bt.After) {
			return false
		}
	}
	return true
}

// status is the stack's status given its open findings.
func status(open []Finding) Status {
	pending := false
	for _, f := range open {
		switch {
		case f.Accepted:
		case f.Kind == KindPending:
			pending = true
		default:
			return StatusDrifted
		}
	}
	if pending {
		return StatusPendingChanges
	}
	return StatusInSync
}

// event makes an event of the check about f.
func event(t EventType, f Finding, c Check) Event {
	return Event{Type: t, Finding: f, RunID: c.RunID, At: c.At}
}

// kindRank orders kinds: changed, deleted, pending, then anything else.
func kindRank(k Kind) int {
	switch k {
	case KindChanged:
		return 0
	case KindDeleted:
		return 1
	case KindPending:
		return 2
	}
	return 3
}

// compareFindings orders findings by address, then kind, then first sight
// and ID.
func compareFindings(a, b *Finding) int {
	return cmp.Or(
		cmp.Compare(a.Address, b.Address),
		cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)),
		a.FirstSeen.Compare(b.FirstSeen),
		cmp.Compare(a.ID, b.ID),
	)
}

// sortFindings sorts findings in Result order.
func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int { return compareFindings(&a, &b) })
}
