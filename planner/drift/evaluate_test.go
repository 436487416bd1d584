package drift

import (
	"reflect"
	"testing"

	"github.com/driftgate/driftgate/planner/analysis"
)

// finding is an open finding first and last seen at t0 by run r0.
func finding(id, addr string, kind Kind, cause Cause, attrs ...Attribute) Finding {
	return Finding{
		ID: id, Address: addr, Kind: kind, Cause: cause, Attributes: attrs,
		FirstSeen: t0, LastSeen: t0, FirstRun: "r0", LastRun: "r0",
	}
}

// seen is f seen again by the check at t1.
func seen(f Finding) Finding {
	f.LastSeen, f.LastRun = t1, "r1"
	return f
}

// fresh is f first seen by the check at t1, with the given ID.
func fresh(id string, f Finding) Finding {
	f.ID = id
	f.FirstSeen, f.FirstRun = t1, "r1"
	return seen(f)
}

// resolved is f resolved by the check at t1.
func resolved(f Finding) Finding {
	f.ResolvedAt = t1
	return f
}

// withAttrs is f with other attributes.
func withAttrs(f Finding, attrs ...Attribute) Finding {
	f.Attributes = attrs
	return f
}

// accepted is f accepted by the rule with text rule.
func accepted(f Finding, rule string) Finding {
	f.Accepted, f.Rule = true, rule
	return f
}

