package planner

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"

	"github.com/driftgate/driftgate/planner/drift"
)

// configChecker checks the stacks of a repo config against each other and
// against the repo. It cleans paths in place and collects diagnostics whose
// Detail says how to fix the problem.
type configChecker struct {
	res    *resolver
	blocks []stackBlock  // the stacks as written, for diagnostics' ranges
	stacks []StackConfig // the stacks as decoded, index for index
	// decodeDiags are what gohcl reported; an argument with an error in
	// it is not checked further.
	decodeDiags hcl.Diagnostics
	diags       hcl.Diagnostics
}

// checkRepoConfig checks stacks, decoded from blocks with decodeDiags, and
// cleans their paths in place.
func checkRepoConfig(res *resolver, blocks []stackBlock, stacks []StackConfig, decodeDiags hcl.Diagnostics) hcl.Diagnostics {
	c := &configChecker{res: res, blocks: blocks, stacks: stacks, decodeDiags: decodeDiags}
	byName := make(map[string]int, len(stacks))
	byDirWs := make(map[string]int, len(stacks))
	for i := range stacks {
		c.checkName(i, byName)
		c.checkDir(i, byDirWs)
		c.checkVarFiles(i)
		c.checkVersion(i)
		c.checkTriggers(i)
		c.checkDrift(i)
		c.checkApply(i)
	}
	c.checkDependsOn(byName)
	return c.diags
}

func (c *configChecker) errorf(subject hcl.Range, summary, detail string, args ...any) {
	c.diags = append(c.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  subject.Ptr(),
	})
}

func (c *configChecker) checkName(i int, byName map[string]int) {
	s, nameRange := &c.stacks[i], c.blocks[i].NameRange
	if strings.TrimSpace(s.Name) == "" {
		c.errorf(nameRange, "Empty stack name",
			"Give the stack a name, such as stack \"network\" { ... }.")
		return
	}
	if first, ok := byName[s.Name]; ok {
		c.errorf(nameRange, "Duplicate stack name",
			"A stack named %q is already declared at %s line %d. Stack names must be unique: rename one of them.",
			s.Name, RepoConfigFile, c.blocks[first].DefRange.Start.Line)
		return
	}
	byName[s.Name] = i
}

func (c *configChecker) checkDir(i int, byDirWs map[string]int) {
	s := &c.stacks[i]
	attr, _, present := c.attrRanges(i, "dir")
	if !present {
		return // gohcl reported the missing or unsuitable argument
	}
	dir, real, ok := c.checkPath(attr, "dir", s.Dir, true)
	if !ok {
		return
	}
	s.Dir = dir
	if s.Workspace == "" {
		if ws, _, present := c.attrRanges(i, "workspace"); present {
			c.errorf(ws, "Empty workspace",
				"Remove the workspace argument to use %q, or name a Terraform workspace.", DefaultWorkspace)
		}
		return
	}
	key := real + "\x00" + s.Workspace
	if first, ok := byDirWs[key]; ok {
		c.errorf(attr, "Duplicate stack",
			"Stack %q (%s line %d) already plans %s in workspace %q. Remove one of them or give them different workspaces.",
			c.stacks[first].Name, RepoConfigFile, c.blocks[first].DefRange.Start.Line, s.Dir, s.Workspace)
		return
	}
	byDirWs[key] = i
}

func (c *configChecker) checkVarFiles(i int) {
	s := &c.stacks[i]
	attr, elems, present := c.attrRanges(i, "var_files")
	if !present {
		return
	}
	for j, f := range s.VarFiles {
		if p, _, ok := c.checkPath(rangeAt(elems, j, attr), "var_files", f, false); ok {
			s.VarFiles[j] = p
		}
	}
}

