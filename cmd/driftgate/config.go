package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/store"
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
	TLS             TLSConfig
	Metrics         MetricsConfig
	// PublicURL is where users reach driftgate: links in PR comments and
	// commit statuses (config_forge.go), and whether the UI's session
	// cookie is Secure. UI is the ui block (config_ui.go).
	PublicURL string
	UI        UIConfig
	// Database is the database block (config_database.go).
	Database DatabaseConfig

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

// TerraformConfig selects and pins the binary that plans: Terraform or
// OpenTofu.
type TerraformConfig struct {
	// Product is tfrun.Terraform or tfrun.OpenTofu; empty when the file
	// leaves it out (Terraform, or whatever Path is).
	Product tfrun.Product
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
	// Forge, PlanDrafts and AllowForkPRs are the repo's pull request
	// settings (config_forge.go).
	Forge                    *ForgeConfig
	PlanDrafts, AllowForkPRs bool
}

// Defaults for what the file leaves out.
const (
	defaultListen       = "127.0.0.1:8080"
	defaultBranch       = "main"
	defaultPollInterval = time.Minute
	minPollInterval     = time.Second
)

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
	TLS             *tlsBlock       `hcl:"tls,block"`
	Metrics         *metricsBlock   `hcl:"metrics,block"`
	PublicURL       *string         `hcl:"public_url,optional"`
	UI              *uiBlock        `hcl:"ui,block"`
	Database        *databaseBlock  `hcl:"database,block"`
	Body            hcl.Body        `hcl:",body"`
}

type logBlock struct {
	Level  *string  `hcl:"level,optional"`
	Format *string  `hcl:"format,optional"`
	Body   hcl.Body `hcl:",body"`
}

type terraformBlock struct {
	Product *string  `hcl:"product,optional"`
	Path    *string  `hcl:"path,optional"`
	Version *string  `hcl:"version,optional"`
	Install *bool    `hcl:"install,optional"`
	Body    hcl.Body `hcl:",body"`
}

type repoBlock struct {
	Name          string      `hcl:"name,label"`
	URL           string      `hcl:"url"`
	Branch        *string     `hcl:"branch,optional"`
	PollInterval  *string     `hcl:"poll_interval,optional"`
	DriftSchedule *string     `hcl:"drift_schedule,optional"`
	OnDrift       *string     `hcl:"on_drift,optional"`
	Auth          *authBlock  `hcl:"auth,block"`
	Forge         *forgeBlock `hcl:"forge,block"`
	PlanDrafts    *bool       `hcl:"plan_drafts,optional"`
	AllowForkPRs  *bool       `hcl:"allow_fork_prs,optional"`
	Body          hcl.Body    `hcl:",body"`
	DefRange      hcl.Range   `hcl:",def_range"`
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
		if d := checkListen(fc.Body, "listen", *fc.Listen); d != nil {
			diags = append(diags, d)
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
	diags = append(diags, decodeTLS(fc.TLS, baseDir, cfg.DataDir, &cfg.TLS)...)
	diags = append(diags, decodeMetrics(fc.Metrics, &cfg.Metrics)...)
	diags = append(diags, decodePublicURL(fc, cfg)...)
	diags = append(diags, decodeUI(fc.UI, cfg)...)
	diags = append(diags, decodeDatabase(fc.Database, &cfg.Database)...)
	if diags.HasErrors() {
		return nil, diags
	}
	return cfg, diags
}

// checkListen checks a host:port listen address in the named argument.
func checkListen(body hcl.Body, attr, addr string) *hcl.Diagnostic {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return attrError(body, attr, "Invalid listen address",
			fmt.Sprintf("%v. Use host:port, for example \"127.0.0.1:8080\" or \":8080\".", err))
	}
	return nil
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
	if tb.Product != nil {
		p, err := tfrun.ParseProduct(*tb.Product)
		if err != nil {
			diags = append(diags, attrError(tb.Body, "product", "Invalid product",
				fmt.Sprintf("%q is not a product driftgate runs. Use \"terraform\" (the default) or \"opentofu\".", *tb.Product)))
		}
		out.Product = p
	}
	if tb.Path != nil {
		out.Path = absPath(baseDir, *tb.Path)
		if st, err := os.Stat(out.Path); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			diags = append(diags, attrError(tb.Body, "path", "Terraform binary not found",
				fmt.Sprintf("%s is not an executable file. Point terraform.path at a %s binary, or leave it out to use the one on PATH.", out.Path, out.Product.Command())))
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
	if out.Product == tfrun.OpenTofu {
		// hc-install installs Terraform releases only.
		if tb.Install != nil && *tb.Install {
			diags = append(diags, attrError(tb.Body, "install", "install is Terraform-only",
				"driftgate installs Terraform releases only; it cannot install OpenTofu. Put tofu on PATH or set terraform.path, and remove install (or set it to false)."))
		}
		out.Install = false
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
	if rb.Name == store.LocalRepo {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Reserved repo name",
			Detail: fmt.Sprintf("%q names the runs of driftgate plan --store in the database, so no watched repo may use it. "+
				"Rename the repo block, for example repo %q.", rb.Name, rb.Name+"-infra"),
			Subject: rb.DefRange.Ptr(),
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
	diags = append(diags, decodeForge(rb, baseDir, &repo)...)
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