func TestEvaluateDrift(t *testing.T) {
	web := finding("f1", "aws_instance.web", KindChanged, CauseOutOfBand,
		Attribute{Path: "instance_type", Before: "t3.small", After: "t3.large"})
	webDrift := changedDrift("aws_instance.web", attr("instance_type", "t3.small", "t3.large"))
	db := finding("f2", "aws_db_instance.main", KindDeleted, CauseOutOfBand)
	// The same number as the plan gives it and as the store gives it back.
	asgStored := finding("f3", "aws_autoscaling_group.web", KindChanged, CauseOutOfBand,
		Attribute{Path: "max_size", Before: float64(3), After: float64(10)})
	asgDrift := changedDrift("aws_autoscaling_group.web", attr("max_size", jsonNum("3"), jsonNum("10")))
	gone := resolved(finding("f9", "aws_instance.web", KindChanged, CauseOutOfBand))

	tests := []struct {
		name  string
		prev  []Finding
		check Check
		want  Result
	}{
		{
			name:  "nothing drifted, nothing before",
			check: check(plan(nil)),
			want:  Result{Status: StatusInSync},
		},
		{
			name:  "first sight",
			check: check(plan(drifts(webDrift))),
			want: Result{
				Status: StatusDrifted,
				Open:   []Finding{fresh("new-1", web)},
				Events: []Event{ev(EventFound, fresh("new-1", web))},
			},
		},
		{
			name:  "seen again unchanged: no event, LastSeen moves, FirstSeen kept",
			prev:  []Finding{web},
			check: check(plan(drifts(webDrift))),
			want:  Result{Status: StatusDrifted, Open: []Finding{seen(web)}},
		},
		{
			name:  "seen again after a store round trip: numbers compare by value",
			prev:  []Finding{asgStored},
			check: check(plan(drifts(asgDrift))),
			want: Result{Status: StatusDrifted, Open: []Finding{seen(withAttrs(asgStored,
				Attribute{Path: "max_size", Before: jsonNum("3"), After: jsonNum("10")}))}},
		},
		{
			name:  "attribute value changed",
			prev:  []Finding{web},
			check: check(plan(drifts(changedDrift("aws_instance.web", attr("instance_type", "t3.small", "m5.large"))))),
			want: func() Result {
				f := seen(withAttrs(web, Attribute{Path: "instance_type", Before: "t3.small", After: "m5.large"}))
				return Result{Status: StatusDrifted, Open: []Finding{f}, Events: []Event{ev(EventChanged, f)}}
			}(),
		},
		{
			name:  "another attribute drifted too",
			prev:  []Finding{web},
			check: check(plan(drifts(changedDrift("aws_instance.web", attr("instance_type", "t3.small", "t3.large"), attr("monitoring", false, true))))),
			want: func() Result {
				f := seen(withAttrs(web,
					Attribute{Path: "instance_type", Before: "t3.small", After: "t3.large"},
					Attribute{Path: "monitoring", Before: false, After: true}))
				return Result{Status: StatusDrifted, Open: []Finding{f}, Events: []Event{ev(EventChanged, f)}}
			}(),
		},
		{
			name:  "resolved",
			prev:  []Finding{web},
			check: check(plan(nil)),
			want: Result{
				Status:   StatusInSync,
				Resolved: []Finding{resolved(web)},
				Events:   []Event{ev(EventResolved, resolved(web))},
			},
		},
		{
			name:  "deleted, first sight",
			check: check(plan(drifts(deletedDrift("aws_db_instance.main")))),
			want: Result{
				Status: StatusDrifted,
				Open:   []Finding{fresh("new-1", db)},
				Events: []Event{ev(EventFound, fresh("new-1", db))},
			},
		},
		{
			name:  "changed then deleted continues the finding",
			prev:  []Finding{web},
			check: check(plan(drifts(deletedDrift("aws_instance.web")))),
			want: func() Result {
				f := seen(web)
				f.Kind, f.Attributes = KindDeleted, nil
				return Result{Status: StatusDrifted, Open: []Finding{f}, Events: []Event{ev(EventChanged, f)}}
			}(),
		},
		{
			name: "the plan putting drift back is not a pending finding",
			check: check(plan(drifts(webDrift),
				change("aws_instance.web", analysis.ActionUpdate, attr("instance_type", "t3.large", "t3.small")))),
			want: Result{
				Status: StatusDrifted,
				Open:   []Finding{fresh("new-1", web)},
				Events: []Event{ev(EventFound, fresh("new-1", web))},
			},
		},
		{
			name:  "resolved findings in prev are history: a recurrence is a new finding",
			prev:  []Finding{gone},
			check: check(plan(drifts(webDrift))),
			want: Result{
				Status: StatusDrifted,
				Open:   []Finding{fresh("new-1", web)},
				Events: []Event{ev(EventFound, fresh("new-1", web))},
			},
		},
		{
			name:  "output ordered by address then kind, whatever the plan's order",
			prev:  []Finding{db},
			check: check(plan(drifts(webDrift, asgDrift))),
			want: func() Result {
				asg := fresh("new-2", withAttrs(asgStored, Attribute{Path: "max_size", Before: jsonNum("3"), After: jsonNum("10")}))
				w := fresh("new-1", web)
				return Result{
					Status:   StatusDrifted,
					Open:     []Finding{asg, w},
					Resolved: []Finding{resolved(db)},
					Events:   []Event{ev(EventFound, asg), ev(EventResolved, resolved(db)), ev(EventFound, w)},
				}
			}(),
		},
		{
			name: "sensitive values pass through as the analysis redacted them",
			check: check(plan(drifts(changedDrift("aws_db_instance.main",
				analysis.AttributeChange{Path: "password", Before: analysis.Marker, After: analysis.Marker, Sensitive: true})))),
			want: func() Result {
				f := fresh("new-1", finding("", "aws_db_instance.main", KindChanged, CauseOutOfBand,
					Attribute{Path: "password", Before: analysis.Marker, After: analysis.Marker, Sensitive: true}))
				return Result{Status: StatusDrifted, Open: []Finding{f}, Events: []Event{ev(EventFound, f)}}
			}(),
		},
		{
			name:  "no analysis is an error",
			prev:  []Finding{web},
			check: Check{RunID: "r1", At: t1},
			want: Result{
				Status: StatusErrored,
				Open:   []Finding{web},
				Events: []Event{{Type: EventCheckErrored, Error: noAnalysis, RunID: "r1", At: t1}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertResult(t, Evaluate(tt.prev, tt.check), tt.want)
		})
	}
}

func TestEvaluatePending(t *testing.T) {
	bucket := change("aws_s3_bucket.logs", analysis.ActionUpdate, attr("versioning.enabled", false, true))
	pending := func(cause Cause) Finding {
		f := finding("", "aws_s3_bucket.logs", KindPending, cause,
			Attribute{Path: "versioning.enabled", Before: false, After: true})
		f.Action = analysis.ActionUpdate
		return fresh("new-1", f)
	}
	with := func(edit func(*Check)) Check {
		c := check(plan(nil, bucket))
		edit(&c)
		return c
	}
	tests := []struct {
		name  string
		check Check
		want  Cause
	}{
		{"never applied", with(func(c *Check) { c.LastApplied = nil }), CauseUnappliedCode},
		{"merged, not applied", with(func(c *Check) { c.Commit = "c2" }), CauseUnappliedCode},
		{"lock file changed", with(func(c *Check) { c.LockHash = "lock2" }), CauseProviderOrVersion},
		{"terraform upgraded", with(func(c *Check) { c.TerraformVersion = "1.10.0" }), CauseProviderOrVersion},
		{"terraform version from the analysis", with(func(c *Check) { c.TerraformVersion = ""; c.Analysis.TerraformVersion = "1.10.0" }), CauseProviderOrVersion},
		{"terraform replaced by opentofu", with(func(c *Check) { c.LastApplied.Product, c.Product = "terraform", "opentofu" }), CauseProviderOrVersion},
		{"product not recorded at the apply", with(func(c *Check) { c.LastApplied.Product, c.Product = "", "opentofu" }), CauseUnknown},
		{"provider upgraded", with(func(c *Check) { c.Providers = map[string]string{"hashicorp/aws": "5.1.0"} }), CauseProviderOrVersion},
		{"provider added", with(func(c *Check) { c.Providers = map[string]string{"hashicorp/aws": "5.0.0", "hashicorp/random": "3.6.0"} }), CauseProviderOrVersion},
		{"same commit, same toolchain", check(plan(nil, bucket)), CauseUnknown},
		{"toolchain not recorded is not compared", with(func(c *Check) {
			c.LockHash, c.TerraformVersion, c.Providers = "", "", nil
			c.Analysis.TerraformVersion = ""
		}), CauseUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := pending(tt.want)
			assertResult(t, Evaluate(nil, tt.check), Result{
				Status: StatusPendingChanges,
				Open:   []Finding{f},
				Events: []Event{ev(EventFound, f)},
			})
		})
	}
}

