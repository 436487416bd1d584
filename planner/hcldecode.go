package planner

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// decodeAttr evaluates attr, which must be a constant (no variables or
// functions), into target, a *string or *[]string. A nil or null attribute
// leaves target alone.
//
// It does what gohcl.DecodeExpression does; gohcl itself is not used because
// it drags in hclwrite and its dependencies.
func decodeAttr(attr *hcl.Attribute, target any) hcl.Diagnostics {
	if attr == nil {
		return nil
	}
	val, diags := attr.Expr.Value(nil)
	if diags.HasErrors() || val.IsNull() {
		return diags
	}
	ty, err := gocty.ImpliedType(target)
	if err != nil {
		panic(fmt.Sprintf("decodeAttr: unsupported target %T", target)) // programming error
	}
	if val, err = convert.Convert(val, ty); err != nil {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail:   fmt.Sprintf("Inappropriate value for attribute %q: %s; it must be %s.", attr.Name, err, typeName(ty)),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	if !val.IsWhollyKnown() || val.ContainsMarked() {
		return diags
	}
	if err := gocty.FromCtyValue(val, target); err != nil {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value",
			Detail:   fmt.Sprintf("Inappropriate value for attribute %q: %s.", attr.Name, err),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	return diags
}

func typeName(ty cty.Type) string {
	switch {
	case ty == cty.String:
		return "a string"
	case ty.IsListType() && ty.ElementType() == cty.String:
		return "a list of strings, such as [\"a\", \"b\"]"
	}
	return ty.FriendlyName()
}
