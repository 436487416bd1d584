package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/driftgate/driftgate/runner/ui"
)

// UIConfig is the ui block: the web UI served next to the API.
type UIConfig struct {
	// Disabled turns the UI off (enabled = false).
	Disabled bool
	// SessionTTL is how long a sign-in lasts; 0 is ui.DefaultSessionTTL.
	SessionTTL time.Duration
}

type uiBlock struct {
	Enabled    *bool    `hcl:"enabled,optional"`
	SessionTTL *string  `hcl:"session_ttl,optional"`
	Body       hcl.Body `hcl:",body"`
}

// decodeUI decodes the ui block into cfg (public_url is decodePublicURL's).
func decodeUI(ub *uiBlock, cfg *Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if ub == nil {
		return diags
	}
	if ub.Enabled != nil {
		cfg.UI.Disabled = !*ub.Enabled
	}
	if ub.SessionTTL != nil {
		d, err := time.ParseDuration(*ub.SessionTTL)
		if err != nil || d < time.Minute {
			diags = append(diags, attrError(ub.Body, "session_ttl", "Invalid session_ttl",
				fmt.Sprintf("%q is not a duration of at least a minute. Use a number with a unit, for example \"12h\" or \"30m\".", *ub.SessionTTL)))
		}
		cfg.UI.SessionTTL = d
	}
	return diags
}

// uiConfig is the UI's runner config: its session cookie is Secure when
// users reach driftgate over https (public_url, or the tls block).
func uiConfig(cfg *Config) ui.Config {
	return ui.Config{
		Disabled: cfg.UI.Disabled, SessionTTL: cfg.UI.SessionTTL,
		SecureCookie: strings.HasPrefix(cfg.PublicURL, "https://") || cfg.TLS.Enabled(),
	}
}