func TestEvaluatePendingActions(t *testing.T) {
	tests := []struct {
		name   string
		action analysis.Action
		want   bool // a pending finding
	}{
		{"create", analysis.ActionCreate, true},
		{"update", analysis.ActionUpdate, true},
		{"replace", analysis.ActionReplace, true},
		{"delete", analysis.ActionDelete, true},
		{"forget", analysis.ActionForget, true},
		{"read", analysis.ActionRead, false},
		{"no-op", analysis.ActionNoop, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Evaluate(nil, check(plan(nil, change("aws_instance.a", tt.action))))
			if got := len(res.Open) == 1; got != tt.want {
				t.Errorf("pending finding = %v, want %v (%+v)", got, tt.want, res.Open)
			}
			if got := len(res.Open) == 1 && res.Open[0].Action == tt.action; got != tt.want {
				t.Errorf("action recorded = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvaluateCategories(t *testing.T) {
	web := finding("f1", "aws_instance.web", KindChanged, CauseOutOfBand,
		Attribute{Path: "instance_type", Before: "t3.small", After: "t3.large"})
	webPending := finding("f2", "aws_instance.web", KindPending, CauseUnknown,
		Attribute{Path: "instance_type", Before: "t3.small", After: "t3.large"})
	webPending.Action = analysis.ActionUpdate
	upd := change("aws_instance.web", analysis.ActionUpdate, attr("instance_type", "t3.small", "t3.large"))
	repl := change("aws_instance.web", analysis.ActionReplace, attr("instance_type", "t3.small", "t3.large"))
	webDrift := changedDrift("aws_instance.web", attr("instance_type", "t3.small", "t3.large"))

	tests := []struct {
		name  string
		prev  []Finding
		check Check
		want  Result
	}{
		{
			name:  "drift does not continue a pending finding at the same address",
			prev:  []Finding{webPending},
			check: check(plan(drifts(webDrift), upd)),
			want: Result{
				Status:   StatusDrifted,
				Open:     []Finding{fresh("new-1", web)},
				Resolved: []Finding{resolved(webPending)},
				Events:   []Event{ev(EventFound, fresh("new-1", web)), ev(EventResolved, resolved(webPending))},
			},
		},
		{
			name:  "pending seen again",
			prev:  []Finding{webPending},
			check: check(plan(nil, upd)),
			want:  Result{Status: StatusPendingChanges, Open: []Finding{seen(webPending)}},
		},
		{
			name:  "pending action changed",
			prev:  []Finding{webPending},
			check: check(plan(nil, repl)),
			want: func() Result {
				f := seen(webPending)
				f.Action = analysis.ActionReplace
				return Result{Status: StatusPendingChanges, Open: []Finding{f}, Events: []Event{ev(EventChanged, f)}}
			}(),
		},
		{
			name: "pending cause changed",
			prev: []Finding{webPending},
			check: func() Check {
				c := check(plan(nil, upd))
				c.Commit = "c2"
				return c
			}(),
			want: func() Result {
				f := seen(webPending)
				f.Cause = CauseUnappliedCode
				return Result{Status: StatusPendingChanges, Open: []Finding{f}, Events: []Event{ev(EventChanged, f)}}
			}(),
		},
		{
			name:  "drift outranks pending in the status",
			check: check(plan(drifts(changedDrift("aws_instance.a", attr("x", "1", "2"))), change("aws_instance.b", analysis.ActionCreate))),
			want: func() Result {
				a := fresh("new-1", finding("", "aws_instance.a", KindChanged, CauseOutOfBand, Attribute{Path: "x", Before: "1", After: "2"}))
				b := fresh("new-2", finding("", "aws_instance.b", KindPending, CauseUnknown))
				b.Action = analysis.ActionCreate
				return Result{Status: StatusDrifted, Open: []Finding{a, b}, Events: []Event{ev(EventFound, a), ev(EventFound, b)}}
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertResult(t, Evaluate(tt.prev, tt.check), tt.want)
		})
	}
}

func TestEvaluateDoesNotModifyPrev(t *testing.T) {
	prev := []Finding{
		finding("f2", "b", KindChanged, CauseOutOfBand, Attribute{Path: "x", Before: "1", After: "2"}),
		finding("f1", "a", KindChanged, CauseOutOfBand, Attribute{Path: "x", Before: "1", After: "2"}),
	}
	keep := []Finding{prev[0], prev[1]}
	keep[0].Attributes = append([]Attribute(nil), prev[0].Attributes...)
	Evaluate(prev, check(plan(drifts(changedDrift("b", attr("x", "1", "3"))))))
	if !reflect.DeepEqual(prev, keep) {
		t.Errorf("prev modified:\ngot  %+v\nwant %+v", prev, keep)
	}
}

func TestEvaluateNewIDs(t *testing.T) {
	c := check(plan(drifts(changedDrift("a", attr("x", "1", "2")), deletedDrift("b"))))
	c.NewID = nil
	res := Evaluate(nil, c)
	if len(res.Open) != 2 || res.Open[0].ID == "" || res.Open[0].ID == res.Open[1].ID {
		t.Errorf("IDs = %q, %q, want two distinct IDs", res.Open[0].ID, res.Open[1].ID)
	}
}

func TestErrored(t *testing.T) {
	open := finding("f1", "a", KindChanged, CauseOutOfBand)
	closed := resolved(finding("f0", "a", KindChanged, CauseOutOfBand))
	tests := []struct {
		name string
		prev []Finding
		err  string
		want Result
	}{
		{
			name: "open findings stay as they were",
			prev: []Finding{closed, open},
			err:  "terraform plan: exit status 1",
			want: Result{
				Status: StatusErrored,
				Open:   []Finding{open},
				Events: []Event{{Type: EventCheckErrored, Error: "terraform plan: exit status 1", RunID: "r1", At: t1}},
			},
		},
		{
			name: "an empty error still says the check failed",
			want: Result{
				Status: StatusErrored,
				Events: []Event{{Type: EventCheckErrored, Error: "the check failed without an error message", RunID: "r1", At: t1}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertResult(t, Errored(tt.prev, "r1", t1, tt.err), tt.want)
		})
	}
}
