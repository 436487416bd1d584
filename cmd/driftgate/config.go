package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/driftgate/driftgate/planner"
)

// Config is the server configuration (driftgate.hcl), decoded and checked.
type Config struct {
	DataDir         string
	Listen          string
	TokenFile       string
	ShutdownTimeout time.Duration
	MaxParallelRuns int
	Log             LogConfig
	Terraform       TerraformConfig
	Repos           []RepoConfig
	Notify          []NotifyConfig
	Encryption      EncryptionConfig

	// Tokens are the API tokens of the token blocks (config_tokens.go).
	// DRIFTGATE_TOKEN or TokenFile, when set, adds an admin token named
	// "default" next to them (see apiAuthenticator).
	Tokens []TokenConfig
}

// LogConfig says how driftgate logs.
type LogConfig struct {
	Level  slog.Level
	Format string // "text" or "json"
}

// TerraformConfig pins the Terraform binary.
type TerraformConfig struct {
	Path    string
	Version string
	Install bool
}

// RepoConfig is one watched repository.
type RepoConfig struct {
	Name         string
	URL          string
	Branch       string
	PollInterval time.Duration
	TokenEnv     string
	SSHKeyFile   string
	// DriftSchedule is the drift check schedule of the repo's stacks that
	// set none in .driftgate.hcl: a cron schedule (planner.ParseDriftSchedule)
	// or planner.DriftScheduleOff, the default.
	DriftSchedule string
	// OnDrift is what a drift check does for the repo's stacks that say
	// nothing: planner.OnDriftNotify (the default) or planner.OnDriftPlan.
	// planner.OnDriftApply is only ever set on a stack.
	OnDrift string
}

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

// Defaults for what the file leaves out.
const (
	defaultListen       = "127.0.0.1:8080"
	defaultBranch       = "main"
	defaultPollInterval = time.Minute
	minPollInterval     = time.Second
)

// Notification sink types.
const (
	notifyWebhook = "webhook"
	notifySlack   = "slack"
)

// notifyEvents are the events a notify block can ask for.
var notifyEvents = []string{"drift_found", "drift_changed", "drift_resolved", "check_errored"}

// The HCL shape of the file. Only this file knows it; the rest of driftgate
// sees Config.
type fileConfig struct {
	DataDir         *string         `hcl:"data_dir,optional"`
	Listen          *string         `hcl:"listen,optional"`
	TokenFile       *string         `hcl:"token_file,optional"`
	ShutdownTimeout *string         `hcl:"shutdown_timeout,optional"`
	MaxParallelRuns *int            `hcl:"max_parallel_runs,optional"`
	Log             *logBlock       `hcl:"log,block"`
	Terraform       *terraformBlock `hcl:"terraform,block"`
	Repos           []repoBlock     `hcl:"repo,block"`
	Notify          []notifyBlock   `hcl:"notify,block"`
	Tokens          []tokenBlock    `hcl:"token,block"`
	Encryption      *encryptBlock   `hcl:"encryption,block"`
	Body            hcl.Body        `hcl:",body"`
}

type logBlock struct {
	Level  *string  `hcl:"level,optional"`
	Format *string  `hcl:"format,optional"`
	Body   hcl.Body `hcl:",body"`
}

type terraformBlock struct {
	Path    *string  `hcl:"path,optional"`
	Version *string  `hcl:"version,optional"`
	Install *bool    `hcl:"install,optional"`
	Body    hcl.Body `hcl:",body"`
}

type repoBlock struct {
	Name          string     `hcl:"name,label"`
	URL           string     `hcl:"url"`
	Branch        *string    `hcl:"branch,optional"`
	PollInterval  *string    `hcl:"poll_interval,optional"`
	DriftSchedule *string    `hcl:"drift_schedule,optional"`
	OnDrift       *string    `hcl:"on_drift,optional"`
	Auth          *authBlock `hcl:"auth,block"`
	Body          hcl.Body   `hcl:",body"`
	DefRange      hcl.Range  `hcl:",def_range"`
}

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

type authBlock struct {
	TokenEnv   *string   `hcl:"token_env,optional"`
	SSHKeyFile *string   `hcl:"ssh_key_file,optional"`
	Body       hcl.Body  `hcl:",body"`
	DefRange   hcl.Range `hcl:",def_range"`
}

