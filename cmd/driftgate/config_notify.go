package main

// Drift defaults of repos and the notify blocks of the server config.

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/driftgate/driftgate/planner"
)

// NotifyConfig is one notification sink. Its secrets stay in the
// environment: URLEnv and SecretEnv name variables, checked to be set.
type NotifyConfig struct {
	Name string
	// Type is notifyWebhook or notifySlack.
	Type string
	// Exactly one of URL and URLEnv is set; a Slack sink always has URLEnv.
	URL    string
	URLEnv string
	// SecretEnv names the variable holding a webhook's HMAC key, or "".
	SecretEnv string
	// Events and Repos filter what is sent. Both are filled in when the
	// file leaves them out: every event in notifyEvents, every repo.
	Events []string
	Repos  []string
}

// Notification sink types.
const (
	notifyWebhook = "webhook"
	notifySlack   = "slack"
)

// notifyEvents are the events a notify block can ask for.
var notifyEvents = []string{"drift_found", "drift_changed", "drift_resolved", "check_errored"}

type notifyBlock struct {
	Name      string    `hcl:"name,label"`
	Type      string    `hcl:"type"`
	URL       *string   `hcl:"url,optional"`
	URLEnv    *string   `hcl:"url_env,optional"`
	SecretEnv *string   `hcl:"secret_env,optional"`
	Events    []string  `hcl:"events,optional"`
	Repos     []string  `hcl:"repos,optional"`
	Body      hcl.Body  `hcl:",body"`
	DefRange  hcl.Range `hcl:",def_range"`
}

// scheduleHint says how to write a drift_schedule.
const scheduleHint = `Write five cron fields such as "0 */6 * * *", a descriptor such as "@hourly", "@daily" or "@every 30m", or "off".`

// decodeRepoDrift decodes a repo's defaults for its stacks' drift checks.
func decodeRepoDrift(rb repoBlock, repo *RepoConfig) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if rb.DriftSchedule != nil {
		spec := *rb.DriftSchedule
		if spec == "" {
			diags = append(diags, attrError(rb.Body, "drift_schedule", "Empty drift schedule",
				`Remove drift_schedule to leave scheduled drift checks off, or write a schedule such as "@hourly".`))
		} else if _, err := planner.ParseDriftSchedule(spec); err != nil {
			diags = append(diags, attrError(rb.Body, "drift_schedule", "Invalid drift schedule", fmt.Sprintf("%s. %s", err, scheduleHint)))
		}
		repo.DriftSchedule = spec
	}
	if rb.OnDrift != nil {
		switch *rb.OnDrift {
		case planner.OnDriftNotify, planner.OnDriftPlan:
		case planner.OnDriftApply:
			diags = append(diags, attrError(rb.Body, "on_drift", "Apply on drift is set per stack",
				`A repo-wide on_drift cannot be "apply": applying to revert drift is chosen stack by stack. Set on_drift = "apply" in that stack's block of the repo's .driftgate.hcl, and use "notify" or "plan" here.`))
		default:
			diags = append(diags, attrError(rb.Body, "on_drift", "Invalid on_drift",
				fmt.Sprintf(`%q is not an action. Use "notify" (the default) or "plan"; "apply" can only be set on a stack, in .driftgate.hcl.`, *rb.OnDrift)))
		}
		repo.OnDrift = *rb.OnDrift
	}
	return diags
}

// decodeNotifyBlocks decodes the notify blocks into cfg.Notify; cfg.Repos
// must be decoded already.
func decodeNotifyBlocks(blocks []notifyBlock, cfg *Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	for _, nb := range blocks {
		if first, dup := seen[nb.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate notify name",
				Detail:   fmt.Sprintf("A notify block named %q is already defined at %s. Give each notify block a unique name.", nb.Name, first),
				Subject:  nb.DefRange.Ptr(),
			})
			continue
		}
		seen[nb.Name] = nb.DefRange
		n, more := decodeNotify(nb, cfg.Repos)
		diags = append(diags, more...)
		cfg.Notify = append(cfg.Notify, n)
	}
	return diags
}

