//! Inbound routing as a decision: from what is known about a call when Twilio asks, connect
//! it to its agent or refuse it, and say why. Pure: the [`Reception`](super::Reception) looks
//! things up, asks here, and acts on the answer. The rules that decide whether a line takes a
//! call at a given moment belong here: the agent's active hours at `now` (on the wall clock of
//! its zone), whether it is active at all, and whether its account has a minute left.

use jiff::Timestamp;

use crate::hours::AfterHours;

use super::directory::Line;
use super::overload::Overload;

/// A call Twilio asks us to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundCall {
    pub call_sid: String,
    /// The caller's number; `anonymous` when withheld.
    pub from: String,
    /// The number called, which picks the agent.
    pub to: String,
}

impl InboundCall {
    /// The call from the webhook's fields; `None` without a `CallSid` or a `To`.
    pub fn from_fields(call_sid: Option<&str>, from: Option<&str>, to: Option<&str>) -> Option<Self> {
        Some(InboundCall {
            call_sid: call_sid.filter(|sid| !sid.is_empty())?.to_owned(),
            from: from.unwrap_or("anonymous").to_owned(),
            to: to.filter(|to| !to.is_empty())?.to_owned(),
        })
    }
}

/// Whether this server takes a new call now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    Open,
    /// Every call it may take is taken.
    Full,
    /// It is too busy for one more call, for this cause.
    Overloaded(Overload),
    /// It is draining: no new calls.
    Draining,
}

/// What the lookup of the called number found.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    Found(&'a Line),
    /// No agent answers the number.
    NotFound,
    /// No agent answers the number: it was given up and is held until its release.
    Held,
    /// The lookup failed (the database is down).
    Failed,
}

/// What is left of the minute pool the account's agents share this billing period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinutesLeft {
    /// The plan has no limit.
    Unlimited,
    /// Whole minutes left (0 when used up or past the limit).
    Left(u64),
}

impl MinutesLeft {
    /// The pool of a plan with `limit` minutes (`None`: unlimited) of which `used` are used.
    pub fn of(used: u64, limit: Option<u32>) -> MinutesLeft {
        match limit {
            None => MinutesLeft::Unlimited,
            Some(limit) => MinutesLeft::Left(u64::from(limit).saturating_sub(used)),
        }
    }

    /// Whether a new call may start: at least one whole minute is left. A call is never cut
    /// off for minutes once connected (only the per-call maximum ends it).
    pub fn has_a_minute(self) -> bool {
        match self {
            MinutesLeft::Unlimited => true,
            MinutesLeft::Left(minutes) => minutes >= 1,
        }
    }
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    /// Connect the caller to this line's agent.
    Connect(&'a Line),
    /// The line is known but its agent does not take this call.
    TurnAway(&'a Line, TurnAway),
    Refuse(Refusal),
}

/// Why a call is not connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server is draining: no new calls.
    Draining,
    /// The server has as many calls as it may take; the line's fallback takes this one.
    AtCapacity,
    /// The server is too busy for one more call; the line's fallback takes this one.
    Overloaded(Overload),
    /// The number reaches no agent.
    NotInService,
    /// The number was given up by its agent and is held: it is no longer in service.
    NoLongerInService,
    /// Our side failed before the call could be connected.
    Unavailable,
}

/// Why a line's own rules keep its agent from a call at this moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnAway {
    /// Outside the agent's active hours: what it does after hours takes the call.
    AfterHours(AfterHours),
    /// The agent is switched off (`active: false`): treated as closed, so the caller gets its
    /// after-hours behavior (a voicemail greeting and a recording unless set otherwise),
    /// never silence.
    Inactive(AfterHours),
    /// The account's minute pool has less than a minute left this billing period.
    OutOfMinutes,
}

