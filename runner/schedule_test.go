package runner

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		spec    string
		wantOff bool
		wantErr string // substring of the error; "" for none
	}{
		{spec: "0 * * * *"},
		{spec: "*/15 9-17 * * 1-5"},
		{spec: "@hourly"},
		{spec: "@daily"},
		{spec: "@every 30m"},
		{spec: "@every 2s"},
		{spec: "CRON_TZ=UTC 0 9 * * *"},
		{spec: "  @hourly  "},
		{spec: "", wantOff: true},
		{spec: "off", wantOff: true},
		{spec: " OFF ", wantOff: true},
		{spec: "* * *", wantErr: `schedule "* * *": expected exactly 5 fields`},
		{spec: "0 * * * * *", wantErr: `write five cron fields such as "0 * * * *"`},
		{spec: "61 * * * *", wantErr: `schedule "61 * * * *"`},
		{spec: "@fortnightly", wantErr: `"@hourly"`},
		{spec: "@every banana", wantErr: `schedule "@every banana"`},
		{spec: "@every 0s", wantErr: "shorter than a second"},
		{spec: "@every -5m", wantErr: "shorter than a second"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := parseSchedule(tt.spec)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("parseSchedule(%q) error = %v, want one containing %q", tt.spec, err, tt.wantErr)
				}
			case err != nil:
				t.Errorf("parseSchedule(%q) error = %v", tt.spec, err)
			case (s == nil) != tt.wantOff:
				t.Errorf("parseSchedule(%q) = %v, want off %v", tt.spec, s, tt.wantOff)
			}
		})
	}
}

// mustSchedule parses spec or fails the test.
func mustSchedule(t testing.TB, spec string) cron.Schedule {
	t.Helper()
	s, err := parseSchedule(spec)
	if err != nil || s == nil {
		t.Fatalf("parseSchedule(%q) = %v, %v", spec, s, err)
	}
	return s
}

func TestSchedulePeriod(t *testing.T) {
	tests := []struct {
		spec string
		want time.Duration
	}{
		{"@hourly", time.Hour},
		{"@daily", 24 * time.Hour},
		{"@every 2s", 2 * time.Second},
		{"@every 30m", 30 * time.Minute},
		{"CRON_TZ=UTC */15 * * * *", 15 * time.Minute},
		{"CRON_TZ=UTC 0 9,17 * * *", 8 * time.Hour},
		{"CRON_TZ=UTC 0 9 * * 1-5", 24 * time.Hour},
		{"CRON_TZ=UTC 0 0 30 2 *", 0}, // February 30th never comes
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			if got := schedulePeriod(mustSchedule(t, tt.spec)); got != tt.want {
				t.Errorf("schedulePeriod(%q) = %s, want %s", tt.spec, got, tt.want)
			}
		})
	}
}

func TestJitterOffset(t *testing.T) {
	tests := []struct {
		name   string
		period time.Duration
		limit  time.Duration // every offset is below it
		unit   time.Duration // and a multiple of it
	}{
		{"hourly", time.Hour, time.Hour, time.Second},
		{"every 15 minutes", 15 * time.Minute, 15 * time.Minute, time.Second},
		{"daily is capped at an hour", 24 * time.Hour, time.Hour, time.Second},
		{"every 2 seconds", 2 * time.Second, 2 * time.Second, time.Millisecond},
		{"never fires", 0, time.Nanosecond, 1},
		{"below a millisecond", time.Microsecond, time.Nanosecond, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			distinct := map[time.Duration]bool{}
			for i := range 50 {
				key := fmt.Sprintf("infra/stack-%d", i)
				got := jitterOffset(key, tt.period)
				if again := jitterOffset(key, tt.period); again != got {
					t.Fatalf("jitterOffset(%q) = %s then %s, want the same", key, got, again)
				}
				if got < 0 || got >= tt.limit || got%tt.unit != 0 {
					t.Errorf("jitterOffset(%q, %s) = %s, want in [0, %s) and a multiple of %s", key, tt.period, got, tt.limit, tt.unit)
				}
				distinct[got] = true
			}
			if tt.limit > time.Second && len(distinct) < 40 {
				t.Errorf("50 keys gave %d distinct offsets, want them spread", len(distinct))
			}
		})
	}
}

func TestJitterSpreadsHourlyStacks(t *testing.T) {
	s := mustSchedule(t, "@hourly")
	after := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var buckets [10]int // six minutes each
	for i := range 100 {
		next := nextCheck(s, fmt.Sprintf("infra/envs/stack-%02d", i), after)
		buckets[next.Sub(after)/(6*time.Minute)]++
	}
	nonEmpty := 0
	for i, n := range buckets {
		if n > 25 {
			t.Errorf("bucket %d holds %d of 100 stacks, want at most 25 (%v)", i, n, buckets)
		}
		if n > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 8 {
		t.Errorf("%d of 10 buckets hold stacks, want at least 8 (%v)", nonEmpty, buckets)
	}
}

func TestNextCheck(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 34, 56, 789, time.UTC)
	tests := []struct {
		spec   string
		period time.Duration
	}{
		{"@hourly", time.Hour},
		{"CRON_TZ=UTC */15 * * * *", 15 * time.Minute},
		{"CRON_TZ=UTC @daily", 24 * time.Hour},
		{"@every 2s", 2 * time.Second},
		{"@every 30m", 30 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s := mustSchedule(t, tt.spec)
			const key = "infra/envs/prod"
			offset := jitterOffset(key, tt.period)
			if offset >= min(tt.period, maxJitter) {
				t.Fatalf("offset %s not below the period %s", offset, tt.period)
			}
			next := nextCheck(s, key, start)
			if !next.After(start) || next.Sub(start) > tt.period {
				t.Fatalf("nextCheck(%s) = %s, want within one period after", start, next)
			}
			// A restart at any moment before the due time computes it again.
			for _, restart := range []time.Time{start, start.Add(next.Sub(start) / 2), next.Add(-time.Nanosecond)} {
				if got := nextCheck(s, key, restart); !got.Equal(next) {
					t.Errorf("nextCheck(%s) = %s, want %s", restart, got, next)
				}
			}
			// Once per period, at the same phase.
			for range 50 {
				following := nextCheck(s, key, next)
				if got := following.Sub(next); got != tt.period {
					t.Fatalf("nextCheck(%s) = %s, %s later, want one period (%s)", next, following, got, tt.period)
				}
				next = following
			}
		})
	}
}

func TestNextCheckNever(t *testing.T) {
	if got := nextCheck(nil, "k", time.Now()); !got.IsZero() {
		t.Errorf("nextCheck(nil) = %s, want zero", got)
	}
	if got := nextCheck(mustSchedule(t, "CRON_TZ=UTC 0 0 30 2 *"), "k", time.Now()); !got.IsZero() {
		t.Errorf("nextCheck(February 30th) = %s, want zero", got)
	}
}
