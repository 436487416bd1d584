package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// waitModel is the data of a dgtest_wait.
type waitModel struct {
	Duration types.String `tfsdk:"duration"`
}

// waitDataSource is the dgtest_wait data source: reading it sleeps, and
// returns early with an error when Terraform stops the provider.
type waitDataSource struct{}

var _ datasource.DataSource = (*waitDataSource)(nil)

// Metadata names the data source.
func (d *waitDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_wait"
}

// Schema describes the data source.
func (d *waitDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Sleeps while being read; used to interrupt a plan mid-flight.",
		Attributes: map[string]schema.Attribute{
			"duration": schema.StringAttribute{
				Required:    true,
				Description: `How long to sleep, as a Go duration such as "30s".`,
			},
		},
	}
}

// Read sleeps for the configured duration or until ctx is cancelled, which
// Terraform does through StopProvider when it is interrupted.
func (d *waitDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m waitModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	dur, err := time.ParseDuration(m.Duration.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("duration"), "Invalid duration", err.Error())
		return
	}
	if err := sleep(ctx, dur); err != nil {
		resp.Diagnostics.AddError("Wait interrupted", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// sleep waits for d, or returns an error as soon as ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait of %s cancelled: %w", d, context.Cause(ctx))
	}
}
