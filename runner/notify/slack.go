package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Limits that keep a Slack message short.
const (
	// slackTextAttrs is how many attributes the notification text lists.
	slackTextAttrs = 3
	// slackBlockAttrs is how many attributes the message body lists.
	slackBlockAttrs = 10
	// slackValueLen bounds one printed attribute value.
	slackValueLen = 60
	// slackErrorLen bounds a printed check error.
	slackErrorLen = 300
	// slackSectionLen is below Slack's 3000-character section limit.
	slackSectionLen = 2900
)

// slack posts events to a Slack incoming webhook.
type slack struct {
	name   string
	url    string
	client *http.Client
}

// NewSlack returns a sink that posts a short readable summary of each
// event to a Slack incoming webhook. The URL is a secret: errors and logs
// never show it. A nil client means one with a 30s timeout that does not
// follow redirects.
func NewSlack(name, url string, client *http.Client) Sink {
	if client == nil {
		client = defaultClient()
	}
	return &slack{name: name, url: url, client: client}
}

// Name returns the sink's configured name.
func (s *slack) Name() string { return s.name }

// Send posts the summary of the redacted event once.
func (s *slack) Send(ctx context.Context, ev Event) error {
	body, err := json.Marshal(slackMessage(ev.Redacted()))
	if err != nil {
		return fmt.Errorf("slack %s: %w: encode message: %w", s.name, errPermanent, err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	if err := post(ctx, s.client, s.url, h, body); err != nil {
		return fmt.Errorf("slack %s: %w", s.name, err)
	}
	return nil
}

// slackPayload is the body of an incoming webhook request: the text shows
// in notifications, the blocks in the channel.
type slackPayload struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks,omitempty"`
}

// slackBlock is a section (Text) or context (Elements) block.
type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

// slackText is a mrkdwn text object.
type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// mrkdwn returns a mrkdwn text object.
func mrkdwn(s string) *slackText { return &slackText{Type: "mrkdwn", Text: s} }

// slackMessage renders ev, which must be redacted, as a Slack message:
//
//	:warning: Drift found in infra/network: aws_instance.web changed outside Terraform (out_of_band) — size: "small" → "large"
func slackMessage(ev Event) slackPayload {
	head := slackHeadline(ev)
	var attrs []string
	if f := ev.Finding; f != nil && (ev.Type == DriftFound || ev.Type == DriftChanged) {
		for _, a := range f.Attributes {
			attrs = append(attrs, slackAttr(a))
		}
	}

	text := head
	if len(attrs) > 0 {
		text += " — " + strings.Join(attrs[:min(len(attrs), slackTextAttrs)], ", ")
		if more := len(attrs) - slackTextAttrs; more > 0 {
			text += fmt.Sprintf(" (+%d more)", more)
		}
	}

	blocks := []slackBlock{{Type: "section", Text: mrkdwn(clip(head, slackSectionLen))}}
	if len(attrs) > 0 {
		lines := make([]string, 0, slackBlockAttrs+1)
		for _, a := range attrs[:min(len(attrs), slackBlockAttrs)] {
			lines = append(lines, "• "+a)
		}
		if more := len(attrs) - slackBlockAttrs; more > 0 {
			lines = append(lines, fmt.Sprintf("…and %d more", more))
		}
		blocks = append(blocks, slackBlock{Type: "section", Text: mrkdwn(clip(strings.Join(lines, "\n"), slackSectionLen))})
	}
	if ctx := slackContext(ev); ctx != "" {
		blocks = append(blocks, slackBlock{Type: "context", Elements: []slackText{*mrkdwn(ctx)}})
	}
	return slackPayload{Text: text, Blocks: blocks}
}

// slackHeadline is the one-line summary of ev.
func slackHeadline(ev Event) string {
	where := escape(ev.Stack)
	if ev.Repo != "" {
		where = escape(ev.Repo) + "/" + where
	}
	if ev.Type == CheckErrored {
		msg := ":x: Drift check failed in " + where
		if e := strings.Join(strings.Fields(ev.Error), " "); e != "" {
			msg += ": " + escape(clip(e, slackErrorLen))
		}
		return msg
	}

	var icon, verb string
	switch ev.Type {
	case DriftFound:
		icon, verb = ":warning:", "Drift found"
	case DriftChanged:
		icon, verb = ":arrows_counterclockwise:", "Drift changed"
	case DriftResolved:
		icon, verb = ":white_check_mark:", "Drift resolved"
	default:
		icon, verb = ":grey_question:", escape(string(ev.Type))
	}
	msg := icon + " " + verb + " in " + where
	f := ev.Finding
	if f == nil {
		return msg
	}
	msg += ": " + escape(f.Address)
	if ev.Type == DriftResolved {
		return msg + " matches Terraform again"
	}
	switch f.Kind {
	case "changed":
		msg += " changed outside Terraform"
	case "deleted":
		msg += " was deleted outside Terraform"
	case "pending":
		msg += " has changes in code that are not applied"
	case "":
	default:
		msg += " " + escape(f.Kind)
	}
	if f.Cause != "" {
		msg += " (" + escape(f.Cause) + ")"
	}
	return msg
}

// slackAttr renders one attribute change, `path: before → after`. A
// sensitive attribute prints SensitiveValue whatever its values.
func slackAttr(a Attribute) string {
	before, after := SensitiveValue, SensitiveValue
	if !a.Sensitive {
		before, after = slackValue(a.Before), slackValue(a.After)
	}
	return escape(a.Path) + ": " + before + " → " + after
}

// slackValue prints an attribute value as JSON, shortened and escaped.
func slackValue(v any) string {
	if s, ok := v.(string); ok && s == SensitiveValue {
		return SensitiveValue
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // escape does it the Slack way
	if err := enc.Encode(v); err != nil {
		return "(unprintable)"
	}
	return escape(clip(strings.TrimSuffix(b.String(), "\n"), slackValueLen))
}

// slackContext is the small print under the message: run, commit, link.
func slackContext(ev Event) string {
	var parts []string
	if ev.RunID != "" {
		parts = append(parts, "run "+escape(ev.RunID))
	}
	if ev.Commit != "" {
		parts = append(parts, "commit "+escape(ev.Commit[:min(len(ev.Commit), 12)]))
	}
	if f := ev.Finding; f != nil && !f.FirstSeen.IsZero() && ev.Type != DriftResolved {
		parts = append(parts, "first seen "+f.FirstSeen.UTC().Format("2006-01-02 15:04 MST"))
	}
	if ev.URL != "" {
		parts = append(parts, "<"+linkEscaper.Replace(ev.URL)+"|view in driftgate>")
	}
	return strings.Join(parts, " · ")
}

// escape escapes the characters Slack's mrkdwn reserves for links and
// mentions.
func escape(s string) string { return mrkdwnEscaper.Replace(s) }

var (
	mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	linkEscaper   = strings.NewReplacer("<", "%3C", ">", "%3E", "|", "%7C", " ", "%20")
)
