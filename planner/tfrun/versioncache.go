package tfrun

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-version"
)

// versionCacheFile, under InstallDir, remembers the version of every binary
// the resolver has asked, keyed by path, size and modification time, so
// that neither a daemon nor a one-shot `driftgate plan` asks twice.
const versionCacheFile = "versions.json"

type versionEntry struct {
	modTime time.Time
	size    int64
	product Product
	version *version.Version
}

type cachedVersion struct {
	ModTime time.Time `json:"mod_time"`
	Size    int64     `json:"size"`
	Product Product   `json:"product,omitempty"`
	Version string    `json:"version"`
}

// loadCached returns the remembered product and version of the binary at
// path if the file is unchanged since, reading the cache file on first
// use. Entries written before the product was recorded are not used: the
// binary is asked again.
func (r *Resolver) loadCached(path string, st os.FileInfo) (Product, *version.Version) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.loaded && r.InstallDir != "" {
		r.loaded = true
		raw, err := os.ReadFile(filepath.Join(r.InstallDir, versionCacheFile))
		var disk map[string]cachedVersion
		if err == nil && json.Unmarshal(raw, &disk) == nil {
			if r.versions == nil {
				r.versions = map[string]versionEntry{}
			}
			for p, c := range disk {
				if v, err := version.NewVersion(c.Version); err == nil && c.Product != "" {
					r.versions[p] = versionEntry{modTime: c.ModTime, size: c.Size, product: c.Product, version: v}
				}
			}
		}
	}
	e, ok := r.versions[path]
	if ok && e.modTime.Equal(st.ModTime()) && e.size == st.Size() {
		return e.product, e.version
	}
	return "", nil
}

// remember records a version in memory and, best effort, on disk.
func (r *Resolver) remember(path string, e versionEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.versions == nil {
		r.versions = map[string]versionEntry{}
	}
	r.versions[path] = e
	if r.InstallDir == "" {
		return
	}
	disk := make(map[string]cachedVersion, len(r.versions))
	for p, v := range r.versions {
		disk[p] = cachedVersion{ModTime: v.modTime, Size: v.size, Product: v.product, Version: v.version.String()}
	}
	raw, err := json.MarshalIndent(disk, "", "  ")
	if err != nil {
		return
	}
	if err := os.MkdirAll(r.InstallDir, 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(r.InstallDir, ".versions-")
	if err != nil {
		return
	}
	_, werr := tmp.Write(raw)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		_ = os.Remove(tmp.Name())
		return
	}
	if err := os.Rename(tmp.Name(), filepath.Join(r.InstallDir, versionCacheFile)); err != nil {
		_ = os.Remove(tmp.Name())
	}
}
