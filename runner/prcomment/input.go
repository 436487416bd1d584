package prcomment

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/planner/drift"
)

// MinLength is the smallest comment length limit Render accepts. The header,
// one summary row and the smallest section all fit in it.
const MinLength = 2048

// Errors Render returns for input it cannot render.
var (
	ErrLimitTooSmall = errors.New("comment length limit too small")
	ErrPublicURL     = errors.New("invalid public URL")
)

// markerPrefix starts every marker; the comment's number follows.
const markerPrefix = "<!-- driftgate:plan:"

// Marker returns the hidden HTML comment that the nth comment of a PR's plan
// (n from 1) contains, for finding the comment again to update it.
func Marker(n int) string {
	return markerPrefix + strconv.Itoa(n) + " -->"
}

// Result is where a stack's PR plan stands.
type Result string

// Results.
const (
	ResultQueued     Result = "queued"
	ResultPlanning   Result = "planning"
	ResultChanges    Result = "changes"
	ResultNoChanges  Result = "no_changes"
	ResultErrored    Result = "errored"
	ResultSuperseded Result = "superseded"
	ResultCanceled   Result = "canceled"
)

// label is what the summary table says for a result.
func (r Result) label() string {
	switch r {
	case ResultQueued:
		return "queued…"
	case ResultPlanning:
		return "planning…"
	case ResultChanges:
		return "changes"
	case ResultNoChanges:
		return "no changes"
	case ResultErrored:
		return "errored"
	case ResultSuperseded:
		return "superseded"
	case ResultCanceled:
		return "canceled"
	}
	return "unknown"
}

// PR is the pull request the comment is on.
type PR struct {
	Number  int
	HeadSHA string
}

// Stack is the PR plan of one affected stack.
type Stack struct {
	Repo  string
	Name  string
	RunID string
	// Result is where the plan stands.
	Result Result
	// Analysis is the plan's redacted analysis; nil until planned.
	Analysis *analysis.Analysis
	// PlanText is the redacted human-readable plan.
	PlanText string
	// Error is the run's error with terraform's diagnostics, for errored.
	Error string
	// TargetDrift is the drift status of the stack on the PR's target
	// branch; empty means unknown.
	TargetDrift drift.Status
}

// Input is everything one rendering needs.
type Input struct {
	PR PR
	// PublicURL is the base of links to runs; empty means no links.
	PublicURL string
	// Stacks are the affected stacks, in the order to show them.
	Stacks []Stack
	// MaxLength is the forge's comment size limit; every body is at most
	// this many bytes. At least MinLength.
	MaxLength int
	// Keep is the number of comments the PR's plan has on the forge now.
	// While a stack is still queued or planning, Render returns at least
	// Keep bodies: a continuation comment with nothing to carry yet says
	// the rest of the plan follows, so that the next report edits it in
	// place instead of it being deleted and posted again below newer
	// comments. Once every stack has a result, surplus comments are the
	// caller's to delete.
	Keep int
}

// planning reports whether some stack has no result yet.
func (in *Input) planning() bool {
	for _, s := range in.Stacks {
		if s.Result == ResultQueued || s.Result == ResultPlanning {
			return true
		}
	}
	return false
}

// maxPublicURL bounds the public URL so a link always fits a comment.
const maxPublicURL = 256

func (in *Input) validate() error {
	if in.MaxLength < MinLength {
		return fmt.Errorf("%w: %d, the least is %d", ErrLimitTooSmall, in.MaxLength, MinLength)
	}
	u := in.PublicURL
	if u == "" {
		return nil
	}
	if len(u) > maxPublicURL {
		return fmt.Errorf("%w: longer than %d bytes", ErrPublicURL, maxPublicURL)
	}
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return fmt.Errorf("%w: %q must start with https:// or http://", ErrPublicURL, u)
	}
	return nil
}

// targetDrifted is the summary's "target branch drifted" cell.
func targetDrifted(s drift.Status) string {
	switch s {
	case drift.StatusDrifted:
		return "yes"
	case drift.StatusInSync, drift.StatusPendingChanges:
		return "no"
	}
	return "unknown"
}
