package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSlackMessageText(t *testing.T) {
	found := driftEvent().Redacted()

	changed := found
	changed.Type = DriftChanged

	deleted := driftEvent()
	deleted.Finding.Kind, deleted.Finding.Cause = "deleted", "unknown"
	deleted.Finding.Attributes = nil

	resolved := driftEvent()
	resolved.Type = DriftResolved
	resolved.Finding.ResolvedAt = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

	errored := Event{Type: CheckErrored, Repo: "infra", Stack: "network",
		Error: "Error: error configuring Terraform AWS Provider:\n  no valid credential sources"}

	local := driftEvent().Redacted()
	local.Repo = ""

	many := driftEvent()
	many.Finding.Attributes = nil
	for i := range 12 {
		many.Finding.Attributes = append(many.Finding.Attributes, Attribute{Path: fmt.Sprintf("tags.k%d", i), Before: i, After: i + 1})
	}

	escaped := driftEvent()
	escaped.Finding.Address = `module.a["<b>&c"]`
	escaped.Finding.Attributes = []Attribute{{Path: "name", Before: "<!channel>", After: "a&b"}}

	tests := []struct {
		name string
		ev   Event
		want string
	}{
		{"found", found, `:warning: Drift found in infra/network: aws_instance.web changed outside Terraform (out_of_band) — instance_type: "small" → "large", user_data: (sensitive value) → (sensitive value)`},
		{"changed", changed, `:arrows_counterclockwise: Drift changed in infra/network: aws_instance.web changed outside Terraform (out_of_band) — instance_type: "small" → "large", user_data: (sensitive value) → (sensitive value)`},
		{"deleted", deleted, `:warning: Drift found in infra/network: aws_instance.web was deleted outside Terraform (unknown)`},
		{"resolved", resolved, `:white_check_mark: Drift resolved in infra/network: aws_instance.web matches Terraform again`},
		{"errored", errored, `:x: Drift check failed in infra/network: Error: error configuring Terraform AWS Provider: no valid credential sources`},
		{"local stack", local, `:warning: Drift found in network: aws_instance.web changed outside Terraform (out_of_band) — instance_type: "small" → "large", user_data: (sensitive value) → (sensitive value)`},
		{"many attributes", many, `:warning: Drift found in infra/network: aws_instance.web changed outside Terraform (out_of_band) — tags.k0: 0 → 1, tags.k1: 1 → 2, tags.k2: 2 → 3 (+9 more)`},
		{"escaped", escaped, `:warning: Drift found in infra/network: module.a["&lt;b&gt;&amp;c"] changed outside Terraform (out_of_band) — name: "&lt;!channel&gt;" → "a&amp;b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slackMessage(tt.ev)
			if got.Text != tt.want {
				t.Errorf("text =\n%s\nwant\n%s", got.Text, tt.want)
			}
			if len(got.Blocks) == 0 || got.Blocks[0].Text == nil {
				t.Fatalf("no headline block: %+v", got.Blocks)
			}
		})
	}
}

func TestSlackMessageBlocks(t *testing.T) {
	many := driftEvent()
	many.Finding.Attributes = nil
	for i := range 12 {
		many.Finding.Attributes = append(many.Finding.Attributes, Attribute{Path: fmt.Sprintf("tags.k%d", i), Before: "x", After: strings.Repeat("y", 100)})
	}
	msg := slackMessage(many)
	if len(msg.Blocks) != 3 {
		t.Fatalf("blocks = %+v, want headline, attributes, context", msg.Blocks)
	}
	attrs := msg.Blocks[1].Text.Text
	if got, want := strings.Count(attrs, "• "), slackBlockAttrs; got != want {
		t.Errorf("%d attributes listed, want %d:\n%s", got, want, attrs)
	}
	if !strings.HasSuffix(attrs, "…and 2 more") {
		t.Errorf("attributes block does not end with the rest's count:\n%s", attrs)
	}
	if strings.Contains(attrs, strings.Repeat("y", slackValueLen+1)) {
		t.Errorf("long values are not shortened:\n%s", attrs)
	}
	ctx := msg.Blocks[2].Elements[0].Text
	for _, want := range []string{"run 01JDRUN0000000000000000000", "commit 0123456789ab", "first seen 2026-11-25 09:00 UTC",
		"<https://driftgate.example/runs/01JDRUN0000000000000000000|view in driftgate>"} {
		if !strings.Contains(ctx, want) {
			t.Errorf("context %q lacks %q", ctx, want)
		}
	}
}

// TestSlackMessageNeverShowsSensitiveValues renders an event that was not
// redacted: the sensitive attribute still prints no value.
func TestSlackMessageNeverShowsSensitiveValues(t *testing.T) {
	for _, et := range EventTypes {
		ev := driftEvent() // not redacted
		ev.Type = et
		b, err := json.Marshal(slackMessage(ev))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), secretValue) {
			t.Errorf("%s message shows the sensitive value: %s", et, b)
		}
	}
}

func TestSlackSend(t *testing.T) {
	r := newReceiver(t)
	sink := NewSlack("chat", r.url(), nil)
	if err := sink.Send(t.Context(), driftEvent()); err != nil {
		t.Fatal(err)
	}
	reqs := r.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	var got slackPayload
	if err := json.Unmarshal(reqs[0].Body, &got); err != nil {
		t.Fatalf("body is not a Slack payload: %v\n%s", err, reqs[0].Body)
	}
	if !strings.Contains(got.Text, "aws_instance.web") || !strings.Contains(got.Text, `instance_type: "small" → "large"`) {
		t.Errorf("text lacks the finding: %s", got.Text)
	}
	if strings.Contains(string(reqs[0].Body), secretValue) {
		t.Errorf("body shows the sensitive value: %s", reqs[0].Body)
	}
	if ct := reqs[0].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

// TestSinkErrorsHideURL checks that failures name the status and quote
// the body but never show the sink's URL, even when the receiver echoes
// it or cannot be reached.
func TestSinkErrorsHideURL(t *testing.T) {
	r := newReceiver(t, 404)
	down := newReceiver(t)
	downURL := down.url()
	down.srv.Close()

	tests := []struct {
		name      string
		sink      Sink
		wantError string
	}{
		{"slack 404", NewSlack("chat", r.url(), nil), "slack chat: receiver answered 404 Not Found: status 404 for [sink url]"},
		{"webhook 404", NewWebhook("hook", r.url(), []byte(webhookKey), nil), "webhook hook: receiver answered 404 Not Found: status 404 for [sink url]"},
		{"slack unreachable", NewSlack("chat", downURL, nil), "slack chat: post: "},
		{"slack bad URL", NewSlack("chat", "http://[::1"+slackPath, nil), "slack chat: permanent failure: the sink's URL is not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.sink.Send(t.Context(), driftEvent())
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if !strings.HasPrefix(err.Error(), tt.wantError) {
				t.Errorf("err = %q, want it to start with %q", err, tt.wantError)
			}
			for _, secret := range []string{slackPath, "xoxTOKN", webhookKey} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("err %q shows %q", err, secret)
				}
			}
		})
	}
}