var (
	repoName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// inlineSecret catches arguments that would put a secret in the file.
	inlineSecret = regexp.MustCompile(`^(token|password|secret|private_key|ssh_key)$`)
)

// LoadConfig reads and checks a server config file. Relative paths in it
// are relative to the file's directory. The returned Diagnostics are
// formatted against the parsed files by FormatDiagnostics.
func LoadConfig(path string) (*Config, *hclparse.Parser, hcl.Diagnostics) {
	parser := hclparse.NewParser()
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, parser, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read config file",
			Detail:   fmt.Sprintf("%v. Pass an existing file with --config.", err),
		}}
	}
	file, diags := parser.ParseHCL(src, path)
	if diags.HasErrors() {
		return nil, parser, diags
	}
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		base = filepath.Dir(path)
	}
	cfg, more := decodeConfig(file.Body, base)
	return cfg, parser, append(diags, more...)
}

// defaultConfig is the configuration of an empty file.
func defaultConfig() *Config {
	return &Config{
		DataDir:         defaultDataDir(),
		Listen:          defaultListen,
		MaxParallelRuns: runtime.NumCPU(),
		Log:             LogConfig{Level: slog.LevelInfo, Format: "text"},
		Terraform:       TerraformConfig{Install: true},
		ShutdownTimeout: 2 * time.Minute,
	}
}

func decodeConfig(body hcl.Body, baseDir string) (*Config, hcl.Diagnostics) {
	var fc fileConfig
	diags := gohcl.DecodeBody(body, nil, &fc)
	diags = append(diags, inlineSecretHints(diags)...)
	if diags.HasErrors() {
		return nil, diags
	}
	cfg := defaultConfig()
	if fc.DataDir != nil {
		if strings.TrimSpace(*fc.DataDir) == "" {
			diags = append(diags, attrError(fc.Body, "data_dir", "Empty data_dir", "Set data_dir to the directory where driftgate keeps its database, state and plugin cache."))
		} else {
			cfg.DataDir = absPath(baseDir, *fc.DataDir)
		}
	}
	if fc.Listen != nil {
		if _, _, err := net.SplitHostPort(*fc.Listen); err != nil {
			diags = append(diags, attrError(fc.Body, "listen", "Invalid listen address",
				fmt.Sprintf("%v. Use host:port, for example \"127.0.0.1:8080\" or \":8080\".", err)))
		}
		cfg.Listen = *fc.Listen
	}
	if fc.TokenFile != nil {
		cfg.TokenFile = absPath(baseDir, *fc.TokenFile)
		if st, err := os.Stat(cfg.TokenFile); err != nil || st.IsDir() {
			diags = append(diags, attrError(fc.Body, "token_file", "API token file not readable",
				fmt.Sprintf("%s is not a readable file. Point token_file at a file holding the API token, or set DRIFTGATE_TOKEN instead.", cfg.TokenFile)))
		}
	}
	if fc.ShutdownTimeout != nil {
		d, err := time.ParseDuration(*fc.ShutdownTimeout)
		if err != nil || d < 0 {
			diags = append(diags, attrError(fc.Body, "shutdown_timeout", "Invalid duration",
				fmt.Sprintf("%q is not a duration. Use a number with a unit, for example \"2m\" or \"30s\".", *fc.ShutdownTimeout)))
		}
		cfg.ShutdownTimeout = d
	}
	if fc.MaxParallelRuns != nil {
		if *fc.MaxParallelRuns < 1 {
			diags = append(diags, attrError(fc.Body, "max_parallel_runs", "Invalid max_parallel_runs",
				"max_parallel_runs must be at least 1; leave it out to use the number of CPU cores."))
		}
		cfg.MaxParallelRuns = *fc.MaxParallelRuns
	}
	if fc.Log != nil {
		diags = append(diags, decodeLog(fc.Log, &cfg.Log)...)
	}
	if fc.Terraform != nil {
		diags = append(diags, decodeTerraform(fc.Terraform, baseDir, &cfg.Terraform)...)
	}
	seen := map[string]hcl.Range{}
	for _, rb := range fc.Repos {
		if first, dup := seen[rb.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate repo name",
				Detail:   fmt.Sprintf("A repo named %q is already defined at %s. Give each repo block a unique name.", rb.Name, first),
				Subject:  rb.DefRange.Ptr(),
			})
			continue
		}
		seen[rb.Name] = rb.DefRange
		repo, more := decodeRepo(rb, baseDir)
		diags = append(diags, more...)
		cfg.Repos = append(cfg.Repos, repo)
	}
	diags = append(diags, decodeNotifyBlocks(fc.Notify, cfg)...)
	diags = append(diags, decodeTokenBlocks(fc.Tokens, cfg)...)
	diags = append(diags, decodeEncryption(fc.Encryption, baseDir, &cfg.Encryption)...)
	if diags.HasErrors() {
		return nil, diags
	}
	return cfg, diags
}