// checkPath checks that p is a repo-relative path to an existing directory
// (or regular file) that does not leave the repo through a symbolic link,
// and returns it clean and in its real (symlink-free) form.
func (c *configChecker) checkPath(rng hcl.Range, attr, p string, wantDir bool) (clean, real string, ok bool) {
	kind := "file"
	if wantDir {
		kind = "directory"
	}
	if p == "" {
		c.errorf(rng, "Empty path", "Set %s to a %s relative to the repo root.", attr, kind)
		return "", "", false
	}
	clean, err := cleanRepoPath(p)
	if err != nil {
		c.errorf(rng, "Invalid path",
			"%s must be relative to the repo root (the directory holding %s) and stay inside it: %s.",
			attr, RepoConfigFile, err)
		return "", "", false
	}
	real, info, err := c.res.stat(clean)
	switch {
	case errors.Is(err, ErrLinkAbsolute), errors.Is(err, ErrLinkEscapes), errors.Is(err, ErrLinkLoop):
		c.errorf(rng, "Path leaves the repo",
			"%s %q goes through a symbolic link that driftgate will not follow (%s). Point it at a real path inside the repo.",
			attr, p, err)
		return "", "", false
	case errors.Is(err, fs.ErrNotExist):
		c.errorf(rng, "Path not found",
			"%s %q does not exist in the repo. Paths are relative to the repo root, not to %s's stack dir.",
			attr, p, attr)
		return "", "", false
	case err != nil:
		c.errorf(rng, "Cannot read path", "Checking %s %q failed: %s.", attr, p, err)
		return "", "", false
	case info.IsDir() != wantDir:
		c.errorf(rng, "Wrong kind of path", "%s %q must name a %s.", attr, p, kind)
		return "", "", false
	}
	return clean, real, true
}

func (c *configChecker) checkVersion(i int) {
	s := &c.stacks[i]
	rng, _, present := c.attrRanges(i, "terraform_version")
	if !present || s.TerraformVersion == "" {
		return
	}
	if _, err := version.NewConstraint(s.TerraformVersion); err != nil {
		c.errorf(rng, "Invalid version constraint",
			"terraform_version %q is not a version constraint (%s). Write one such as \"~> 1.11\" or \">= 1.9, < 2.0\".",
			s.TerraformVersion, err)
	}
}

func (c *configChecker) checkTriggers(i int) {
	s := &c.stacks[i]
	attr, elems, present := c.attrRanges(i, "extra_triggers")
	if !present {
		return
	}
	for j, pattern := range s.ExtraTriggers {
		rng := rangeAt(elems, j, attr)
		if isAbsPath(pattern) || pattern == ".." || strings.HasPrefix(pattern, "../") {
			c.errorf(rng, "Invalid trigger", "extra_triggers %q must be a glob relative to the repo root, such as \"scripts/**/*.sh\".", pattern)
			continue
		}
		if _, err := compileGlob(pattern); err != nil {
			c.errorf(rng, "Invalid glob",
				"extra_triggers %s. Use * within a path segment, ** for any number of segments, ? [abc] and {a,b}; escape special characters with \\.",
				err)
		}
	}
}

// checkDrift checks the drift policy: drift_schedule, on_drift and the
// ignore_drift blocks.
func (c *configChecker) checkDrift(i int) {
	s := &c.stacks[i]
	if rng, _, present := c.attrRanges(i, "drift_schedule"); present {
		if s.DriftSchedule == "" {
			c.errorf(rng, "Empty drift schedule",
				"Remove drift_schedule to use the repo's schedule from the server config, set it to %q to turn drift checks off, or write a schedule such as \"@hourly\".",
				DriftScheduleOff)
		} else if _, err := ParseDriftSchedule(s.DriftSchedule); err != nil {
			c.errorf(rng, "Invalid drift schedule",
				"%s. Write five cron fields such as \"0 */6 * * *\", a descriptor such as \"@hourly\", \"@daily\" or \"@every 30m\", or %q to turn drift checks off.",
				err, DriftScheduleOff)
		}
	}
	if rng, _, present := c.attrRanges(i, "on_drift"); present {
		switch s.OnDrift {
		case OnDriftNotify, OnDriftPlan, OnDriftApply:
		default:
			c.errorf(rng, "Invalid on_drift",
				"on_drift %q is not an action. Use %q (the default), %q or %q.",
				s.OnDrift, OnDriftNotify, OnDriftPlan, OnDriftApply)
		}
	}
	for j := range c.blocks[i].IgnoreDrift {
		c.checkIgnoreDrift(&c.blocks[i].IgnoreDrift[j])
	}
}

