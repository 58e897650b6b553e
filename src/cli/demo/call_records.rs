//! `demo --serve` prints each call's record once it is written: its outcome, the booking, the
//! CRM line and the transcript with its tool calls, so calls placed by hand can be followed.
//! An after-call listener of the recorder (`telephony::AfterCall`).

use std::fmt::Write;

use crate::store::CallTurn;
use crate::telephony::{AfterCall, RecordedCall};

/// Prints every recorded call to standard output.
pub struct PrintRecords;

impl AfterCall for PrintRecords {
    fn call_recorded(&self, call: &RecordedCall) {
        println!("{}", render(call));
    }
}

/// A call's record as the demo prints it.
pub fn render(recorded: &RecordedCall) -> String {
    let call = &recorded.call;
    let mut text = String::new();
    let outcome = call.outcome.map_or("-", |outcome| outcome.as_str());
    let _ = writeln!(
        text,
        "call {} from {} ended ({}): {outcome}",
        call.call_sid,
        call.from_number,
        call.end_reason.as_deref().unwrap_or("-")
    );
    if let Some(booking) = &recorded.booking {
        let _ = writeln!(text, "  booking     {} ({})", booking.reference, booking.id);
    }
    let _ = writeln!(text, "  summary     {}", recorded.summary);
    for turn in &recorded.transcript {
        let seconds = turn.at_ms() as f64 / 1000.0;
        let _ = match turn {
            CallTurn::Said { role, text: said, .. } => {
                writeln!(text, "  [{seconds:6.2}s] {:<6} › {said}", role.as_str())
            }
            CallTurn::Tool { call, .. } => {
                let state = match (call.timed_out, call.is_error) {
                    (true, _) => "timed out",
                    (false, true) => "refused",
                    (false, false) => "ok",
                };
                writeln!(
                    text,
                    "  [{seconds:6.2}s] tool   › {} {} → {state} in {} ms",
                    call.name, call.arguments, call.elapsed_ms
                )
            }
        };
    }
    text
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use serde_json::json;

    use super::*;
    use crate::store::{CallDirection, CallOutcome, CallRecord, ToolTurn, TurnRole};

    #[test]
    fn a_record_prints_its_outcome_summary_and_turns_in_order() {
        let recorded = RecordedCall {
            call: CallRecord {
                id: "call_1".into(),
                account_id: "acct_1".into(),
                agent_id: "agent_1".into(),
                call_sid: "CA1".into(),
                direction: CallDirection::Inbound,
                from_number: "+15005550006".into(),
                to_number: "+15550100200".into(),
                started_at: Timestamp::UNIX_EPOCH,
                ended_at: None,
                end_reason: Some("caller_hung_up".into()),
                duration: None,
                conversation_id: None,
                progress_at: None,
                progress: None,
                carrier_duration: None,
                voicemail_url: None,
                record_consent: None,
                outcome: Some(CallOutcome::InfoProvided),
                booking_id: None,
            },
            transcript: vec![
                CallTurn::Said {
                    role: TurnRole::Caller,
                    text: "Anything free?".into(),
                    at_ms: 1500,
                },
                CallTurn::Tool {
                    call: ToolTurn {
                        tool_call_id: "t1".into(),
                        name: "get_available_slots".into(),
                        arguments: json!({"date": "2026-03-03"}),
                        result: "{}".into(),
                        is_error: false,
                        timed_out: false,
                        elapsed_ms: 12,
                    },
                    at_ms: 2000,
                },
            ],
            summary: "Asked for open times".into(),
            booking: None,
        };
        let printed = render(&recorded);
        let lines: Vec<&str> = printed.lines().collect();
        assert_eq!(
            lines[0],
            "call CA1 from +15005550006 ended (caller_hung_up): info_provided"
        );
        assert_eq!(lines[1], "  summary     Asked for open times");
        assert_eq!(lines[2], "  [  1.50s] caller › Anything free?");
        assert_eq!(
            lines[3],
            "  [  2.00s] tool   › get_available_slots {\"date\":\"2026-03-03\"} → ok in 12 ms"
        );
    }
}
