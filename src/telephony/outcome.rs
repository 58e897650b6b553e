//! What a call came to ([`CallOutcome`]), decided from its tool calls and how its stream ended:
//! a pure rule, no IO, so every case is a unit test.
//!
//! The booking a call made is named by the tool call that made it: `create_booking` (and a
//! move by `update_booking`) stores its booking with the tool call's id as the idempotency key,
//! so the writer finds it with `Store::booking_by_idempotency_key`, never by reading the
//! agent's sentence. A cancellation makes no new booking; its reference is the `booking_id`
//! argument the agent sent.

use serde_json::Value;

use crate::call::tools::TRANSFER_CALL;
use crate::store::CallOutcome;

/// A tool that made a booking.
const CREATE_BOOKING: &str = "create_booking";
/// A tool that moved or cancelled a booking.
const UPDATE_BOOKING: &str = "update_booking";
/// Tools that only tell the caller something.
const INFORMING: [&str; 3] = ["get_available_slots", "get_booking_details", "list_event_types"];

/// One tool call of the call as the outcome needs it.
#[derive(Debug, Clone, Copy)]
pub struct ToolUse<'a> {
    /// ElevenLabs' `tool_call_id`.
    pub id: &'a str,
    pub name: &'a str,
    /// The arguments the agent sent.
    pub arguments: &'a Value,
    /// The tool refused or failed, or the agent was told it timed out.
    pub failed: bool,
}

/// How the stream ended, as the outcome needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The caller or the agent hung up, or the time limit came.
    Normal,
    /// The agent handed the caller to a person.
    Transferred,
    /// The agent could not be reached, or its socket or the server broke the call.
    Broken,
}

impl Ending {
    /// The ending of a call whose stream ended with this `EndReason` label.
    pub fn from_end_reason(label: &str) -> Ending {
        match label {
            "transferred" => Ending::Transferred,
            "upstream_failed" | "server" | "no_start" => Ending::Broken,
            _ => Ending::Normal,
        }
    }
}

/// Which booking the call made or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingKey {
    /// The tool call whose id is the booking's idempotency key (a booking made or moved).
    pub made_by_tool_call: Option<String>,
    /// The reference the agent named (a booking moved or cancelled).
    pub reference: Option<String>,
}

/// The outcome and the booking it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub outcome: CallOutcome,
    pub booking: Option<BookingKey>,
}