// checkIgnoreDrift checks one ignore_drift block: its resource globs and
// attribute paths, with the rules of the drift engine that uses them
// (drift.Rule.Validate), element by element so that each diagnostic points
// at the entry that is wrong.
func (c *configChecker) checkIgnoreDrift(b *ignoreDriftBlock) {
	if attr, elems, present := c.bodyAttrRanges(b.Body, b.DefRange, "resources"); present {
		if len(b.Resources) == 0 {
			c.errorf(attr, "No resources to ignore",
				"List the addresses of the resources whose drift to accept, as globs such as [\"aws_autoscaling_group.*\"], or remove the ignore_drift block.")
		}
		for j, pattern := range b.Resources {
			rng := rangeAt(elems, j, attr)
			if pattern == "" {
				c.errorf(rng, "Empty resource glob",
					"Write a resource address or a glob of them, such as \"aws_autoscaling_group.*\" or \"module.app.**\".")
				continue
			}
			if err := (drift.Rule{Resources: []string{pattern}}).Validate(); err != nil {
				c.errorf(rng, "Invalid resource glob",
					"%s. Separate an address's parts with \".\"; within a part use * and ?, [abc] for one of a class and {a,b} for alternatives; a part \"**\" matches any number of parts. Escape special characters with \\, such as an index's brackets: \"aws_instance.web\\\\[0\\\\]\".",
					err)
			}
		}
	}
	if attr, elems, present := c.bodyAttrRanges(b.Body, b.DefRange, "attributes"); present {
		for j, a := range b.Attributes {
			rng := rangeAt(elems, j, attr)
			if strings.TrimSpace(a) == "" {
				c.errorf(rng, "Empty attribute path",
					"Name an attribute path prefix, such as \"desired_capacity\" or \"tags\", or remove the attributes argument to accept drift in any attribute.")
				continue
			}
			// Any resource: the rule is only there to check the path.
			if err := (drift.Rule{Resources: []string{"**"}, Attributes: []string{a}}).Validate(); err != nil {
				c.errorf(rng, "Invalid attribute path",
					"%s. Write a path prefix as Terraform shows it, such as \"tags\", \"tags.env\", \"tags[\\\"cost-center\\\"]\" or \"ingress[*].cidr_blocks\".",
					err)
			}
		}
	}
}

