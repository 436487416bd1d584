package drift

import (
	"errors"
	"reflect"
	"testing"

	"github.com/driftgate/driftgate/planner/analysis"
)

func TestEvaluateAccepted(t *testing.T) {
	asgRule := Rule{Resources: []string{"aws_autoscaling_group.*"}, Attributes: []string{"desired_capacity"}}
	anyAttr := Rule{Resources: []string{"aws_autoscaling_group.*"}}
	tagsRule := Rule{Resources: []string{"**"}, Attributes: []string{"tags", "tags_all"}}
	capacity := attr("desired_capacity", jsonNum("2"), jsonNum("5"))
	capacityAttr := Attribute{Path: "desired_capacity", Before: jsonNum("2"), After: jsonNum("5")}
	asg := finding("f1", "aws_autoscaling_group.web", KindChanged, CauseOutOfBand, capacityAttr)

	tests := []struct {
		name  string
		prev  []Finding
		check Check
		want  Result
	}{
		{
			name:  "accepted by resource glob and attribute: no event, in sync",
			check: check(plan(drifts(changedDrift("aws_autoscaling_group.web", capacity))), asgRule),
			want: Result{Status: StatusInSync, Open: []Finding{
				accepted(fresh("new-1", asg), "aws_autoscaling_group.* [desired_capacity]"),
			}},
		},
		{
			name:  "accepted by a rule without attributes",
			check: check(plan(drifts(changedDrift("aws_autoscaling_group.web", capacity, attr("max_size", jsonNum("3"), jsonNum("4"))))), anyAttr),
			want: Result{Status: StatusInSync, Open: []Finding{accepted(fresh("new-1", withAttrs(asg, capacityAttr,
				Attribute{Path: "max_size", Before: jsonNum("3"), After: jsonNum("4")})), "aws_autoscaling_group.* [all attributes]")}},
		},
		{
			name: "accepted by attribute prefix: every tag",
			check: check(plan(drifts(changedDrift("aws_instance.web",
				attr("tags.env", "prod", "staging"), attr(`tags["cost-center"]`, "a", "b"), attr("tags_all.env", "prod", "staging")))), tagsRule),
			want: Result{Status: StatusInSync, Open: []Finding{accepted(fresh("new-1", finding("", "aws_instance.web", KindChanged, CauseOutOfBand,
				Attribute{Path: "tags.env", Before: "prod", After: "staging"},
				Attribute{Path: `tags["cost-center"]`, Before: "a", After: "b"},
				Attribute{Path: "tags_all.env", Before: "prod", After: "staging"},
			)), "** [tags, tags_all]")}},
		},
		{
			name:  "not accepted when another attribute changed too",
			check: check(plan(drifts(changedDrift("aws_autoscaling_group.web", capacity, attr("max_size", jsonNum("3"), jsonNum("4"))))), asgRule),
			want: func() Result {
				f := fresh("new-1", withAttrs(asg, capacityAttr, Attribute{Path: "max_size", Before: jsonNum("3"), After: jsonNum("4")}))
				return Result{Status: StatusDrifted, Open: []Finding{f}, Events: []Event{ev(EventFound, f)}}
			}(),
		},
		{
			name:  "a glob does not reach into modules",
			check: check(plan(drifts(changedDrift("module.app.aws_autoscaling_group.web", capacity))), asgRule),
			want: func() Result {
				f := fresh("new-1", asg)
				f.Address = "module.app.aws_autoscaling_group.web"
				return Result{Status: StatusDrifted, Open: []Finding{f}, Events: []Event{ev(EventFound, f)}}
			}(),
		},
		{
			name:  "a deleted resource is not accepted by a rule with attributes",
			check: check(plan(drifts(deletedDrift("aws_autoscaling_group.web"))), asgRule),
			want: func() Result {
				f := fresh("new-1", finding("", "aws_autoscaling_group.web", KindDeleted, CauseOutOfBand))
				return Result{Status: StatusDrifted, Open: []Finding{f}, Events: []Event{ev(EventFound, f)}}
			}(),
		},
		{
			name:  "a deleted resource is accepted by a rule without attributes",
			check: check(plan(drifts(deletedDrift("aws_autoscaling_group.web"))), asgRule, anyAttr),
			want: Result{Status: StatusInSync, Open: []Finding{accepted(
				fresh("new-1", finding("", "aws_autoscaling_group.web", KindDeleted, CauseOutOfBand)),
				"aws_autoscaling_group.* [all attributes]")}},
		},
		{
			name:  "accepted pending changes keep the stack in sync",
			check: check(plan(nil, change("aws_autoscaling_group.web", analysis.ActionUpdate, capacity)), asgRule),
			want: func() Result {
				f := fresh("new-1", finding("", "aws_autoscaling_group.web", KindPending, CauseUnknown, capacityAttr))
				f.Action = analysis.ActionUpdate
				return Result{Status: StatusInSync, Open: []Finding{accepted(f, "aws_autoscaling_group.* [desired_capacity]")}}
			}(),
		},
		{
			name:  "an accepted finding resolves without an event",
			prev:  []Finding{accepted(asg, "x")},
			check: check(plan(nil), asgRule),
			want:  Result{Status: StatusInSync, Resolved: []Finding{resolved(accepted(asg, "x"))}},
		},
		{
			name:  "an accepted finding that changes stays silent",
			prev:  []Finding{accepted(asg, "aws_autoscaling_group.* [desired_capacity]")},
			check: check(plan(drifts(changedDrift("aws_autoscaling_group.web", attr("desired_capacity", jsonNum("2"), jsonNum("7"))))), asgRule),
			want: Result{Status: StatusInSync, Open: []Finding{accepted(seen(withAttrs(asg,
				Attribute{Path: "desired_capacity", Before: jsonNum("2"), After: jsonNum("7")})), "aws_autoscaling_group.* [desired_capacity]")}},
		},
		{
			name:  "no longer accepted: found",
			prev:  []Finding{accepted(asg, "aws_autoscaling_group.* [desired_capacity]")},
			check: check(plan(drifts(changedDrift("aws_autoscaling_group.web", capacity)))),
			want: Result{Status: StatusDrifted, Open: []Finding{seen(asg)},
				Events: []Event{ev(EventFound, seen(asg))}},
		},
		{
			name:  "accepted from now on: resolved, still open",
			prev:  []Finding{asg},
			check: check(plan(drifts(changedDrift("aws_autoscaling_group.web", capacity))), asgRule),
			want: func() Result {
				f := accepted(seen(asg), "aws_autoscaling_group.* [desired_capacity]")
				return Result{Status: StatusInSync, Open: []Finding{f}, Events: []Event{ev(EventResolved, f)}}
			}(),
		},
		{
			name:  "a malformed rule accepts nothing",
			check: check(plan(drifts(changedDrift("aws_autoscaling_group.web", capacity))), Rule{Resources: []string{"aws_autoscaling_group.[*"}}),
			want: func() Result {
				f := fresh("new-1", asg)
				return Result{Status: StatusDrifted, Open: []Finding{f}, Events: []Event{ev(EventFound, f)}}
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertResult(t, Evaluate(tt.prev, tt.check), tt.want)
		})
	}
}