/// Routes a call arriving at `now`: a draining server takes no new call; otherwise the
/// number's line takes it, unless its agent is switched off or closed at `now` (its
/// after-hours behavior takes it), its account has no minute left, or the server is full
/// or overloaded (the line's fallback takes it). A number not in service is said to be so
/// whatever the load.
pub fn route(intake: Intake, lookup: Lookup<'_>, now: Timestamp, minutes: MinutesLeft) -> Route<'_> {
    let line = match (intake, lookup) {
        (Intake::Draining, _) => return Route::Refuse(Refusal::Draining),
        (_, Lookup::NotFound) => return Route::Refuse(Refusal::NotInService),
        (_, Lookup::Held) => return Route::Refuse(Refusal::NoLongerInService),
        (_, Lookup::Failed) => return Route::Refuse(Refusal::Unavailable),
        (_, Lookup::Found(line)) => line,
    };
    let after_hours = line.hours.after_hours;
    match () {
        () if !line.agent.active => Route::TurnAway(line, TurnAway::Inactive(after_hours)),
        () if !line.hours.is_open(now) => Route::TurnAway(line, TurnAway::AfterHours(after_hours)),
        () if !minutes.has_a_minute() => Route::TurnAway(line, TurnAway::OutOfMinutes),
        () if intake == Intake::Full => Route::Refuse(Refusal::AtCapacity),
        () if let Intake::Overloaded(cause) = intake => Route::Refuse(Refusal::Overloaded(cause)),
        () => Route::Connect(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telephony::fixtures::{line, line_open};
    use jiff::civil::Weekday;

    const ANY: MinutesLeft = MinutesLeft::Unlimited;

    fn noon() -> Timestamp {
        "2026-06-03T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_known_number_is_connected_to_its_line() {
        let line = line();
        assert_eq!(
            route(Intake::Open, Lookup::Found(&line), noon(), ANY),
            Route::Connect(&line)
        );
    }

    #[test]
    fn an_unknown_number_is_not_in_service_and_a_failed_lookup_unavailable() {
        for intake in [Intake::Open, Intake::Full] {
            assert_eq!(
                route(intake, Lookup::NotFound, noon(), ANY),
                Route::Refuse(Refusal::NotInService)
            );
            assert_eq!(
                route(intake, Lookup::Failed, noon(), ANY),
                Route::Refuse(Refusal::Unavailable)
            );
        }
    }

    #[test]
    fn a_held_number_is_no_longer_in_service_whatever_the_load() {
        for intake in [Intake::Open, Intake::Full] {
            assert_eq!(
                route(intake, Lookup::Held, noon(), ANY),
                Route::Refuse(Refusal::NoLongerInService)
            );
        }
        assert_eq!(
            route(Intake::Draining, Lookup::Held, noon(), ANY),
            Route::Refuse(Refusal::Draining)
        );
    }

    #[test]
    fn a_draining_server_refuses_every_call() {
        let line = line();
        for lookup in [
            Lookup::Found(&line),
            Lookup::NotFound,
            Lookup::Held,
            Lookup::Failed,
        ] {
            assert_eq!(
                route(Intake::Draining, lookup, noon(), ANY),
                Route::Refuse(Refusal::Draining)
            );
        }
    }

    #[test]
    fn a_full_server_hands_a_known_lines_call_to_its_fallback() {
        let line = line();
        assert_eq!(
            route(Intake::Full, Lookup::Found(&line), noon(), ANY),
            Route::Refuse(Refusal::AtCapacity)
        );
    }

    #[test]
    fn an_overloaded_server_hands_a_known_lines_call_to_its_fallback_saying_why() {
        let line = line();
        for cause in [Overload::SchedulerLate, Overload::DatabaseSlow] {
            assert_eq!(
                route(Intake::Overloaded(cause), Lookup::Found(&line), noon(), ANY),
                Route::Refuse(Refusal::Overloaded(cause))
            );
            assert_eq!(
                route(Intake::Overloaded(cause), Lookup::NotFound, noon(), ANY),
                Route::Refuse(Refusal::NotInService),
                "a number not in service is said to be so whatever the load"
            );
        }
        let closed = line_open("Europe/Berlin", &[], AfterHours::Voicemail);
        assert_eq!(
            route(
                Intake::Overloaded(Overload::SchedulerLate),
                Lookup::Found(&closed),
                noon(),
                ANY
            ),
            Route::TurnAway(&closed, TurnAway::AfterHours(AfterHours::Voicemail)),
            "a closed line's after-hours behavior takes the call, as when the server is full"
        );
    }

    #[test]
    fn a_webhook_without_a_call_sid_or_a_called_number_is_no_call() {
        assert_eq!(InboundCall::from_fields(None, Some("+1"), Some("+2")), None);
        assert_eq!(InboundCall::from_fields(Some("CA1"), Some("+1"), Some("")), None);
        let call = InboundCall::from_fields(Some("CA1"), None, Some("+2")).unwrap();
        assert_eq!(call.from, "anonymous");
    }

    fn berlin_line(ranges: &[(Weekday, &str, &str)]) -> Line {
        line_open("Europe/Berlin", ranges, AfterHours::Voicemail)
    }

    fn at(utc: &str) -> Timestamp {
        utc.parse().unwrap()
    }

    /// Whether the line is connected at `utc` (with minutes and room to spare).
    fn connected(line: &Line, utc: &str) -> bool {
        match route(Intake::Open, Lookup::Found(line), at(utc), ANY) {
            Route::Connect(_) => true,
            Route::TurnAway(_, TurnAway::AfterHours(AfterHours::Voicemail)) => false,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_overnight_range_takes_calls_after_midnight_until_it_ends() {
        // Friday 22:00 to Saturday 02:00 in Berlin; 2026-06-06 is a Saturday (CEST, UTC+2).
        let line = berlin_line(&[(Weekday::Friday, "22:00", "02:00")]);
        assert!(!connected(&line, "2026-06-05T19:59:00Z"), "Fri 21:59");
        assert!(connected(&line, "2026-06-05T20:00:00Z"), "Fri 22:00");
        assert!(connected(&line, "2026-06-05T23:30:00Z"), "Sat 01:30");
        assert!(
            !connected(&line, "2026-06-06T00:00:00Z"),
            "Sat 02:00: the range's end"
        );
        assert!(!connected(&line, "2026-06-06T00:30:00Z"), "Sat 02:30");
        assert!(
            !connected(&line, "2026-06-06T23:30:00Z"),
            "Sun 01:30: not after Saturday"
        );
    }

    #[test]
    fn office_hours_follow_the_local_clock_when_it_springs_forward() {
        // New York: Sunday 2026-03-08, 02:00 EST becomes 03:00 EDT (07:00 UTC).
        let sundays = line_open(
            "America/New_York",
            &[(Weekday::Sunday, "09:00", "17:00")],
            AfterHours::Voicemail,
        );
        assert!(
            !connected(&sundays, "2026-03-01T13:30:00Z"),
            "a week before: 08:30 EST"
        );
        assert!(
            connected(&sundays, "2026-03-08T13:30:00Z"),
            "the same UTC time is 09:30 EDT"
        );
        assert!(connected(&sundays, "2026-03-08T20:59:00Z"), "16:59 EDT");
        assert!(!connected(&sundays, "2026-03-08T21:00:00Z"), "17:00 EDT");
        // The skipped hour is never reached: 01:00-02:30 closes at 03:00 EDT.
        let night = line_open(
            "America/New_York",
            &[(Weekday::Sunday, "01:00", "02:30")],
            AfterHours::Voicemail,
        );
        assert!(connected(&night, "2026-03-08T06:59:00Z"), "01:59 EST");
        assert!(!connected(&night, "2026-03-08T07:00:00Z"), "03:00 EDT");
        // Berlin: Sunday 2026-03-29, 02:00 CET becomes 03:00 CEST (01:00 UTC).
        let berlin = berlin_line(&[(Weekday::Sunday, "09:00", "17:00")]);
        assert!(!connected(&berlin, "2026-03-22T07:30:00Z"), "08:30 CET");
        assert!(connected(&berlin, "2026-03-29T07:30:00Z"), "09:30 CEST");
    }

    #[test]
    fn office_hours_follow_the_local_clock_when_it_falls_back() {
        // Berlin: Sunday 2026-10-25, 03:00 CEST becomes 02:00 CET (01:00 UTC): 02:00-02:30
        // happens twice, and is open both times.
        let twice = berlin_line(&[(Weekday::Sunday, "02:00", "02:30")]);
        assert!(connected(&twice, "2026-10-25T00:15:00Z"), "02:15 CEST");
        assert!(!connected(&twice, "2026-10-25T00:45:00Z"), "02:45 CEST");
        assert!(connected(&twice, "2026-10-25T01:15:00Z"), "02:15 CET");
        assert!(!connected(&twice, "2026-10-25T01:30:00Z"), "02:30 CET");
        // New York: Sunday 2026-11-01, 02:00 EDT becomes 01:00 EST (06:00 UTC).
        let sundays = line_open(
            "America/New_York",
            &[(Weekday::Sunday, "09:00", "17:00")],
            AfterHours::Voicemail,
        );
        assert!(
            connected(&sundays, "2026-10-25T13:30:00Z"),
            "a week before: 09:30 EDT"
        );
        assert!(
            !connected(&sundays, "2026-11-01T13:30:00Z"),
            "the same UTC time is 08:30 EST"
        );
        assert!(connected(&sundays, "2026-11-01T14:00:00Z"), "09:00 EST");
        assert!(connected(&sundays, "2026-11-01T21:59:00Z"), "16:59 EST");
    }

    #[test]
    fn outside_the_hours_the_agents_after_hours_behavior_takes_the_call() {
        for behavior in AfterHours::ALL {
            let line = line_open("UTC", &[(Weekday::Monday, "09:00", "17:00")], behavior);
            assert_eq!(
                route(
                    Intake::Open,
                    Lookup::Found(&line),
                    at("2026-06-01T18:00:00Z"),
                    ANY
                ),
                Route::TurnAway(&line, TurnAway::AfterHours(behavior))
            );
            // Closed comes before full and out of minutes: the caller hears the hours.
            assert_eq!(
                route(
                    Intake::Full,
                    Lookup::Found(&line),
                    at("2026-06-01T18:00:00Z"),
                    MinutesLeft::Left(0)
                ),
                Route::TurnAway(&line, TurnAway::AfterHours(behavior))
            );
        }
    }

    #[test]
    fn hours_never_set_or_disabled_are_open_at_any_time() {
        let always = line();
        assert!(!always.hours.enabled);
        for utc in ["2026-06-06T03:00:00Z", "2026-12-25T23:59:00Z"] {
            assert_eq!(
                route(Intake::Open, Lookup::Found(&always), at(utc), ANY),
                Route::Connect(&always)
            );
        }
        let mut disabled = berlin_line(&[(Weekday::Monday, "09:00", "10:00")]);
        disabled.hours.enabled = false;
        assert!(connected(&disabled, "2026-06-06T03:00:00Z"));
    }

    #[test]
    fn an_inactive_agent_takes_no_call_and_its_caller_gets_the_after_hours_behavior() {
        let mut line = line_open("UTC", &[], AfterHours::Message);
        line.hours.enabled = false;
        line.agent.active = false;
        assert_eq!(
            route(Intake::Open, Lookup::Found(&line), noon(), ANY),
            Route::TurnAway(&line, TurnAway::Inactive(AfterHours::Message))
        );
    }

    #[test]
    fn a_call_needs_a_whole_minute_left_in_the_pool() {
        assert_eq!(MinutesLeft::of(59, Some(60)), MinutesLeft::Left(1));
        assert_eq!(MinutesLeft::of(60, Some(60)), MinutesLeft::Left(0));
        assert_eq!(
            MinutesLeft::of(75, Some(60)),
            MinutesLeft::Left(0),
            "past its limit"
        );
        assert_eq!(MinutesLeft::of(1_000_000, None), MinutesLeft::Unlimited);
        let line = line();
        assert_eq!(
            route(Intake::Open, Lookup::Found(&line), noon(), MinutesLeft::Left(0)),
            Route::TurnAway(&line, TurnAway::OutOfMinutes)
        );
        assert_eq!(
            route(Intake::Open, Lookup::Found(&line), noon(), MinutesLeft::Left(1)),
            Route::Connect(&line)
        );
        assert_eq!(
            route(
                Intake::Draining,
                Lookup::Found(&line),
                noon(),
                MinutesLeft::Left(0)
            ),
            Route::Refuse(Refusal::Draining)
        );
    }
}
