//! Whether the server is too busy to take one more call, judged by how late its own scheduler
//! runs and how long its database takes to answer. `max_calls` is a count set from a capacity
//! run, but the same machine carries half as many calls on a slow day as on a fast one
//! (BENCHMARKS.md), and a server pushed past what it carries does not slow down evenly: its
//! database pool times out, streams answered a moment ago are refused, and every call in
//! flight hears the delay. This rule turns new calls away while the calls in flight still run.
//!
//! Two probes report to a rule each. One task wakes every [`PROBE_EVERY`] and reports how late
//! it woke: a task woken at its time waits for a worker like every call's task does, so its
//! lateness is the wait a frame read now would have. Another asks the database for a
//! connection and a round trip every [`DATABASE_PROBE_EVERY`] and reports how long that took:
//! what the next call's row, its token's redemption and its agent's lookups would wait. (On
//! SQLite past capacity the database slows first: statements of over a second and waits of
//! nine seconds for a pooled connection were seen while the scheduler still ran on time.)
//!
//! A rule judges each [`WINDOW`] of reports by its median: overloaded from a window in which
//! more than half the reports were over the limit, open again from a window in which at most
//! half were over half the limit. A median ignores the odd late report (a page fault, a short
//! preemption), and the gap between the two thresholds keeps the state from flapping at the
//! edge. A report that is itself a window long (a probe starved, a database that did not
//! answer) closes its window at once.
//!
//! Pure: reports and `now` in, a change of state out; the probe loops are in `app`.

use std::time::{Duration, Instant};

/// How often the scheduler's probe wakes.
pub const PROBE_EVERY: Duration = Duration::from_millis(10);
/// How often the database's probe asks for a round trip.
pub const DATABASE_PROBE_EVERY: Duration = Duration::from_millis(100);
/// How long a stretch of reports each judgement covers.
pub const WINDOW: Duration = Duration::from_secs(1);

/// What makes the server too busy for one more call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overload {
    /// Its scheduler runs late.
    SchedulerLate,
    /// Its database answers slowly.
    DatabaseSlow,
}

impl Overload {
    /// What is wrong, for log lines: "its scheduler runs late", "its database answers slowly".
    pub fn symptom(self) -> &'static str {
        match self {
            Overload::SchedulerLate => "its scheduler runs late",
            Overload::DatabaseSlow => "its database answers slowly",
        }
    }
}

/// A change of the server's state, with the window that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// From now on new calls are turned away.
    Overloaded(Judged),
    /// New calls are taken again.
    Recovered(Judged),
}

/// One window's reports: how many, and how many were over the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judged {
    pub reports: u32,
    pub later_than_limit: u32,
    /// The largest report of the window.
    pub worst: Duration,
}

/// Follows one probe's reports and says when the server becomes overloaded or recovers.
#[derive(Debug)]
pub struct OverloadRule {
    limit: Duration,
    overloaded: bool,
    window_started: Option<Instant>,
    reports: u32,
    /// Reports of this window over `limit`, and over half of it.
    later_than_limit: u32,
    later_than_half: u32,
    worst: Duration,
}

impl OverloadRule {
    /// A rule that calls the server overloaded when its median report is over `limit`.
    pub fn new(limit: Duration) -> Self {
        OverloadRule {
            limit,
            overloaded: false,
            window_started: None,
            reports: 0,
            later_than_limit: 0,
            later_than_half: 0,
            worst: Duration::ZERO,
        }
    }

    pub fn is_overloaded(&self) -> bool {
        self.overloaded
    }

