package runner

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/store"
)

// commandUsage is the reply to a /driftgate comment driftgate does not
// understand.
const commandUsage = "driftgate understands `/driftgate plan` (plan every stack this PR affects) and `/driftgate plan STACK` (plan one stack)."

// parseCommand reads a /driftgate comment: ok is false for comments that
// are not commands; stack is "" for every affected stack; bad is set for
// a command driftgate does not understand.
func parseCommand(body string) (stack string, ok, bad bool) {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	f := strings.Fields(line)
	if len(f) == 0 || f[0] != "/driftgate" {
		return "", false, false
	}
	switch {
	case len(f) == 2 && f[1] == "plan":
		return "", true, false
	case len(f) == 3 && f[1] == "plan":
		return f[2], true, false
	}
	return "", true, true
}

// handleCommand runs a /driftgate comment from a user with write access,
// and answers anything else that starts with /driftgate with the usage.
func (d *Daemon) handleCommand(ctx context.Context, rc RepoConfig, c *forge.CommentEvent) error {
	stack, ok, bad := parseCommand(c.Body)
	if !ok {
		return nil
	}
	reply := func(text string) error {
		marker := "<!-- driftgate:reply:" + strconv.FormatInt(c.ID, 10) + " -->"
		err := d.store.QueueOutbox(ctx, store.OutboxItem{Repo: rc.Name, Kind: store.OutboxComment, PR: c.PRNumber, Marker: marker,
			Body: marker + "\n@" + c.Author + " " + text})
		d.outboxWake()
		return err
	}
	if bad {
		return reply(commandUsage)
	}
	can, err := rc.Forge.Client.CanWrite(ctx, c.Author)
	if err != nil {
		return fmt.Errorf("check %s's access: %w", c.Author, err)
	}
	if !can {
		d.logger.Info("/driftgate command refused: no write access", logRepo, rc.Name, logPR, c.PRNumber, logBy, c.Author)
		return reply("only users with write access to the repository may ask driftgate to plan. " + commandUsage)
	}
	pr, err := rc.Forge.Client.PullRequest(ctx, c.PRNumber)
	if err != nil {
		return fmt.Errorf("read PR #%d: %w", c.PRNumber, err)
	}
	if pr.State != forge.PROpen {
		return reply("this PR is not open; nothing was planned.")
	}
	if _, err := d.handlePRRecord(ctx, rc, pr); err != nil {
		return err
	}
	if err := d.planPR(ctx, rc, pr, stack, true); err != nil {
		return reply("could not plan: " + err.Error())
	}
	return nil
}