func decodeNotify(nb notifyBlock, repos []RepoConfig) (NotifyConfig, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	n := NotifyConfig{Name: nb.Name, Type: nb.Type, Events: nb.Events, Repos: nb.Repos}
	if !repoName.MatchString(nb.Name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid notify name",
			Detail:   fmt.Sprintf("%q is not a valid notify name. Use letters, digits, '.', '_' and '-', starting with a letter or digit.", nb.Name),
			Subject:  nb.DefRange.Ptr(),
		})
	}
	if nb.Type != notifyWebhook && nb.Type != notifySlack {
		diags = append(diags, attrError(nb.Body, "type", "Invalid notify type",
			fmt.Sprintf("%q is not a notification type. Use %q or %q.", nb.Type, notifyWebhook, notifySlack)))
	}
	switch {
	case (nb.URL == nil) == (nb.URLEnv == nil):
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid notify block",
			Detail:   `Set exactly one of url (the http(s) URL to post to) or url_env (the name of an environment variable holding it). A Slack webhook URL holds a token: give it with url_env.`,
			Subject:  nb.DefRange.Ptr(),
		})
	case nb.URL != nil && nb.Type == notifySlack:
		diags = append(diags, attrError(nb.Body, "url", "Secrets are never inline",
			`A Slack webhook URL contains its token, so it never goes in the config file. Export it in an environment variable and name that with url_env = "SLACK_WEBHOOK_URL" instead of url.`))
	case nb.URL != nil:
		if msg := checkNotifyURL(*nb.URL); msg != "" {
			diags = append(diags, attrError(nb.Body, "url", "Invalid notify url", msg))
		}
		n.URL = *nb.URL
	default:
		if d := checkEnv(nb.Body, "url_env", *nb.URLEnv, "URL"); d != nil {
			diags = append(diags, d)
		} else if msg := checkNotifyURL(os.Getenv(*nb.URLEnv)); msg != "" {
			diags = append(diags, attrError(nb.Body, "url_env", "Invalid notify url",
				fmt.Sprintf("The environment variable %s does not hold a usable URL. %s", *nb.URLEnv, msg)))
		}
		n.URLEnv = *nb.URLEnv
	}
	if nb.SecretEnv != nil {
		if nb.Type == notifySlack {
			diags = append(diags, attrError(nb.Body, "secret_env", "secret_env is for webhooks",
				`secret_env names the HMAC key that signs webhook payloads; Slack does not check signatures. Remove it, or use type = "webhook".`))
		} else if d := checkEnv(nb.Body, "secret_env", *nb.SecretEnv, "HMAC key"); d != nil {
			diags = append(diags, d)
		}
		n.SecretEnv = *nb.SecretEnv
	}
	var repoNames []string
	for _, r := range repos {
		repoNames = append(repoNames, r.Name)
	}
	var more hcl.Diagnostics
	n.Events, more = checkFilter(nb.Body, "events", "event", n.Events, notifyEvents)
	diags = append(diags, more...)
	n.Repos, more = checkFilter(nb.Body, "repos", "repo", n.Repos, repoNames)
	return n, append(diags, more...)
}

// checkFilter checks list argument attr of a notify block, which filters
// by kind: each entry must be one of allowed. It returns the filter, all of
// allowed when the argument is missing.
func checkFilter(body hcl.Body, attr, kind string, list, allowed []string) ([]string, hcl.Diagnostics) {
	if list == nil {
		return slices.Clone(allowed), nil
	}
	use := fmt.Sprintf("There is no %s to name.", kind)
	if len(allowed) > 0 {
		quoted := make([]string, len(allowed))
		for i, a := range allowed {
			quoted[i] = strconv.Quote(a)
		}
		use = "Use one of: " + strings.Join(quoted, ", ") + "."
	}
	if len(list) == 0 {
		return list, hcl.Diagnostics{attrError(body, attr, "Empty "+attr,
			fmt.Sprintf("%s = [] would send nothing. Remove %s to send for every %s, or list some. %s", attr, attr, kind, use))}
	}
	var diags hcl.Diagnostics
	for i, v := range list {
		if !slices.Contains(allowed, v) {
			diags = append(diags, attrElemError(body, attr, i, "Unknown "+kind, fmt.Sprintf("Unknown %s %q. %s", kind, v, use)))
		}
	}
	return list, diags
}

// checkNotifyURL returns what is wrong with a notification URL, or "". It
// does not quote the URL, which may come from the environment.
func checkNotifyURL(u string) string {
	p, err := url.Parse(u)
	switch {
	case err != nil, p.Scheme != "http" && p.Scheme != "https", p.Host == "":
		return `Use an http:// or https:// URL, such as "https://hooks.example.com/driftgate".`
	case p.User != nil:
		return "The URL contains credentials. Remove them: secrets never go in the config file. Sign requests with secret_env, or name an environment variable holding the whole URL with url_env."
	}
	return ""
}

// checkEnv checks argument attr of body, which names the environment
// variable holding a secret (what): the name must be valid and the
// variable set. It returns nil when both hold.
func checkEnv(body hcl.Body, attr, name, what string) *hcl.Diagnostic {
	switch {
	case !envName.MatchString(name):
		return attrError(body, attr, "Invalid environment variable name",
			fmt.Sprintf("%q is not an environment variable name. %s names the variable that holds the %s, it is not the %s itself.", name, attr, what, what))
	case os.Getenv(name) == "":
		return attrError(body, attr, "Environment variable not set",
			fmt.Sprintf("The environment variable %s (the %s) is empty or not set. Export it before starting driftgate.", name, what))
	}
	return nil
}