    /// The probe reports at `now`: it woke `lateness` after its time, or the database took
    /// that long to answer. Judges the window this report closes, if it closes one.
    pub fn on_report(&mut self, now: Instant, lateness: Duration) -> Option<Change> {
        let started = *self.window_started.get_or_insert(now);
        self.reports += 1;
        self.later_than_limit += u32::from(lateness > self.limit);
        self.later_than_half += u32::from(lateness > self.limit / 2);
        self.worst = self.worst.max(lateness);
        // The report that closes a window belongs to it: after a stall the first report is
        // the one that says how long the stall was.
        if now.saturating_duration_since(started) < WINDOW && lateness < WINDOW {
            return None;
        }
        let judged = Judged {
            reports: self.reports,
            later_than_limit: self.later_than_limit,
            worst: self.worst,
        };
        let median_late = 2 * self.later_than_limit > self.reports;
        let median_calm = 2 * self.later_than_half <= self.reports;
        self.window_started = Some(now);
        self.reports = 0;
        self.later_than_limit = 0;
        self.later_than_half = 0;
        self.worst = Duration::ZERO;
        match (self.overloaded, median_late, median_calm) {
            (false, true, _) => {
                self.overloaded = true;
                Some(Change::Overloaded(judged))
            }
            (true, _, true) => {
                self.overloaded = false;
                Some(Change::Recovered(judged))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_millis(10);

    /// Feeds one window of wake-ups every 10 ms with the given lateness each, from `at`;
    /// returns the change the window's last wake-up made and the instant after the window.
    fn window(
        rule: &mut OverloadRule,
        at: Instant,
        lateness: impl Fn(u32) -> Duration,
    ) -> (Option<Change>, Instant) {
        let mut change = None;
        let mut now = at;
        for i in 0..=100 {
            if let Some(c) = rule.on_report(now, lateness(i)) {
                assert!(change.is_none(), "one change per window");
                change = Some(c);
            }
            now += PROBE_EVERY;
        }
        (change, now)
    }

    #[test]
    fn a_server_whose_wakeups_are_on_time_stays_open() {
        let mut rule = OverloadRule::new(LIMIT);
        let mut at = Instant::now();
        for _ in 0..5 {
            let (change, next) = window(&mut rule, at, |_| Duration::from_millis(1));
            assert_eq!(change, None);
            at = next;
        }
        assert!(!rule.is_overloaded());
    }

    #[test]
    fn a_few_very_late_wakeups_do_not_close_it() {
        let mut rule = OverloadRule::new(LIMIT);
        // 40 of each window's wake-ups 200 ms late: the median is still on time.
        let (change, _) = window(&mut rule, Instant::now(), |i| {
            Duration::from_millis(if i % 5 < 2 { 200 } else { 1 })
        });
        assert_eq!(change, None);
        assert!(!rule.is_overloaded());
    }

    #[test]
    fn most_wakeups_late_close_it_and_a_calm_window_opens_it_again() {
        let mut rule = OverloadRule::new(LIMIT);
        let (change, at) = window(&mut rule, Instant::now(), |i| {
            Duration::from_millis(if i % 5 < 3 { 12 } else { 1 })
        });
        let Some(Change::Overloaded(judged)) = change else {
            panic!("expected overloaded, got {change:?}");
        };
        assert_eq!(judged.worst, Duration::from_millis(12));
        assert!(2 * judged.later_than_limit > judged.reports, "{judged:?}");
        assert!(rule.is_overloaded());

        // Between half the limit and the limit: not late enough to close, not calm enough to
        // open. The state holds.
        let (change, at) = window(&mut rule, at, |_| Duration::from_millis(7));
        assert_eq!(change, None);
        assert!(rule.is_overloaded());

        let (change, _) = window(&mut rule, at, |_| Duration::from_millis(2));
        assert!(matches!(change, Some(Change::Recovered(_))), "{change:?}");
        assert!(!rule.is_overloaded());
    }

    #[test]
    fn a_probe_starved_for_a_whole_window_reports_it_at_once() {
        let mut rule = OverloadRule::new(LIMIT);
        let start = Instant::now();
        assert_eq!(rule.on_report(start, Duration::ZERO), None);
        assert_eq!(rule.on_report(start + PROBE_EVERY, Duration::ZERO), None);
        // The next wake-up comes 3 s late: the runtime ran nothing else's timers either.
        let late = Duration::from_secs(3);
        let change = rule.on_report(start + 2 * PROBE_EVERY + late, late);
        // Two on time and one late: the median is on time, but the stall closed the window
        // and the next wake-ups say whether it goes on.
        assert_eq!(change, None);
        let mut now = start + 2 * PROBE_EVERY + late;
        let mut changes = Vec::new();
        for _ in 0..3 {
            now += late + PROBE_EVERY;
            changes.extend(rule.on_report(now, late));
        }
        assert!(matches!(changes[..], [Change::Overloaded(_)]), "{changes:?}");
    }

    #[test]
    fn the_limit_is_exclusive() {
        let mut rule = OverloadRule::new(LIMIT);
        let (change, _) = window(&mut rule, Instant::now(), |_| LIMIT);
        assert_eq!(change, None, "exactly the limit is not later than it");
    }
}
