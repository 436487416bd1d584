package tfrun

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/go-version"
)

// Product is the program a Binary is: Terraform or OpenTofu. Both take the
// same commands and the same saved-plan and state formats, but number
// their releases apart, so a version means something only with its
// product.
type Product string

// The products driftgate runs.
const (
	// Terraform is HashiCorp Terraform, the `terraform` command.
	Terraform Product = "terraform"
	// OpenTofu is OpenTofu, the `tofu` command.
	OpenTofu Product = "opentofu"
)

// ParseProduct reads a product as the server config names it:
// "terraform", or "opentofu" (also "tofu").
func ParseProduct(s string) (Product, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "terraform":
		return Terraform, nil
	case "opentofu", "tofu":
		return OpenTofu, nil
	}
	return "", fmt.Errorf("%q is not a product: use \"terraform\" or \"opentofu\"", s)
}

// Name is the product's name as people write it: "Terraform" or
// "OpenTofu". The empty product is Terraform: records made before the
// product was recorded were all taken for Terraform.
func (p Product) Name() string {
	if p == OpenTofu {
		return "OpenTofu"
	}
	return "Terraform"
}

// Command is the product's command name, as looked up on PATH.
func (p Product) Command() string {
	if p == OpenTofu {
		return "tofu"
	}
	return "terraform"
}

// Describe is a product and version as runs show them: "OpenTofu 1.10.10",
// "Terraform 1.11.4"; "" without a version. product may be empty (see
// Name).
func Describe(product, version string) string {
	if version == "" {
		return ""
	}
	return Product(product).Name() + " " + version
}

// versionLine matches the first line of `terraform version` and `tofu
// version`: "Terraform v1.11.4", "OpenTofu v1.10.10".
var versionLine = regexp.MustCompile(`^(Terraform|OpenTofu) v?([0-9][0-9A-Za-z.+-]*)\s*$`)

// parseVersionOutput reads the product and version from the output of
// `<binary> version`. The JSON form is no help: OpenTofu prints it under
// the same "terraform_version" key and names no product.
func parseVersionOutput(out []byte) (Product, *version.Version, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := versionLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		v, err := version.NewVersion(m[2])
		if err != nil {
			return "", nil, fmt.Errorf("version %q: %w", m[2], err)
		}
		p := Terraform
		if m[1] == "OpenTofu" {
			p = OpenTofu
		}
		return p, v, nil
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if len(first) > 80 {
		first = first[:80] + "..."
	}
	return "", nil, fmt.Errorf("%w: its version output starts %q, not \"Terraform v...\" or \"OpenTofu v...\"", ErrNotTerraform, first)
}

// String is the binary's product and version, as in "OpenTofu 1.10.10".
func (b *Binary) String() string {
	return b.Product.Name() + " " + b.Version.String()
}

// satisfies reports whether v meets cons the way Terraform and OpenTofu
// check required_version: against the release without its prerelease
// part, so a 1.10.10-dev build meets ">= 1.10".
func satisfies(cons version.Constraints, v *version.Version) bool {
	return cons.Check(v.Core())
}
