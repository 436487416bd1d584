package apitest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/planner/statever"
	"github.com/driftgate/driftgate/store"
)

// StateKey is the redaction key SeedState redacts its states with.
const StateKey = "apitest-redaction-key-0123456789"

// StateLineage is the lineage of every state SeedState stores.
const StateLineage = "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"

// StateFixture holds the state versions SeedState stores for
// infra/network, oldest first, as stored (with their bodies).
//
//	serial 1  3d old, no run: aws_instance.web (t3.small, tags env=prod,
//	          sensitive user_data) and aws_s3_bucket.logs; outputs vpc_id
//	          and the sensitive db_password
//	serial 2  2d old, Fixture.NoChanges: aws_instance.web gains tag
//	          owner=ops
//	serial 3  1h old, Fixture.Planned: aws_instance.web is t3.large with a
//	          new user_data, aws_s3_bucket.logs is gone,
//	          aws_route53_record.www is new; db_password changed and the
//	          output endpoint is new
type StateFixture struct {
	Versions []store.StateVersion
}

// stateSpec describes one state SeedState writes.
type stateSpec struct {
	serial       uint64
	age          time.Duration
	runID        string
	instanceType string
	tags         string // JSON object
	userData     string
	logs, www    bool
	dbPassword   string
	endpoint     string
}

// SeedState stores three state versions of infra/network (see
// StateFixture), each the statever.Redact output (with StateKey) of a
// small hand-written state. infra/database has none.
func SeedState(tb testing.TB, st *store.Store, fx Fixture) StateFixture {
	tb.Helper()
	now := time.Now().UTC()
	specs := []stateSpec{
		{serial: 1, age: 72 * time.Hour, instanceType: "t3.small", tags: `{"env": "prod"}`,
			userData: "hunter2-boot-script", logs: true, dbPassword: "hunter2-db"},
		{serial: 2, age: 48 * time.Hour, runID: fx.NoChanges.ID, instanceType: "t3.small", tags: `{"env": "prod", "owner": "ops"}`,
			userData: "hunter2-boot-script", logs: true, dbPassword: "hunter2-db"},
		{serial: 3, age: time.Hour, runID: fx.Planned.ID, instanceType: "t3.large", tags: `{"env": "prod", "owner": "ops"}`,
			userData: "hunter3-boot-script", www: true, dbPassword: "hunter3-db", endpoint: "www.example.com"},
	}
	var out StateFixture
	for _, sp := range specs {
		raw := sp.state()
		v, err := statever.Redact(raw, []byte(StateKey))
		if err != nil {
			tb.Fatalf("seed state: redact serial %d: %v", sp.serial, err)
		}
		body, err := json.Marshal(v)
		if err != nil {
			tb.Fatalf("seed state: encode serial %d: %v", sp.serial, err)
		}
		sum := sha256.Sum256(raw)
		sv := store.StateVersion{
			Repo: "infra", Stack: "network", Serial: sp.serial, Lineage: StateLineage,
			SHA256: hex.EncodeToString(sum[:]), RunID: sp.runID, CreatedAt: now.Add(-sp.age),
			Resources: len(v.Resources), Version: body,
		}
		if err := st.PutStateVersion(context.Background(), &sv); err != nil {
			tb.Fatalf("seed state: serial %d: %v", sp.serial, err)
		}
		out.Versions = append(out.Versions, sv)
	}
	return out
}

// state returns the raw state sp describes, in format v4.
func (sp stateSpec) state() []byte {
	resources := []string{fmt.Sprintf(`{
      "mode": "managed", "type": "aws_instance", "name": "web",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [{
        "schema_version": 1,
        "attributes": {"id": "i-0abc", "instance_type": %q, "tags": %s, "user_data": %q},
        "sensitive_attributes": [[{"type": "get_attr", "value": "user_data"}]],
        "private": "eyJzY2hlbWFfdmVyc2lvbiI6IjEifQ=="
      }]
    }`, sp.instanceType, sp.tags, sp.userData)}
	if sp.logs {
		resources = append(resources, `{
      "mode": "managed", "type": "aws_s3_bucket", "name": "logs",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [{"schema_version": 0, "attributes": {"id": "acme-logs", "force_destroy": false}, "sensitive_attributes": []}]
    }`)
	}
	if sp.www {
		resources = append(resources, `{
      "mode": "managed", "type": "aws_route53_record", "name": "www",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [{"schema_version": 2, "attributes": {"id": "Z123_www", "name": "www.example.com", "ttl": 300}, "sensitive_attributes": []}]
    }`)
	}
	outputs := []string{
		`"vpc_id": {"value": "vpc-0123", "type": "string"}`,
		fmt.Sprintf(`"db_password": {"value": %q, "type": "string", "sensitive": true}`, sp.dbPassword),
	}
	if sp.endpoint != "" {
		outputs = append(outputs, fmt.Sprintf(`"endpoint": {"value": %q, "type": "string"}`, sp.endpoint))
	}
	return fmt.Appendf(nil, `{
  "version": 4,
  "terraform_version": "1.11.4",
  "serial": %d,
  "lineage": %q,
  "outputs": {%s},
  "resources": [%s],
  "check_results": null
}
`, sp.serial, StateLineage, strings.Join(outputs, ", "), strings.Join(resources, ", "))
}
