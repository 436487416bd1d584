package main

import (
	"context"
	"errors"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// secretObject is the backing file of a dgtest_secret. Pointers make a key
// missing from the file read back as null.
type secretObject struct {
	Value       *string `json:"value,omitempty"`
	Description *string `json:"description,omitempty"`
}

// secretModel is the Terraform data of a dgtest_secret.
type secretModel struct {
	ID          types.String `tfsdk:"id"`
	Name        types.String `tfsdk:"name"`
	Value       types.String `tfsdk:"value"`
	Description types.String `tfsdk:"description"`
}

// secretResource is the dgtest_secret resource type.
type secretResource struct {
	store *store
}

var (
	_ resource.ResourceWithConfigure   = (*secretResource)(nil)
	_ resource.ResourceWithImportState = (*secretResource)(nil)
)

// Metadata names the resource type.
func (r *secretResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_secret"
}

// Schema describes a secret.
func (r *secretResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A pretend secret stored in <root>/secrets/<name>.json.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:      true,
				Description:   "Same as name.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required:      true,
				Description:   "Name of the secret and of its backing file; changing it replaces the secret.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{nameValidator{}},
			},
			"value": schema.StringAttribute{
				Required:    true,
				Sensitive:   true,
				Description: "The secret value; Terraform never prints it.",
			},
			"description": schema.StringAttribute{
				Optional:    true,
				Description: "Free-form description.",
			},
		},
	}
}

// Configure receives the provider's store.
func (r *secretResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	st, diags := storeFrom(req.ProviderData)
	resp.Diagnostics.Append(diags...)
	r.store = st
}

// Create writes a new backing file, failing if one is already there.
func (r *secretResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m secretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needStore(r.store, &resp.Diagnostics) {
		return
	}
	if err := r.store.create(kindSecrets, m.Name.ValueString(), m.object()); err != nil {
		resp.Diagnostics.AddError("Cannot create secret", err.Error())
		return
	}
	m.ID = m.Name
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Read reports exactly what the backing file holds, or removes the resource
// from state when the file is gone.
func (r *secretResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m secretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needStore(r.store, &resp.Diagnostics) {
		return
	}
	var obj secretObject
	err := r.store.read(kindSecrets, m.Name.ValueString(), &obj)
	if errors.Is(err, errNotFound) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read secret", err.Error())
		return
	}
	m.Value = types.StringPointerValue(obj.Value)
	m.Description = types.StringPointerValue(obj.Description)
	m.ID = m.Name
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Update rewrites the backing file.
func (r *secretResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m secretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needStore(r.store, &resp.Diagnostics) {
		return
	}
	if err := r.store.write(kindSecrets, m.Name.ValueString(), m.object()); err != nil {
		resp.Diagnostics.AddError("Cannot update secret", err.Error())
		return
	}
	m.ID = m.Name
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Delete removes the backing file.
func (r *secretResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m secretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needStore(r.store, &resp.Diagnostics) {
		return
	}
	if err := r.store.remove(kindSecrets, m.Name.ValueString()); err != nil {
		resp.Diagnostics.AddError("Cannot delete secret", err.Error())
	}
}

// ImportState imports a secret by name; Read then fills in the rest.
func (r *secretResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("name"), req, resp)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
}

// object converts planned data into the backing file's content.
func (m *secretModel) object() secretObject {
	return secretObject{
		Value:       m.Value.ValueStringPointer(),
		Description: m.Description.ValueStringPointer(),
	}
}