func TestRuleAccepts(t *testing.T) {
	tests := []struct {
		name  string
		rule  Rule
		kind  Kind
		addr  string
		paths []string
		want  bool
	}{
		{"prefix is the path", Rule{Resources: []string{"**"}, Attributes: []string{"desired_capacity"}}, KindChanged, "a.b", []string{"desired_capacity"}, true},
		{"prefix covers dotted child", Rule{Resources: []string{"**"}, Attributes: []string{"tags"}}, KindChanged, "a.b", []string{"tags.env"}, true},
		{"prefix covers quoted child", Rule{Resources: []string{"**"}, Attributes: []string{"tags"}}, KindChanged, "a.b", []string{`tags["a.b"]`}, true},
		{"prefix is not a name prefix", Rule{Resources: []string{"**"}, Attributes: []string{"tags"}}, KindChanged, "a.b", []string{"tags_all"}, false},
		{"quoted prefix equals dotted path", Rule{Resources: []string{"**"}, Attributes: []string{`tags["env"]`}}, KindChanged, "a.b", []string{"tags.env"}, true},
		{"dotted prefix equals quoted path", Rule{Resources: []string{"**"}, Attributes: []string{"tags.cost-center"}}, KindChanged, "a.b", []string{`tags["cost-center"]`}, true},
		{"unquoted key in brackets", Rule{Resources: []string{"**"}, Attributes: []string{"tags[env]"}}, KindChanged, "a.b", []string{"tags.env"}, true},
		{"longer prefix does not cover its parent", Rule{Resources: []string{"**"}, Attributes: []string{"tags.env"}}, KindChanged, "a.b", []string{"tags"}, false},
		{"index", Rule{Resources: []string{"**"}, Attributes: []string{"ingress[0]"}}, KindChanged, "a.b", []string{"ingress[0].from_port"}, true},
		{"other index", Rule{Resources: []string{"**"}, Attributes: []string{"ingress[0]"}}, KindChanged, "a.b", []string{"ingress[1].from_port"}, false},
		{"wildcard index", Rule{Resources: []string{"**"}, Attributes: []string{"ingress[*].cidr_blocks"}}, KindChanged, "a.b", []string{"ingress[3].cidr_blocks[0]"}, true},
		{"wildcard step", Rule{Resources: []string{"**"}, Attributes: []string{"ingress.*.cidr_blocks"}}, KindChanged, "a.b", []string{"ingress[3].from_port"}, false},
		{"a quoted star is a key", Rule{Resources: []string{"**"}, Attributes: []string{`tags["*"]`}}, KindChanged, "a.b", []string{"tags.env"}, false},
		{"every path must be covered", Rule{Resources: []string{"**"}, Attributes: []string{"tags"}}, KindChanged, "a.b", []string{"tags.env", "ami"}, false},
		{"any of several prefixes", Rule{Resources: []string{"**"}, Attributes: []string{"tags", "ami"}}, KindChanged, "a.b", []string{"tags.env", "ami"}, true},
		{"no attributes named: only a rule without attributes", Rule{Resources: []string{"**"}, Attributes: []string{"tags"}}, KindChanged, "a.b", nil, false},
		{"deleted", Rule{Resources: []string{"**"}}, KindDeleted, "a.b", nil, true},
		{"deleted, rule with attributes", Rule{Resources: []string{"**"}, Attributes: []string{"tags"}}, KindDeleted, "a.b", nil, false},
		{"no resources matches nothing", Rule{}, KindChanged, "a.b", []string{"x"}, false},
		{"second glob", Rule{Resources: []string{"x.*", "a.*"}}, KindChanged, "a.b", []string{"x"}, true},
		{"malformed prefix covers nothing", Rule{Resources: []string{"**"}, Attributes: []string{`tags["env`}}, KindChanged, "a.b", []string{`tags["env"]`}, false},
		{"empty prefix covers nothing", Rule{Resources: []string{"**"}, Attributes: []string{""}}, KindChanged, "a.b", []string{"x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &Finding{Address: tt.addr, Kind: tt.kind}
			for _, p := range tt.paths {
				f.Attributes = append(f.Attributes, Attribute{Path: p})
			}
			got := accept(compileRules([]Rule{tt.rule}), f) != ""
			if got != tt.want {
				t.Errorf("accepted = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRuleValidate(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		want []error // every error the rule's error wraps; nil for none
	}{
		{"valid", Rule{Resources: []string{"aws_instance.*", "module.app.**", `aws_instance.web\[0\]`, "{a,b}.c"}, Attributes: []string{"tags", `tags["env"]`, "ingress[*].cidr_blocks"}}, nil},
		{"no resources", Rule{}, []error{ErrNoResources}},
		{"empty glob", Rule{Resources: []string{""}}, []error{ErrBadGlob}},
		{"empty segment", Rule{Resources: []string{"aws_instance..web"}}, []error{ErrBadGlob}},
		{"unclosed class", Rule{Resources: []string{"aws_instance.[ab"}}, []error{ErrBadGlob}},
		{"unclosed brace", Rule{Resources: []string{"{a,b.c"}}, []error{ErrBadGlob}},
		{"trailing escape", Rule{Resources: []string{`a.b\`}}, []error{ErrBadGlob}},
		{"bad attribute", Rule{Resources: []string{"a.b"}, Attributes: []string{`tags["env`}}, []error{ErrBadAttributePath}},
		{"empty attribute", Rule{Resources: []string{"a.b"}, Attributes: []string{""}}, []error{ErrBadAttributePath}},
		{"both", Rule{Resources: []string{"[z-a]"}, Attributes: []string{"a..b"}}, []error{ErrBadGlob, ErrBadAttributePath}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rule.Validate()
			if (err == nil) != (tt.want == nil) {
				t.Fatalf("Validate() = %v, want errors %v", err, tt.want)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("Validate() = %v, want it to wrap %v", err, w)
				}
			}
		})
	}
}

func TestParseAttrPath(t *testing.T) {
	tests := []struct {
		path   string
		want   []attrStep
		wantOK bool
	}{
		{"desired_capacity", []attrStep{{name: "desired_capacity"}}, true},
		{"tags.env", []attrStep{{name: "tags"}, {name: "env"}}, true},
		{`tags["cost-center"]`, []attrStep{{name: "tags"}, {name: "cost-center"}}, true},
		{`tags["a\"]b"]`, []attrStep{{name: "tags"}, {name: `a"]b`}}, true},
		{"ingress[0].from_port", []attrStep{{name: "ingress"}, {name: "0"}, {name: "from_port"}}, true},
		{"ingress[*]", []attrStep{{name: "ingress"}, {name: "*", wild: true}}, true},
		{"a.*.b", []attrStep{{name: "a"}, {name: "*", wild: true}, {name: "b"}}, true},
		{`a["*"]`, []attrStep{{name: "a"}, {name: "*"}}, true},
		{"[0].a", []attrStep{{name: "0"}, {name: "a"}}, true},
		{"", nil, false},
		{"a.", nil, false},
		{"a..b", nil, false},
		{"a[", nil, false},
		{"a[]", nil, false},
		{`a["x"`, nil, false},
		{`a["x"]b`, nil, false},
		{`a"b`, nil, false},
		{"a]", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := parseAttrPath(tt.path)
			if ok != tt.wantOK || (ok && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("parseAttrPath(%q) = %+v, %v, want %+v, %v", tt.path, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// FuzzParseAttrPath checks that parsing never panics and that a path that
// parses is covered by itself as a prefix.
func FuzzParseAttrPath(f *testing.F) {
	for _, s := range []string{"tags", `tags["a.b"]`, "a[0].b", "a[*]", `a["\""]`, "a..b", "["} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		steps, ok := parseAttrPath(s)
		if !ok {
			return
		}
		if !hasStepPrefix(steps, steps) {
			t.Errorf("%q does not cover itself", s)
		}
	})
}
