// Package prcomment renders the plan results of a pull request into the
// bodies of the PR's comments. It is pure: the caller gathers the runs, the
// plan analyses and the drift state of the target branch, and upserts each
// body by its marker (see Marker) through the forge.
//
// # Layout
//
// The first comment opens with a summary table (stack, result, to add /
// change / destroy / replace, target branch drifted). Then each stack whose
// plan has changes or errored gets a collapsible <details> section: the
// attribute-level changes, the redacted plan in a diff block, the error
// with terraform's diagnostics, and a link to the run at the public URL
// (no link when there is no public URL). Every other stack (no changes,
// queued, planning, superseded, canceled) takes its one table row.
//
// # Size
//
// Every body is at most Input.MaxLength bytes. Bytes bound characters
// however a forge counts them (code points, UTF-16 units or bytes), so a body
// within the limit in bytes is within it on every forge. The summary comes
// first; when its rows do not fit one comment they continue, under a
// repeated table header, in the next. Sections follow in table order: a
// section that does not fit in what is left of the current comment is
// truncated to fit when at least a quarter of the limit is left, and
// otherwise starts the next comment (truncated to fit a whole comment when
// it is bigger than one). A truncated section says so and links to the full
// plan. Code blocks are cut between lines (a single line longer than the
// space left is cut inside) and always closed.
//
// The comments are edited in place on every push. While stacks are planned
// again, a continuation comment that has nothing to carry yet is kept with
// a note that the rest follows (Input.Keep), so it stays where it is in the
// conversation; once every stack has a result, the caller deletes the
// comments beyond the last body.
//
// # Escaping
//
// Every string that comes from outside (stack and repo names, addresses,
// attribute paths, values, run ids, plan and error text) is written so it
// cannot be markup: in text and in HTML (<summary>, table cells) every
// markdown and HTML punctuation character becomes a numeric character
// reference, line breaks and control characters become spaces, bidi
// controls become U+FFFD and "@" is followed by a zero-width space so no one
// is mentioned; in code spans and fenced code blocks the fence is one
// backtick longer than the longest backtick run of the content, so the
// content cannot close it. Values are already redacted by planner/analysis;
// nothing here sees a sensitive value.
//
// # Reverts of out-of-band changes
//
// A planned resource change only reverts drift (made outside Terraform) when
// all of these hold, and is then listed under "Reverts out-of-band changes"
// instead of with the changes the PR's code makes:
//
//   - the plan's resource_drift holds the same address as "changed" (not
//     "deleted": a resource deleted outside Terraform and created again by
//     the plan is listed with the PR's changes, since the plan cannot show
//     it comes back as it was);
//   - the planned action is an in-place update, not an import;
//   - it changes at least one attribute, and every attribute it changes
//     drifted: the drift lists the same path, and the planned change goes
//     from the drifted value (the drift's after) back to the pre-drift value
//     (the drift's before), both compared exactly;
//   - no attribute involved is sensitive or unknown on either side (redacted
//     values cannot be compared, so such a change counts as the PR's).
//
// The plan may revert fewer attributes than drifted (the PR's code may
// adopt part of the drift); every attribute it does change must be a
// revert. Inside a change made by the PR's code, an attribute that on its
// own meets the attribute rule is marked "reverts out-of-band change".
package prcomment