func decodeLog(lb *logBlock, out *LogConfig) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if lb.Level != nil {
		if err := out.Level.UnmarshalText([]byte(*lb.Level)); err != nil {
			diags = append(diags, attrError(lb.Body, "level", "Invalid log level",
				fmt.Sprintf("%q is not a log level. Use \"debug\", \"info\", \"warn\" or \"error\".", *lb.Level)))
		}
	}
	if lb.Format != nil {
		switch *lb.Format {
		case "text", "json":
			out.Format = *lb.Format
		default:
			diags = append(diags, attrError(lb.Body, "format", "Invalid log format",
				fmt.Sprintf("%q is not a log format. Use \"text\" or \"json\".", *lb.Format)))
		}
	}
	return diags
}

func decodeTerraform(tb *terraformBlock, baseDir string, out *TerraformConfig) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if tb.Path != nil {
		out.Path = absPath(baseDir, *tb.Path)
		if st, err := os.Stat(out.Path); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			diags = append(diags, attrError(tb.Body, "path", "Terraform binary not found",
				fmt.Sprintf("%s is not an executable file. Point terraform.path at a terraform binary, or leave it out to use the one on PATH.", out.Path)))
		}
	}
	if tb.Version != nil {
		if _, err := version.NewVersion(*tb.Version); err != nil {
			diags = append(diags, attrError(tb.Body, "version", "Invalid terraform version",
				fmt.Sprintf("%q is not a version. Use an exact version such as \"1.11.4\".", *tb.Version)))
		}
		out.Version = *tb.Version
	}
	if tb.Install != nil {
		out.Install = *tb.Install
	}
	return diags
}

func decodeRepo(rb repoBlock, baseDir string) (RepoConfig, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	repo := RepoConfig{
		Name: rb.Name, URL: rb.URL, Branch: defaultBranch, PollInterval: defaultPollInterval,
		DriftSchedule: planner.DriftScheduleOff, OnDrift: planner.OnDriftNotify,
	}
	if !repoName.MatchString(rb.Name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid repo name",
			Detail:   fmt.Sprintf("%q is not a valid repo name. Use letters, digits, '.', '_' and '-', starting with a letter or digit.", rb.Name),
			Subject:  rb.DefRange.Ptr(),
		})
	}
	if msg := checkRepoURL(rb.URL); msg != "" {
		diags = append(diags, attrError(rb.Body, "url", "Invalid repo url", msg))
	} else if isLocalURL(rb.URL) && !strings.HasPrefix(rb.URL, "file://") {
		repo.URL = absPath(baseDir, rb.URL)
	}
	if rb.Branch != nil {
		if strings.TrimSpace(*rb.Branch) == "" || strings.ContainsAny(*rb.Branch, " ~^:?*[\\") {
			diags = append(diags, attrError(rb.Body, "branch", "Invalid branch", fmt.Sprintf("%q is not a branch name.", *rb.Branch)))
		}
		repo.Branch = *rb.Branch
	}
	if rb.PollInterval != nil {
		d, err := time.ParseDuration(*rb.PollInterval)
		switch {
		case err != nil:
			diags = append(diags, attrError(rb.Body, "poll_interval", "Invalid duration",
				fmt.Sprintf("%q is not a duration. Use a number with a unit, for example \"30s\", \"1m\" or \"1h30m\".", *rb.PollInterval)))
		case d < minPollInterval:
			diags = append(diags, attrError(rb.Body, "poll_interval", "Poll interval too short",
				fmt.Sprintf("%s is shorter than the minimum of %s.", d, minPollInterval)))
		}
		repo.PollInterval = d
	}
	diags = append(diags, decodeRepoDrift(rb, &repo)...)
	if rb.Auth != nil {
		diags = append(diags, decodeAuth(rb.Auth, baseDir, &repo)...)
	}
	return repo, diags
}

