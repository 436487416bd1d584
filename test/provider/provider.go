package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// rootEnv is the environment variable that supplies the root when the
// provider configuration does not.
const rootEnv = "DGTEST_ROOT"

// errNoRoot reports that neither the configuration nor the environment names
// a backing directory.
var errNoRoot = errors.New(`no backing directory: set "root" in the provider block or the ` + rootEnv + ` environment variable`)

// dgtestProvider is the provider; it hands a *store to its resources.
type dgtestProvider struct {
	version string
}

// providerModel is the provider configuration.
type providerModel struct {
	Root types.String `tfsdk:"root"`
}

var _ provider.Provider = (*dgtestProvider)(nil)

// newProvider returns the constructor providerserver.Serve needs.
func newProvider(version string) func() provider.Provider {
	return func() provider.Provider {
		return &dgtestProvider{version: version}
	}
}

// Metadata names the provider.
func (p *dgtestProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "dgtest"
	resp.Version = p.version
}

// Schema describes the provider configuration.
func (p *dgtestProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Manages objects stored as JSON files in a local directory, for testing.",
		Attributes: map[string]schema.Attribute{
			"root": schema.StringAttribute{
				Optional:    true,
				Description: "Directory holding the objects; defaults to $" + rootEnv + ". Created on first write.",
			},
		},
	}
}

// Configure resolves the backing directory and shares a store with the
// resources and data sources.
func (p *dgtestProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.Root.IsUnknown() {
		// Known only after apply; resources report "not configured" if
		// they are called before then.
		return
	}
	root, err := resolveRoot(cfg.Root.ValueString(), os.Getenv(rootEnv))
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("root"), "Missing backing directory", err.Error())
		return
	}
	st := newStore(root)
	resp.ResourceData = st
	resp.DataSourceData = st
}

// resolveRoot picks the configured root, else the one from the environment,
// and makes it absolute.
func resolveRoot(configured, env string) (string, error) {
	root := configured
	if root == "" {
		root = env
	}
	if root == "" {
		return "", errNoRoot
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("resolve root %q: %w", root, err)
	}
	return abs, nil
}

// Resources lists the managed resource types.
func (p *dgtestProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return &serverResource{} },
		func() resource.Resource { return &secretResource{} },
	}
}

// DataSources lists the data source types.
func (p *dgtestProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		func() datasource.DataSource { return &waitDataSource{} },
	}
}
