package main

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// storeFrom extracts the store that Configure handed over as provider data.
// It returns nil without a diagnostic while the provider is not configured
// yet (Terraform calls Configure on resources before the provider's own
// Configure during validation).
func storeFrom(data any) (*store, diag.Diagnostics) {
	var diags diag.Diagnostics
	if data == nil {
		return nil, diags
	}
	st, ok := data.(*store)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *store, got %T; this is a bug in the dgtest provider", data))
	}
	return st, diags
}

// needStore reports an error diagnostic when a CRUD call arrives without a
// configured store, which happens when the provider's root is unknown.
func needStore(st *store, diags *diag.Diagnostics) bool {
	if st == nil {
		diags.AddError("Provider not configured", "the dgtest provider has no backing directory yet (is \"root\" unknown until apply?)")
		return false
	}
	return true
}

// nameValidator rejects object names that cannot be a single file name.
type nameValidator struct{}

var _ validator.String = nameValidator{}

// Description says what the validator checks.
func (nameValidator) Description(context.Context) string {
	return "must be a non-empty file name without path separators"
}

// MarkdownDescription says what the validator checks.
func (v nameValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

// ValidateString checks a known name.
func (nameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := checkName(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid name", err.Error())
	}
}