/// What a call came to. The strongest thing that happened wins: a booking made, then one
/// changed (the last of each), then a transfer, then information given; a call that did none
/// of these is `failed` when the agent never answered or the call broke, else `no_action`.
/// A voicemail is written later by the voicemail's own callback.
pub fn decide(tools: &[ToolUse<'_>], agent_connected: bool, ending: Ending) -> Decision {
    let succeeded = || tools.iter().filter(|tool| !tool.failed);
    if let Some(created) = succeeded().rfind(|tool| tool.name == CREATE_BOOKING) {
        return Decision {
            outcome: CallOutcome::BookingCreated,
            booking: Some(BookingKey {
                made_by_tool_call: Some(created.id.to_owned()),
                reference: None,
            }),
        };
    }
    if let Some(changed) = succeeded().rfind(|tool| tool.name == UPDATE_BOOKING) {
        let cancelled = is_cancellation(changed.arguments);
        let reference = changed
            .arguments
            .get("booking_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        return Decision {
            outcome: CallOutcome::BookingChanged,
            booking: Some(BookingKey {
                made_by_tool_call: (!cancelled).then(|| changed.id.to_owned()),
                reference,
            }),
        };
    }
    let transferred = ending == Ending::Transferred || succeeded().any(|tool| tool.name == TRANSFER_CALL);
    let outcome = if transferred {
        CallOutcome::Transferred
    } else if succeeded().any(|tool| INFORMING.contains(&tool.name)) {
        CallOutcome::InfoProvided
    } else if !agent_connected || ending == Ending::Broken {
        CallOutcome::Failed
    } else {
        CallOutcome::NoAction
    };
    Decision {
        outcome,
        booking: None,
    }
}

/// Whether `update_booking`'s arguments cancel the booking (`cancel: true`, or "true"/"yes"
/// as text, which the tool takes too).
pub fn is_cancellation(arguments: &Value) -> bool {
    match arguments.get("cancel") {
        Some(Value::Bool(cancel)) => *cancel,
        Some(Value::String(word)) => word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("yes"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tool<'a>(id: &'a str, name: &'a str, arguments: &'a Value, failed: bool) -> ToolUse<'a> {
        ToolUse {
            id,
            name,
            arguments,
            failed,
        }
    }

    #[test]
    fn a_booking_made_is_booking_created_with_the_tool_call_that_made_it() {
        let none = json!({});
        let tools = [
            tool("t1", "get_available_slots", &none, false),
            tool("t2", "create_booking", &none, true),
            tool("t3", "create_booking", &none, false),
        ];
        let decision = decide(&tools, true, Ending::Normal);
        assert_eq!(decision.outcome, CallOutcome::BookingCreated);
        assert_eq!(
            decision.booking,
            Some(BookingKey {
                made_by_tool_call: Some("t3".into()),
                reference: None
            })
        );
    }

    #[test]
    fn a_refused_booking_is_not_a_booking() {
        let none = json!({});
        let tools = [tool("t1", "create_booking", &none, true)];
        let decision = decide(&tools, true, Ending::Normal);
        assert_eq!(decision.outcome, CallOutcome::NoAction);
        assert_eq!(decision.booking, None);
    }

    #[test]
    fn a_move_is_booking_changed_with_the_new_booking_and_the_old_reference() {
        let moved = json!({"booking_id": "K7M4PX", "start_time": "2026-03-03T14:00"});
        let decision = decide(
            &[tool("t1", "update_booking", &moved, false)],
            true,
            Ending::Normal,
        );
        assert_eq!(decision.outcome, CallOutcome::BookingChanged);
        assert_eq!(
            decision.booking,
            Some(BookingKey {
                made_by_tool_call: Some("t1".into()),
                reference: Some("K7M4PX".into())
            })
        );
    }

    #[test]
    fn a_cancellation_is_booking_changed_by_its_reference_alone() {
        for cancel in [json!(true), json!("yes")] {
            let cancelled = json!({"booking_id": "K7M4PX", "cancel": cancel});
            let decision = decide(
                &[tool("t1", "update_booking", &cancelled, false)],
                true,
                Ending::Normal,
            );
            assert_eq!(decision.outcome, CallOutcome::BookingChanged);
            assert_eq!(
                decision.booking,
                Some(BookingKey {
                    made_by_tool_call: None,
                    reference: Some("K7M4PX".into())
                })
            );
        }
    }

    #[test]
    fn asking_for_times_or_a_booking_is_info_provided() {
        let none = json!({});
        for name in INFORMING {
            let decision = decide(&[tool("t1", name, &none, false)], true, Ending::Normal);
            assert_eq!(decision.outcome, CallOutcome::InfoProvided, "{name}");
        }
        let failed = decide(
            &[tool("t1", "get_available_slots", &none, true)],
            true,
            Ending::Normal,
        );
        assert_eq!(failed.outcome, CallOutcome::NoAction);
    }

    #[test]
    fn a_transfer_is_transferred_whether_by_its_tool_or_by_the_ending() {
        let none = json!({});
        let by_tool = decide(
            &[
                tool("t1", "get_available_slots", &none, false),
                tool("t2", TRANSFER_CALL, &none, false),
            ],
            true,
            Ending::Normal,
        );
        assert_eq!(by_tool.outcome, CallOutcome::Transferred);
        assert_eq!(
            decide(&[], true, Ending::Transferred).outcome,
            CallOutcome::Transferred
        );
    }

    #[test]
    fn an_unreachable_agent_or_a_broken_call_is_failed_unless_something_useful_came_first() {
        assert_eq!(decide(&[], false, Ending::Normal).outcome, CallOutcome::Failed);
        assert_eq!(decide(&[], true, Ending::Broken).outcome, CallOutcome::Failed);
        let none = json!({});
        let useful = decide(
            &[tool("t1", "get_available_slots", &none, false)],
            true,
            Ending::Broken,
        );
        assert_eq!(useful.outcome, CallOutcome::InfoProvided);
    }

    #[test]
    fn a_call_that_did_nothing_is_no_action() {
        let none = json!({});
        let decision = decide(
            &[tool("t1", "upsert_contact", &none, false)],
            true,
            Ending::Normal,
        );
        assert_eq!(decision.outcome, CallOutcome::NoAction);
        assert_eq!(decide(&[], true, Ending::Normal).outcome, CallOutcome::NoAction);
    }

    #[test]
    fn end_reasons_map_to_endings() {
        assert_eq!(Ending::from_end_reason("transferred"), Ending::Transferred);
        assert_eq!(Ending::from_end_reason("upstream_failed"), Ending::Broken);
        assert_eq!(Ending::from_end_reason("caller_hung_up"), Ending::Normal);
        assert_eq!(Ending::from_end_reason("agent_ended"), Ending::Normal);
    }
}
