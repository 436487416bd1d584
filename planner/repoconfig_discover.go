package planner

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// checkDiscover checks the discover blocks: one at most, only without
// stack blocks, and valid globs relative to the repo root.
func checkDiscover(blocks []discoverBlock, stacks []stackBlock, decodeDiags hcl.Diagnostics) hcl.Diagnostics {
	c := &configChecker{decodeDiags: decodeDiags}
	for _, b := range blocks[1:] {
		c.errorf(b.DefRange, "Duplicate discover block",
			"Only one discover block is allowed; the first is at %s line %d. Merge their include and exclude lists.",
			RepoConfigFile, blocks[0].DefRange.Start.Line)
	}
	b := blocks[0]
	if len(stacks) > 0 {
		c.errorf(b.DefRange, "discover block with stack blocks",
			"The discover block filters the stacks driftgate discovers, but this file declares its stacks (stack %q at line %d), so nothing is discovered. Remove the discover block, or the stack blocks.",
			stacks[0].Name, stacks[0].DefRange.Start.Line)
	}
	for _, arg := range []struct {
		name     string
		patterns []string
	}{{"include", b.Include}, {"exclude", b.Exclude}} {
		attr, elems, present := c.bodyAttrRanges(b.Body, b.DefRange, arg.name)
		if !present {
			continue
		}
		for j, pattern := range arg.patterns {
			rng := rangeAt(elems, j, attr)
			if pattern == "" || isAbsPath(pattern) || pattern == ".." || strings.HasPrefix(pattern, "../") {
				c.errorf(rng, "Invalid directory glob", "discover %s %q must be a glob of directories relative to the repo root, such as \"wrappers/**\".", arg.name, pattern)
				continue
			}
			if _, err := compileGlob(pattern); err != nil {
				c.errorf(rng, "Invalid glob",
					"discover %s %s. Use * within a path segment, ** for any number of segments, ? [abc] and {a,b}; escape special characters with \\.",
					arg.name, err)
			}
		}
	}
	return c.diags
}
