package tfrun

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// An init cache lets a stack skip `terraform init` when nothing init
// depends on has changed since the last run of the same stack: scheduled
// drift checks re-plan unchanged commits all day, and with real providers
// init costs seconds.
//
// Each stack and workspace has its own directory, used as TF_DATA_DIR (the
// providers, modules, backend settings and selected workspace that init
// writes). It is locked for the whole run, so two runs never share it at
// the same time; runs still each get their own copy of the configuration.
// After a successful init the cache records a fingerprint of what init
// depends on (see fingerprint) and keeps the lock file init wrote. A later run whose fingerprint matches restores
// that lock file and goes straight to plan; any mismatch, or a plan that
// fails after init was skipped, runs init again.
const (
	fingerprintFile = "driftgate-fingerprint"
	savedLockFile   = "driftgate.terraform.lock.hcl"
	lockFileName    = ".terraform.lock.hcl"
)

// initCache is one stack's TF_DATA_DIR.
type initCache struct {
	dir    string
	unlock func()
}

// openInitCache creates and locks the cache dir, waiting while another run
// of the same stack holds it.
func openInitCache(ctx context.Context, dir string) (*initCache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("init cache: %w", err)
	}
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("init cache: %w", err)
	}
	return &initCache{dir: dir, unlock: unlock}, nil
}

func (c *initCache) close() { c.unlock() }

// fresh reports whether the last init in the cache was for exactly this
// fingerprint, and restores the lock file it produced into stackDir when
// the configuration brings none of its own.
func (c *initCache) fresh(fingerprint, stackDir string) bool {
	got, err := os.ReadFile(filepath.Join(c.dir, fingerprintFile))
	if err != nil || string(got) != fingerprint {
		return false
	}
	target := filepath.Join(stackDir, lockFileName)
	if _, err := os.Stat(target); err == nil {
		return true
	}
	saved, err := os.ReadFile(filepath.Join(c.dir, savedLockFile))
	if errors.Is(err, fs.ErrNotExist) {
		return true // no providers, no lock file
	}
	if err != nil {
		return false
	}
	return os.WriteFile(target, saved, 0o600) == nil
}

// record notes a successful init for fingerprint and keeps its lock file.
func (c *initCache) record(fingerprint, stackDir string) error {
	lock, err := os.ReadFile(filepath.Join(stackDir, lockFileName))
	switch {
	case err == nil:
		if err := os.WriteFile(filepath.Join(c.dir, savedLockFile), lock, 0o600); err != nil {
			return fmt.Errorf("init cache: %w", err)
		}
	case errors.Is(err, fs.ErrNotExist):
		_ = os.Remove(filepath.Join(c.dir, savedLockFile))
	default:
		return fmt.Errorf("init cache: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, fingerprintFile), []byte(fingerprint), 0o600); err != nil {
		return fmt.Errorf("init cache: %w", err)
	}
	return nil
}

// forget drops the recorded fingerprint so the next run inits.
func (c *initCache) forget() {
	_ = os.Remove(filepath.Join(c.dir, fingerprintFile))
}

// fingerprint hashes what terraform init depends on in the run's copy,
// with the terraform version and the workspace: in every Terraform file,
// the terraform blocks (backend, cloud, required_providers,
// required_version), module calls, provider blocks and the resource and
// data source types (an undeclared provider is implied by them); and every
// lock file. Resource bodies, variables, outputs, var files and templates
// do not count: changing them needs a new plan, not a new init. A file that
// does not parse counts whole. It runs before init, so a lock file in the
// copy is the checkout's own.
func fingerprint(srcRoot, tfVersion, workspace string) (string, error) {
	var files []string
	err := filepath.WalkDir(srcRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".terraform" {
			return fs.SkipDir
		}
		name := d.Name()
		if d.Type().IsRegular() && (strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tf.json") || name == lockFileName) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	sort.Strings(files)
	h := sha256.New()
	fmt.Fprintf(h, "terraform %s\x00workspace %s\x00", tfVersion, workspace)
	for _, p := range files {
		rel, err := filepath.Rel(srcRoot, p)
		if err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
		relevant := initRelevant(filepath.Base(p), src)
		if len(relevant) == 0 {
			continue // say, a file of outputs only
		}
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		h.Write(relevant)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// initRelevant returns the parts of one file that terraform init reads.
func initRelevant(name string, src []byte) []byte {
	switch {
	case name == lockFileName:
		return src
	case strings.HasSuffix(name, ".tf.json"):
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(src, &doc); err != nil {
			return src
		}
		var b bytes.Buffer
		for _, key := range []string{"terraform", "module", "provider"} {
			fmt.Fprintf(&b, "%s=%s\x00", key, doc[key])
		}
		for _, key := range []string{"resource", "data"} {
			var types map[string]json.RawMessage
			_ = json.Unmarshal(doc[key], &types)
			b.WriteString(key + "=" + strings.Join(sortedKeys(types), ",") + "\x00")
		}
		return b.Bytes()
	}
	file, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		return src
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return src
	}
	var b bytes.Buffer
	types := map[string]json.RawMessage{}
	for _, block := range body.Blocks {
		switch block.Type {
		case "terraform", "module", "provider":
			r := block.Range()
			b.Write(src[r.Start.Byte:r.End.Byte])
			b.WriteByte(0)
		case "resource", "data":
			if len(block.Labels) > 0 {
				types[block.Type+"."+block.Labels[0]] = nil
			}
		}
	}
	b.WriteString(strings.Join(sortedKeys(types), ","))
	return b.Bytes()
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