// tokenName is the shape of an API token's name in the server config, which
// approvers name.
var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// forgeUser is the shape of a forge user among approvers, whose approving
// reviews of a merged pull request count: "github:alice", "gitlab:alice",
// "gitea:alice".
var forgeUser = regexp.MustCompile(`^(github|gitlab|gitea):[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// checkApply checks the apply policy: apply, approvals and approvers.
// allow_destroy and self_approval are booleans, which gohcl checks. A null
// argument is unset.
func (c *configChecker) checkApply(i int) {
	s, b := &c.stacks[i], &c.blocks[i]
	if rng, _, present := c.attrRanges(i, "apply"); present && b.Apply != nil {
		switch s.Apply {
		case ApplyManual, ApplyAuto:
		default:
			c.errorf(rng, "Invalid apply",
				"apply %q is not a mode. Use %q (the default: plans wait for approval) or %q (plans are applied without approval, except plans that delete or replace resources unless allow_destroy = true).",
				s.Apply, ApplyManual, ApplyAuto)
		}
	}
	approversAttr, elems, listed := c.attrRanges(i, "approvers")
	valid := 0 // distinct valid approvers
	if listed {
		first := make(map[string]int, len(s.Approvers))
		for j, name := range s.Approvers {
			rng := rangeAt(elems, j, approversAttr)
			switch k, dup := first[name]; {
			case strings.TrimSpace(name) == "":
				c.errorf(rng, "Empty approver",
					"Name an API token, as its token block in the server config is labelled, such as \"alice\"; or remove approvers to let any token with the approver role approve.")
			case !tokenName.MatchString(name) && !forgeUser.MatchString(name):
				c.errorf(rng, "Invalid approver",
					"%q is not a token name. Approvers are the labels of token blocks in the server config: letters, digits, '.', '_' and '-', starting with a letter or digit, such as \"alice\"; or forge users, such as \"github:alice\", \"gitlab:alice\" or \"gitea:alice\".",
					name)
			case dup:
				c.errorf(rng, "Duplicate approver",
					"%q is already listed as approver %d. List each token once; approvals counts distinct approvers.", name, k+1)
			default:
				first[name] = j
				valid++
			}
		}
	}
	if rng, _, present := c.attrRanges(i, "approvals"); present && b.Approvals != nil {
		switch {
		case s.Approvals < 1:
			c.errorf(rng, "Invalid approvals",
				"approvals = %d: a plan needs at least 1 approval. Remove approvals to require %d, or set apply = %q to apply without approval.",
				s.Approvals, DefaultApprovals, ApplyAuto)
		case listed && len(s.Approvers) > 0 && valid == len(s.Approvers) && s.Approvals > valid:
			c.errorf(rng, "Too few approvers",
				"approvals = %d, but approvers lists only %d, so no plan could ever be approved. Lower approvals or list more approvers.",
				s.Approvals, valid)
		}
	}
}

// checkDependsOn reports unknown names and cycles among depends_on edges.
func (c *configChecker) checkDependsOn(byName map[string]int) {
	edges := make([][]int, len(c.stacks))
	edgeRange := make(map[[2]int]hcl.Range)
	for i, s := range c.stacks {
		attr, elems, present := c.attrRanges(i, "depends_on")
		if !present {
			continue
		}
		for j, dep := range s.DependsOn {
			rng := rangeAt(elems, j, attr)
			k, ok := byName[dep]
			if !ok {
				c.errorf(rng, "Unknown stack",
					"Stack %q depends on %q, but no stack has that name. Declare it or fix the name.", s.Name, dep)
				continue
			}
			edges[i] = append(edges[i], k)
			edgeRange[[2]int{i, k}] = rng
		}
	}
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(c.stacks))
	var stack []int
	var visit func(i int)
	visit = func(i int) {
		color[i] = grey
		stack = append(stack, i)
		for _, k := range edges[i] {
			switch color[k] {
			case white:
				visit(k)
			case grey:
				c.reportCycle(stack, k, edgeRange[[2]int{i, k}])
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
	}
	for i := range c.stacks {
		if color[i] == white {
			visit(i)
		}
	}
}

// reportCycle reports the cycle that the edge at rng closes back to stack
// index to, where path is the current depth-first path.
func (c *configChecker) reportCycle(path []int, to int, rng hcl.Range) {
	var names []string
	for j := len(path) - 1; j >= 0; j-- {
		names = append([]string{c.stacks[path[j]].Name}, names...)
		if path[j] == to {
			break
		}
	}
	names = append(names, c.stacks[to].Name)
	c.errorf(rng, "Dependency cycle",
		"Stacks depend on each other in a cycle: %s. Remove one of these depends_on entries.",
		strings.Join(names, " → "))
}

// attrRanges finds argument name in stack i's block and returns its range
// and the ranges of its elements when it is a list written as one. present
// is false when the argument is absent or did not decode (gohcl reported
// why); the range then points at the block.
func (c *configChecker) attrRanges(i int, name string) (attr hcl.Range, elems []hcl.Range, present bool) {
	return c.bodyAttrRanges(c.blocks[i].Body, c.blocks[i].DefRange, name)
}

// bodyAttrRanges is attrRanges for any block of the file: its body and
// where it starts.
func (c *configChecker) bodyAttrRanges(body hcl.Body, defRange hcl.Range, name string) (attr hcl.Range, elems []hcl.Range, present bool) {
	content, _, _ := body.PartialContent(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: name}},
	})
	if content == nil || content.Attributes[name] == nil {
		return defRange, nil, false
	}
	a := content.Attributes[name]
	for _, d := range c.decodeDiags {
		if d.Severity == hcl.DiagError && d.Subject != nil && a.Range.ContainsOffset(d.Subject.Start.Byte) {
			return defRange, nil, false
		}
	}
	list, _ := hcl.ExprList(a.Expr)
	for _, e := range list {
		elems = append(elems, e.Range())
	}
	return a.Range, elems, true
}

// rangeAt returns ranges[i], or fallback when the list is shorter (the
// list was not written as [...]).
func rangeAt(ranges []hcl.Range, i int, fallback hcl.Range) hcl.Range {
	if i < len(ranges) {
		return ranges[i]
	}
	return fallback
}
