//! Inbound routing as a decision: from what is known about a call when Twilio asks, connect
//! it to its agent or refuse it, and say why. Pure: the [`Reception`](super::Reception) looks
//! things up, asks here, and acts on the answer. The rules that decide whether a line takes a
//! call at a given moment belong here.

use super::directory::Line;

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
    /// It is draining: no new calls.
    Draining,
}

/// What the lookup of the called number found.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    Found(&'a Line),
    /// No agent answers the number.
    NotFound,
    /// The lookup failed (the database is down).
    Failed,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    /// Connect the caller to this line's agent.
    Connect(&'a Line),
    Refuse(Refusal),
}

/// Why a call is not connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server is draining: no new calls.
    Draining,
    /// The server has as many calls as it may take; the line's fallback takes this one.
    AtCapacity,
    /// The number reaches no agent.
    NotInService,
    /// Our side failed before the call could be connected.
    Unavailable,
}

/// Routes a call: a draining server takes no new call; otherwise the number's line takes it,
/// unless the server is full, when the line's fallback does (a number not in service is said
/// to be so whatever the load).
pub fn route(intake: Intake, lookup: Lookup<'_>) -> Route<'_> {
    match (intake, lookup) {
        (Intake::Draining, _) => Route::Refuse(Refusal::Draining),
        (_, Lookup::NotFound) => Route::Refuse(Refusal::NotInService),
        (_, Lookup::Failed) => Route::Refuse(Refusal::Unavailable),
        (Intake::Full, Lookup::Found(_)) => Route::Refuse(Refusal::AtCapacity),
        (Intake::Open, Lookup::Found(line)) => Route::Connect(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telephony::fixtures::line;

    #[test]
    fn a_known_number_is_connected_to_its_line() {
        let line = line();
        assert_eq!(route(Intake::Open, Lookup::Found(&line)), Route::Connect(&line));
    }

    #[test]
    fn an_unknown_number_is_not_in_service_and_a_failed_lookup_unavailable() {
        for intake in [Intake::Open, Intake::Full] {
            assert_eq!(
                route(intake, Lookup::NotFound),
                Route::Refuse(Refusal::NotInService)
            );
            assert_eq!(route(intake, Lookup::Failed), Route::Refuse(Refusal::Unavailable));
        }
    }

    #[test]
    fn a_draining_server_refuses_every_call() {
        let line = line();
        for lookup in [Lookup::Found(&line), Lookup::NotFound, Lookup::Failed] {
            assert_eq!(route(Intake::Draining, lookup), Route::Refuse(Refusal::Draining));
        }
    }

    #[test]
    fn a_full_server_hands_a_known_lines_call_to_its_fallback() {
        let line = line();
        assert_eq!(
            route(Intake::Full, Lookup::Found(&line)),
            Route::Refuse(Refusal::AtCapacity)
        );
    }

    #[test]
    fn a_webhook_without_a_call_sid_or_a_called_number_is_no_call() {
        assert_eq!(InboundCall::from_fields(None, Some("+1"), Some("+2")), None);
        assert_eq!(InboundCall::from_fields(Some("CA1"), Some("+1"), Some("")), None);
        let call = InboundCall::from_fields(Some("CA1"), None, Some("+2")).unwrap();
        assert_eq!(call.from, "anonymous");
    }
}
