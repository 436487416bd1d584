package main

import (
	"context"
	"errors"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// serverObject is the backing file of a dgtest_server. Every field is a
// pointer (or a map, where nil means absent) so that a key missing from the
// file reads back as null rather than as a zero value.
type serverObject struct {
	Size    *string           `json:"size,omitempty"`
	Port    *int64            `json:"port,omitempty"`
	Enabled *bool             `json:"enabled,omitempty"`
	Tags    map[string]string `json:"tags"`
}

// serverModel is the Terraform data of a dgtest_server.
type serverModel struct {
	ID      types.String `tfsdk:"id"`
	Name    types.String `tfsdk:"name"`
	Size    types.String `tfsdk:"size"`
	Port    types.Int64  `tfsdk:"port"`
	Enabled types.Bool   `tfsdk:"enabled"`
	Tags    types.Map    `tfsdk:"tags"`
}

// serverResource is the dgtest_server resource type.
type serverResource struct {
	store *store
}

var (
	_ resource.ResourceWithConfigure   = (*serverResource)(nil)
	_ resource.ResourceWithImportState = (*serverResource)(nil)
)

// Metadata names the resource type.
func (r *serverResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_server"
}

// Schema describes a server.
func (r *serverResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A pretend server stored in <root>/servers/<name>.json.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:      true,
				Description:   "Same as name.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required:      true,
				Description:   "Name of the server and of its backing file; changing it replaces the server.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{nameValidator{}},
			},
			"size": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Default:     stringdefault.StaticString("small"),
				Description: `Free-form size; defaults to "small".`,
			},
			"port": schema.Int64Attribute{
				Optional:    true,
				Description: "Port number.",
			},
			"enabled": schema.BoolAttribute{
				Optional:    true,
				Computed:    true,
				Default:     booldefault.StaticBool(true),
				Description: "Whether the server is enabled; defaults to true.",
			},
			"tags": schema.MapAttribute{
				Optional:    true,
				ElementType: types.StringType,
				Description: "String tags.",
			},
		},
	}
}

// Configure receives the provider's store.
func (r *serverResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	st, diags := storeFrom(req.ProviderData)
	resp.Diagnostics.Append(diags...)
	r.store = st
}

// Create writes a new backing file, failing if one is already there.
func (r *serverResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m serverModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needStore(r.store, &resp.Diagnostics) {
		return
	}
	obj, diags := m.object(ctx)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}
	if err := r.store.create(kindServers, m.Name.ValueString(), obj); err != nil {
		resp.Diagnostics.AddError("Cannot create server", err.Error())
		return
	}
	m.ID = m.Name
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Read reports exactly what the backing file holds, or removes the resource
// from state when the file is gone.
func (r *serverResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m serverModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needStore(r.store, &resp.Diagnostics) {
		return
	}
	var obj serverObject
	err := r.store.read(kindServers, m.Name.ValueString(), &obj)
	if errors.Is(err, errNotFound) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read server", err.Error())
		return
	}
	resp.Diagnostics.Append(m.setObject(ctx, obj)...)
	m.ID = m.Name
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Update rewrites the backing file.
func (r *serverResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m serverModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needStore(r.store, &resp.Diagnostics) {
		return
	}
	obj, diags := m.object(ctx)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}
	if err := r.store.write(kindServers, m.Name.ValueString(), obj); err != nil {
		resp.Diagnostics.AddError("Cannot update server", err.Error())
		return
	}
	m.ID = m.Name
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Delete removes the backing file.
func (r *serverResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m serverModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needStore(r.store, &resp.Diagnostics) {
		return
	}
	if err := r.store.remove(kindServers, m.Name.ValueString()); err != nil {
		resp.Diagnostics.AddError("Cannot delete server", err.Error())
	}
}

// ImportState imports a server by name; Read then fills in the rest.
func (r *serverResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("name"), req, resp)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
}

// object converts planned data into the backing file's content.
func (m *serverModel) object(ctx context.Context) (serverObject, diag.Diagnostics) {
	var diags diag.Diagnostics
	obj := serverObject{
		Size:    m.Size.ValueStringPointer(),
		Port:    m.Port.ValueInt64Pointer(),
		Enabled: m.Enabled.ValueBoolPointer(),
	}
	if !m.Tags.IsNull() && !m.Tags.IsUnknown() {
		obj.Tags = map[string]string{}
		diags.Append(m.Tags.ElementsAs(ctx, &obj.Tags, false)...)
	}
	return obj, diags
}

// setObject replaces the model's attributes with the backing file's content.
func (m *serverModel) setObject(ctx context.Context, obj serverObject) diag.Diagnostics {
	m.Size = types.StringPointerValue(obj.Size)
	m.Port = types.Int64PointerValue(obj.Port)
	m.Enabled = types.BoolPointerValue(obj.Enabled)
	if obj.Tags == nil {
		m.Tags = types.MapNull(types.StringType)
		return nil
	}
	tags, diags := types.MapValueFrom(ctx, types.StringType, obj.Tags)
	m.Tags = tags
	return diags
}