func decodeAuth(ab *authBlock, baseDir string, repo *RepoConfig) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if (ab.TokenEnv == nil) == (ab.SSHKeyFile == nil) {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid auth block",
			Detail:   "Set exactly one of token_env (the name of an environment variable holding an HTTPS token) or ssh_key_file (the path of a private key).",
			Subject:  ab.DefRange.Ptr(),
		}}
	}
	if ab.TokenEnv != nil {
		if d := checkEnv(ab.Body, "token_env", *ab.TokenEnv, "token"); d != nil {
			diags = append(diags, d)
		}
		repo.TokenEnv = *ab.TokenEnv
	}
	if ab.SSHKeyFile != nil {
		repo.SSHKeyFile = absPath(baseDir, *ab.SSHKeyFile)
		if f, err := os.Open(repo.SSHKeyFile); err != nil {
			diags = append(diags, attrError(ab.Body, "ssh_key_file", "SSH key file not readable",
				fmt.Sprintf("%v. Point ssh_key_file at a readable private key file.", err)))
		} else {
			_ = f.Close()
		}
	}
	return diags
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

// checkRepoURL returns what is wrong with a repo url, or "".
func checkRepoURL(u string) string {
	switch {
	case strings.TrimSpace(u) == "":
		return "The url is empty. Use an https://, ssh:// or file:// URL, git@host:path, or a local path."
	case strings.HasPrefix(u, "https://"), strings.HasPrefix(u, "http://"),
		strings.HasPrefix(u, "ssh://"), strings.HasPrefix(u, "file://"):
		if strings.Contains(strings.SplitN(u, "://", 2)[1], "@") && strings.HasPrefix(u, "http") {
			return "The url contains credentials. Remove them and use auth { token_env = \"VAR\" } instead: secrets never go in the config file."
		}
		return ""
	case strings.Contains(u, "://"):
		return fmt.Sprintf("%q uses an unsupported scheme. Use https://, ssh:// or file://.", u)
	}
	return ""
}

// isLocalURL reports whether u names a local repository.
func isLocalURL(u string) bool {
	if strings.HasPrefix(u, "file://") {
		return true
	}
	if strings.Contains(u, "://") {
		return false
	}
	// scp-like ssh: user@host:path
	if i := strings.Index(u, ":"); i > 0 && !strings.Contains(u[:i], "/") {
		return false
	}
	return true
}

// attrError is an error diagnostic pointing at the named attribute of body.
func attrError(body hcl.Body, name, summary, detail string) *hcl.Diagnostic {
	return attrElemError(body, name, -1, summary, detail)
}

// attrElemError is attrError pointing at element i of the named list
// argument, or at the whole argument when i < 0 or the list is not written
// as [...].
func attrElemError(body hcl.Body, name string, i int, summary, detail string) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail}
	content, _, _ := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: name}}})
	a, ok := content.Attributes[name]
	if !ok {
		r := body.MissingItemRange()
		d.Subject = &r
		return d
	}
	d.Subject = a.Expr.Range().Ptr()
	d.Context = a.Range.Ptr()
	if elems, diags := hcl.ExprList(a.Expr); i >= 0 && i < len(elems) && !diags.HasErrors() {
		d.Subject = elems[i].Range().Ptr()
	}
	return d
}

// inlineSecretHints adds advice to "unsupported argument" errors about
// arguments that would hold a secret.
func inlineSecretHints(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Summary != "Unsupported argument" {
			continue
		}
		name := ""
		if i := strings.Index(d.Detail, `"`); i >= 0 {
			rest := d.Detail[i+1:]
			if j := strings.Index(rest, `"`); j >= 0 {
				name = rest[:j]
			}
		}
		if inlineSecret.MatchString(name) {
			out = append(out, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Secrets are never inline",
				Detail:   fmt.Sprintf("driftgate does not take %s in its config file. Name an environment variable (auth { token_env = \"VAR\" }, or secret_env = \"VAR\" in a notify block) or a file (auth { ssh_key_file = \"/path\" }) instead. An API token is a token block holding its sha256: token \"NAME\" { role = \"viewer\", sha256 = \"...\" }.", name),
				Subject:  d.Subject,
			})
		}
	}
	return out
}

func absPath(base, p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}

// defaultDataDir is $XDG_DATA_HOME/driftgate, or ~/.local/share/driftgate.
func defaultDataDir() string {
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "driftgate")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "driftgate")
	}
	return filepath.Join(os.TempDir(), "driftgate")
}
