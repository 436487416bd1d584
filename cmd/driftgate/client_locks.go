package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mitchellh/go-wordwrap"
	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// Lock states, as the STATE column of `driftgate locks` shows them.
const (
	lockRunning = "running"
	lockHeld    = "held"
)

// noteIndent indents the lines under a row of `driftgate locks`, and
// commandIndent a command there that is too long to share a line.
const (
	noteIndent    = "  "
	commandIndent = "    "
)

func newLocksCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var repo string
	cmd := &cobra.Command{
		Use:   "locks",
		Short: "List the stacks a run holds now and the stacks held after a cut-off apply",
		Long: `List the locked stacks of a driftgate server. A stack is running while a
run holds it (one run per stack at a time), and held after an apply was cut
off by a crash or an interrupted shutdown: its state may be half written,
so no apply starts until an admin releases it with ` + "`driftgate release`" + `.
Under a held stack a line says why it is held and, when the cut-off apply
left a Terraform state lock behind, the command that clears it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.connect()
			if err != nil {
				return err
			}
			locks, err := c.Locks(cmd.Context(), repo)
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				return writeJSON(g, map[string]any{"locks": nonNilSlice(locks)})
			}
			if len(locks) == 0 {
				fmt.Fprintln(g.stdout, "No stacks are locked.")
				return nil
			}
			return writeLocks(g.stdout, locks, time.Now())
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().StringVar(&repo, "repo", "", "only the stacks of this repo")
	return cmd
}

// writeLocks writes one row per running or held stack (two for a stack
// both), each held one followed by its notes (see holdNotes).
func writeLocks(w io.Writer, locks []apiv1.StackLock, now time.Time) error {
	var rows [][]string
	var notes [][]string
	for _, l := range locks {
		if h := l.Holder; h != nil {
			rows = append(rows, []string{l.Repo, l.Stack, lockRunning, shortRunID(h.RunID), age(now, h.Since)})
			notes = append(notes, nil)
		}
		if h := l.Hold; h != nil {
			rows = append(rows, []string{l.Repo, l.Stack, lockHeld, dash(shortRunID(h.RunID)), age(now, h.Since)})
			notes = append(notes, holdNotes(h))
		}
	}
	var table bytes.Buffer
	err := writeTable(&table, []column{
		{title: "REPO", flex: true}, {title: "STACK", flex: true}, {title: "STATE"}, {title: "RUN"}, {title: "SINCE"},
	}, rows)
	if err != nil {
		return err
	}
	lines := strings.SplitAfter(table.String(), "\n")
	var out strings.Builder
	out.WriteString(lines[0]) // the header
	for i, line := range lines[1:] {
		out.WriteString(line)
		if i < len(notes) {
			for _, n := range notes[i] {
				out.WriteString(n + "\n")
			}
		}
	}
	_, err = io.WriteString(w, out.String())
	return err
}

// holdNotes are the lines under a held stack: why it is held, and the
// state lock left behind with the command that clears it. The command is
// never wrapped or cut, so that it can be copied: when it does not fit on
// the line, it gets one of its own.
func holdNotes(h *apiv1.Hold) []string {
	var notes []string
	if h.Reason != "" {
		notes = append(notes, indentWrapped(noteIndent, oneLine(h.Reason))...)
	}
	if l := h.Lock; l != nil {
		text := fmt.Sprintf("terraform state lock %s left behind; clear it with:", oneLine(l.ID))
		command := oneLine(l.Command)
		switch {
		case command == "":
			notes = append(notes, indentWrapped(noteIndent, strings.TrimSuffix(text, "; clear it with:")+".")...)
		case len(noteIndent)+len(text)+1+len(command) <= tableWidth:
			notes = append(notes, noteIndent+text+" "+command)
		default:
			notes = append(notes, indentWrapped(noteIndent, text)...)
			notes = append(notes, commandIndent+command)
		}
	}
	return notes
}

// indentWrapped wraps text to fit tableWidth after indent, and indents
// each line.
func indentWrapped(indent, text string) []string {
	lines := strings.Split(wordwrap.WrapString(text, uint(tableWidth-len(indent))), "\n")
	for i := range lines {
		lines[i] = indent + lines[i]
	}
	return lines
}

func newReleaseCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var comment string
	cmd := &cobra.Command{
		Use:   "release REPO STACK",
		Short: "Release a stack held after a cut-off apply, and queue a fresh plan of it",
		Long: `Release STACK in REPO, held since an apply of it was cut off (see
` + "`driftgate locks`" + `), and queue a fresh plan of it, made against the state the
cut-off apply left. Check that state first, and clear the Terraform state
lock the apply left behind, if any, with the command ` + "`driftgate locks`" + `
prints. Releasing needs an admin token.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.connect()
			if err != nil {
				return err
			}
			rel, err := c.ReleaseStack(cmd.Context(), args[0], args[1], comment)
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				return writeJSON(g, rel)
			}
			writeRelease(g.stdout, args[0], args[1], rel, time.Now())
			return nil
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().StringVar(&comment, "comment", "", "a comment kept with the release, such as what was checked")
	return cmd
}

// writeRelease prints what was released, the lock the cut-off apply may
// have left, and the plan queued.
func writeRelease(w io.Writer, repo, stack string, rel *apiv1.Release, now time.Time) {
	h := rel.Released
	if h.Repo != "" || h.Stack != "" {
		repo, stack = h.Repo, h.Stack
	}
	text := fmt.Sprintf("Released %s, held for %s", stackName(repo, stack), age(now, h.Since))
	switch {
	case h.Reason != "":
		text += ": " + strings.TrimSuffix(oneLine(h.Reason), ".") + "."
	case h.RunID != "":
		text += " since apply run " + h.RunID + " was cut off."
	default:
		text += "."
	}
	fmt.Fprintln(w, wordwrap.WrapString(text, tableWidth))
	if l := h.Lock; l != nil {
		msg := fmt.Sprintf("It left terraform state lock %s behind.", oneLine(l.ID))
		if l.Command != "" {
			msg = fmt.Sprintf("It left terraform state lock %s behind; if it is still there, clear it with:", oneLine(l.ID))
		}
		fmt.Fprintln(w, wordwrap.WrapString(msg, tableWidth))
		if l.Command != "" {
			fmt.Fprintln(w, noteIndent+oneLine(l.Command))
		}
	}
	if p := rel.Plan; p != nil {
		fmt.Fprintf(w, "Queued plan run %s at %s.\nFollow it with: driftgate wait %s\n", p.ID, shortCommit(p.Commit), p.ID)
	} else {
		fmt.Fprintf(w, "No plan was queued; queue one with: driftgate plan-stack %s %s\n", repo, stack)
	}
}
