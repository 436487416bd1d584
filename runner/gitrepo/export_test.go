package gitrepo

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// listDir describes every path under dir: "path" for a file with its
// content, "path/" for a directory, "path -> target" for a link.
func listDir(tb testing.TB, dir string) string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, dir+string(filepath.Separator)))
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out = append(out, rel+" -> "+filepath.ToSlash(target))
		case d.IsDir():
			out = append(out, rel+"/")
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			info, _ := d.Info()
			out = append(out, rel+"="+string(data)+" "+info.Mode().Perm().String())
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func TestExport(t *testing.T) {
	tr := newTestRepo(t, false)
	files := map[string]entry{
		"envs/prod/main.tf":      file("p"),
		"envs/prod/providers.tf": link("../../shared/providers.tf"),
		"envs/prod/vpc":          link("../../modules/vpc"),
		"envs/staging/main.tf":   file("s"),
		"modules/vpc/main.tf":    file("m"),
		"scripts/run.sh":         exec("sh"),
		"shared/providers.tf":    file("t"),
		"dangling":               link("nowhere/at/all"),
	}
	c := tr.commit("export", files)
	r := tr.open()

	tests := []struct {
		name string
		dirs []string
		want []string
	}{
		{
			name: "all",
			want: []string{
				"dangling -> nowhere/at/all",
				"envs/", "envs/prod/", "envs/prod/main.tf=p -rw-r--r--",
				"envs/prod/providers.tf -> ../../shared/providers.tf", "envs/prod/vpc -> ../../modules/vpc",
				"envs/staging/", "envs/staging/main.tf=s -rw-r--r--",
				"modules/", "modules/vpc/", "modules/vpc/main.tf=m -rw-r--r--",
				"scripts/", "scripts/run.sh=sh -rwxr-xr-x",
				"shared/", "shared/providers.tf=t -rw-r--r--",
			},
		},
		{
			name: "some dirs",
			dirs: []string{"envs/prod", "modules/vpc", "./envs/prod/", "modules"},
			want: []string{
				"envs/", "envs/prod/", "envs/prod/main.tf=p -rw-r--r--",
				"envs/prod/providers.tf -> ../../shared/providers.tf", "envs/prod/vpc -> ../../modules/vpc",
				"modules/", "modules/vpc/", "modules/vpc/main.tf=m -rw-r--r--",
			},
		},
		{
			name: "one file",
			dirs: []string{"scripts/run.sh"},
			want: []string{"scripts/", "scripts/run.sh=sh -rwxr-xr-x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "out")
			if err := r.Export(context.Background(), c, dst, tt.dirs); err != nil {
				t.Fatal(err)
			}
			if got, want := listDir(t, dst), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("exported:\ngot\n%s\nwant\n%s", got, want)
			}
		})
	}

	t.Run("missing dir", func(t *testing.T) {
		err := r.Export(context.Background(), c, t.TempDir(), []string{"nope"})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Export(nope) = %v, want ErrNotExist", err)
		}
	})
	t.Run("invalid dir", func(t *testing.T) {
		if err := r.Export(context.Background(), c, t.TempDir(), []string{"../x"}); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Export(../x) = %v, want ErrInvalid", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := r.Export(ctx, c, t.TempDir(), nil); !errors.Is(err, context.Canceled) {
			t.Errorf("Export = %v, want context.Canceled", err)
		}
	})
}

func TestExportRefusesEscapingLinks(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]entry
		wantErr error
	}{
		{"absolute", map[string]entry{"a/l": link("/etc/passwd")}, ErrLinkAbsolute},
		{"escaping", map[string]entry{"a/l": link("../../x")}, ErrLinkEscapes},
		{"escaping from the root", map[string]entry{"l": link("../x")}, ErrLinkEscapes},
		// Lexically "a/l1/../.." is ".", but l1 is the root, so the link
		// points above it: only resolving through links catches that.
		{"escaping through another link", map[string]entry{"a/l1": link(".."), "a/l2": link("l1/../..")}, ErrLinkEscapes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTestRepo(t, false)
			c := tr.commit(tt.name, tt.files)
			root := t.TempDir()
			err := tr.open().Export(context.Background(), c, filepath.Join(root, "out"), nil)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Export = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
