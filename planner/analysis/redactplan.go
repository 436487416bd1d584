package analysis

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// RedactPlan returns the plan JSON printed by `terraform show -json` with every
// sensitive value replaced by Marker, and the set of secrets it removed.
//
// It works on the generic JSON tree rather than on terraform-json's structs
// so that fields those structs do not model survive unchanged. Sensitive
// values are found structurally (before_sensitive/after_sensitive masks,
// sensitive_values of state resources, sensitive outputs and variables,
// defaults of sensitive variables in the configuration); afterwards every
// string in the document is scrubbed of the secrets found, so a secret that
// Terraform repeated somewhere unmarked (generated config, a constant value in
// the configuration) does not survive either.
func RedactPlan(raw []byte) ([]byte, *Secrets, error) {
	var doc map[string]any
	if err := decodeJSON(raw, &doc); err != nil {
		return nil, nil, err
	}
	secrets := NewSecrets()
	redactPlanTree(doc, secrets)
	secrets.scrubTree(doc)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, nil, fmt.Errorf("encode redacted plan: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), secrets, nil
}

// redactPlanTree masks the sensitive values of a decoded plan in place.
func redactPlanTree(doc map[string]any, secrets *Secrets) {
	for _, key := range []string{"resource_changes", "resource_drift"} {
		for _, rc := range asSlice(doc[key]) {
			redactChange(asMap(asMap(rc)["change"]), secrets)
		}
	}
	for _, dc := range asSlice(doc["deferred_changes"]) {
		rc := asMap(asMap(dc)["resource_change"])
		redactChange(asMap(rc["change"]), secrets)
	}
	for _, oc := range asMap(doc["output_changes"]) {
		redactChange(asMap(oc), secrets)
	}
	redactStateValues(asMap(doc["planned_values"]), secrets)
	if prior := asMap(doc["prior_state"]); prior != nil {
		redactStateValues(asMap(prior["values"]), secrets)
	}

	config := asMap(doc["configuration"])
	root := asMap(config["root_module"])
	sensitiveVars := map[string]bool{}
	for name, v := range asMap(root["variables"]) {
		if b, _ := asMap(v)["sensitive"].(bool); b {
			sensitiveVars[name] = true
		}
	}
	for name, v := range asMap(doc["variables"]) {
		if sensitiveVars[name] {
			pv := asMap(v)
			pv["value"] = redactValue(pv["value"], true, secrets)
		}
	}
	redactConfigModule(root, secrets)
}

// redactChange masks a Change object's before and after values.
func redactChange(change map[string]any, secrets *Secrets) {
	if change == nil {
		return
	}
	if v, ok := change["before"]; ok {
		change["before"] = redactValue(v, change["before_sensitive"], secrets)
	}
	if v, ok := change["after"]; ok {
		change["after"] = redactValue(v, change["after_sensitive"], secrets)
	}
}

// redactStateValues masks a values object ({outputs, root_module}) as found
// in planned_values and prior_state.values.
func redactStateValues(values map[string]any, secrets *Secrets) {
	if values == nil {
		return
	}
	for _, o := range asMap(values["outputs"]) {
		out := asMap(o)
		if b, _ := out["sensitive"].(bool); b {
			out["value"] = redactValue(out["value"], true, secrets)
		}
	}
	redactStateModule(asMap(values["root_module"]), secrets)
}

func redactStateModule(module map[string]any, secrets *Secrets) {
	if module == nil {
		return
	}
	for _, r := range asSlice(module["resources"]) {
		res := asMap(r)
		if v, ok := res["values"]; ok {
			res["values"] = redactValue(v, res["sensitive_values"], secrets)
		}
	}
	for _, child := range asSlice(module["child_modules"]) {
		redactStateModule(asMap(child), secrets)
	}
}

// redactConfigModule masks defaults of sensitive variables in the
// configuration section, recursively through module calls.
func redactConfigModule(module map[string]any, secrets *Secrets) {
	if module == nil {
		return
	}
	for _, v := range asMap(module["variables"]) {
		variable := asMap(v)
		if b, _ := variable["sensitive"].(bool); b {
			if d, ok := variable["default"]; ok {
				variable["default"] = redactValue(d, true, secrets)
			}
		}
	}
	for _, call := range asMap(module["module_calls"]) {
		redactConfigModule(asMap(asMap(call)["module"]), secrets)
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
