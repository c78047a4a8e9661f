// Package schedule owns the schedule maths of a check (docs/architecture.md#check-rules):
// it validates what a user configures (an interval, a 5-field
// cron expression or systemd OnCalendar expressions, plus an IANA time zone)
// and computes when the next ping is due.
//
// The package is pure: it performs no I/O apart from loading time zone data
// (embedded in the binary, see tzdata.go), keeps no state beyond a cache of
// loaded zones, and reads the clock only in [Parse], to reject expressions
// that never fire again ([ParseAt] takes the time instead). It knows nothing
// about checks, grace periods, pings, storage or HTTP: callers add
// grace_seconds to the due time returned by [Schedule.Next] to obtain a
// deadline, and map [*Error] to a 400 response. It imports messages only, for the names
// of the schedule types ([messages.ScheduleType]).
//
// # Interval
//
// Due IntervalSeconds (1 s .. 365 days) after the time passed to Next,
// which callers set to the last ping.
//
// # Cron
//
// The classic 5 fields, minute hour day-of-month month day-of-week, with *,
// lists, ranges, steps ("*/5", "1-10/3", and "5/15" meaning "5-59/15"),
// three-letter month and weekday names in any case, weekday 0-7 (0 and 7
// are Sunday; a range may end on SUN, as in "FRI-SUN"), and the macros
// @yearly, @annually, @monthly, @weekly, @daily, @midnight and @hourly. As
// in Vixie cron, when neither the day-of-month nor the day-of-week field
// starts with "*", a day matches when either field matches; otherwise both
// must match ("0 0 13 * 5" is every 13th and every Friday, "0 0 */10 * 1"
// only the Mondays among days 1, 11, 21, 31). Cron has minute resolution.
// Not supported: a seconds or year field, @reboot, and the L, W, # and ?
// extensions.
//
// # OnCalendar
//
// The calendar event syntax of systemd.time(7), interpreted as systemd 252
// does (it is tested against systemd-analyze): an optional weekday list,
// an optional [year-]month-day date (with "~" counting days from the end of
// the month), an optional hour:minute[:second] time, and an optional
// trailing "UTC" or IANA zone name, which wins over Spec.TZ; the special
// expressions minutely, hourly, daily, weekly, monthly, yearly, annually,
// quarterly and semiannually; "@seconds" for one instant. Every component
// takes *, lists, ranges "a..b" and repetitions "a/r" or "a..b/r". Seconds
// may have up to 6 decimals, so OnCalendar has microsecond resolution; as
// in systemd, two-digit years mean 1970-2069 and the years covered are 1970
// to 2199. Spec.Expr holds one expression per line (blank lines and
// surrounding white space are ignored) and the schedule is due whenever any
// of them fires. Time zone abbreviations that are not IANA names (such as
// "CEST") are not supported.
//
// # Time zones and daylight saving time
//
// Calendar maths is done on local wall-clock fields in the schedule's zone,
// and each candidate is then converted to an instant: a local time that does
// not exist (the spring-forward gap) is skipped, and a local time that
// occurs twice (fall back) fires once, at its first occurrence. Due times
// are returned in UTC.
//
// Schedules returned by [Parse] are immutable and safe for concurrent use.
// Every call to Next is bounded in time, whatever the input.
package schedule
