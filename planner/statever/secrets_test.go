package statever

import (
	"errors"
	"testing"

	"github.com/driftgate/driftgate/planner/analysis"
)

func TestSecrets(t *testing.T) {
	s, err := Secrets(readState(t, "full.tfstate"))
	if err != nil {
		t.Fatalf("Secrets: %v", err)
	}
	for _, secret := range fullSecrets {
		if got := s.ScrubString("x " + secret + " y"); got != "x "+analysis.Marker+" y" {
			t.Errorf("%q not among the secrets: scrubbed to %q", secret, got)
		}
	}
	// Values not marked sensitive stay.
	for _, plain := range []string{"database password", "web-a", "10.0.0.0/8", "small"} {
		if got := s.ScrubString(plain); got != plain {
			t.Errorf("%q scrubbed to %q; it is not sensitive", plain, got)
		}
	}
}

func TestSecretsNoState(t *testing.T) {
	for _, raw := range []string{"", " \n"} {
		s, err := Secrets([]byte(raw))
		if err != nil || s.Len() != 0 {
			t.Errorf("Secrets(%q) = %d secrets, %v; want none", raw, s.Len(), err)
		}
	}
}

func TestSecretsMalformed(t *testing.T) {
	if _, err := Secrets([]byte(`{"version": 3}`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("state v3: err = %v, want ErrMalformed", err)
	}
	if _, err := Secrets([]byte(`{`)); err == nil {
		t.Error("truncated state: no error")
	}
}
