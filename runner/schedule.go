package runner

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/driftgate/driftgate/planner"
	"github.com/robfig/cron/v3"
)

// Drift check schedules are cron schedules, each stack's shifted by a
// stable offset of its own (its jitter) so that 500 stacks on "@hourly" do
// not all plan at minute zero. The offset is a hash of the stack's key, so
// every start of driftgate computes the same check times: a restart neither
// skips nor doubles a stack's check.

// maxJitter bounds a stack's offset: a daily check runs within the first
// hour after its time, not at a random hour of the day. Schedules shorter
// than maxJitter spread their stacks over the whole period.
const maxJitter = time.Hour

// periodSamples is how many gaps between occurrences schedulePeriod
// measures to find a cron schedule's shortest.
const periodSamples = 8

// periodReference is where schedulePeriod starts measuring, fixed so that
// a stack's offset never depends on when it is computed.
var periodReference = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// scheduleExample is what parseSchedule's errors suggest.
const scheduleExample = `five cron fields such as "0 * * * *", a descriptor such as "@hourly", "@daily" or "@every 30m", or "off"`

// parseSchedule parses a drift check schedule: five cron fields ("0 * * * *",
// optionally after "CRON_TZ=Zone "), a descriptor ("@hourly", "@daily",
// "@weekly", ...) or "@every <duration>" of at least a second. "" and "off"
// (planner.DriftScheduleOff) mean no scheduled checks: a nil schedule and
// no error. Five-field schedules without CRON_TZ are in the local time zone.
func parseSchedule(spec string) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" || strings.EqualFold(spec, planner.DriftScheduleOff) {
		return nil, nil
	}
	if every, ok := strings.CutPrefix(spec, "@every "); ok {
		// cron silently turns a negative or sub-second interval into one
		// second: a typo must not plan every second.
		if d, err := time.ParseDuration(strings.TrimSpace(every)); err == nil && d < time.Second {
			return nil, fmt.Errorf("schedule %q: interval %s is shorter than a second; write %s", spec, d, scheduleExample)
		}
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w; write %s", spec, err, scheduleExample)
	}
	return s, nil
}

// schedulePeriod estimates a schedule's period: an "@every" interval
// exactly, else the shortest gap between successive occurrences of the
// schedule after periodReference (so 8h for "0 9,17 * * *", 24h for
// weekdays at nine). It is 0 for a schedule that never fires.
func schedulePeriod(s cron.Schedule) time.Duration {
	if every, ok := s.(cron.ConstantDelaySchedule); ok {
		return every.Delay
	}
	prev := s.Next(periodReference)
	if prev.IsZero() {
		return 0
	}
	var period time.Duration
	for range periodSamples {
		next := s.Next(prev)
		if next.IsZero() {
			break
		}
		if gap := next.Sub(prev); period == 0 || gap < period {
			period = gap
		}
		prev = next
	}
	return period
}

// jitterOffset is the stack's offset within a schedule of the given
// period: the FNV-64a hash of key (the stack's identity, stable across
// restarts, such as "repo/stack") modulo the smaller of the period and
// maxJitter. Offsets are whole seconds, or whole milliseconds when that
// limit is under a minute.
func jitterOffset(key string, period time.Duration) time.Duration {
	limit := min(period, maxJitter)
	if limit <= 0 {
		return 0
	}
	unit := time.Second
	if limit < time.Minute {
		unit = time.Millisecond
	}
	slots := uint64(limit / unit)
	if slots == 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return time.Duration(h.Sum64()%slots) * unit
}

// nextCheck returns when the stack with key is next due after the given
// time: the schedule's next occurrence after (after - offset), plus the
// offset. The stack thus follows the whole schedule shifted by its offset,
// once per occurrence and at a stable phase. "@every" intervals count
// from the zero time, not from when driftgate started, so they too are a
// pure function of key and time. The result is strictly after the given
// time, or zero when s is nil or never fires again.
func nextCheck(s cron.Schedule, key string, after time.Time) time.Time {
	if s == nil {
		return time.Time{}
	}
	offset := jitterOffset(key, schedulePeriod(s))
	shifted := after.Add(-offset)
	if every, ok := s.(cron.ConstantDelaySchedule); ok && every.Delay > 0 {
		return shifted.Truncate(every.Delay).Add(every.Delay + offset)
	}
	next := s.Next(shifted)
	if next.IsZero() {
		return next
	}
	return next.Add(offset)
}
