//! The demo's running commentary: a call's events as they happen (the agent's and the
//! caller's words, tool calls and their results, the end), printed with the time since the
//! demo's call began.

use std::time::Instant;

use tokio::sync::broadcast::Receiver;
use tokio::task::JoinHandle;

use crate::call::{EndReason, Event};
use crate::telephony::LiveEvent;

/// What the commentary saw of one call.
#[derive(Debug, Default)]
pub struct Seen {
    /// The reference of the booking `create_booking` made, if it did.
    pub booking_reference: Option<String>,
    pub ended: Option<EndReason>,
}

/// Prints the next call's events from `events` until it ends.
pub fn print_call(mut events: Receiver<LiveEvent>, began: Instant) -> JoinHandle<Seen> {
    tokio::spawn(async move {
        let mut seen = Seen::default();
        while let Ok(record) = events.recv().await {
            let at = record.at.saturating_duration_since(began).as_secs_f64();
            match record.event {
                Event::Started(started) => println!("[{at:6.2}s] stream started    {}", started.call_sid),
                Event::ConversationStarted {
                    conversation_id,
                    input,
                    output,
                } => {
                    println!("[{at:6.2}s] agent connected   {conversation_id} ({input} in, {output} out)")
                }
                Event::AgentSaid(text) => println!("[{at:6.2}s] agent  › {text}"),
                Event::CallerSaid(text) => println!("[{at:6.2}s] caller › {text}"),
                Event::Interrupted { .. } => println!("[{at:6.2}s] barge-in: playback cleared"),
                Event::ToolCall(call) => println!("[{at:6.2}s] tool   › {} {}", call.name, call.parameters),
                Event::ToolFinished {
                    name,
                    result,
                    is_error,
                    elapsed,
                    ..
                } => {
                    let shown: String = result.chars().take(160).collect();
                    let more = if result.chars().count() > 160 { "…" } else { "" };
                    let verdict = if is_error { "error" } else { "ok" };
                    println!(
                        "[{at:6.2}s] tool   ‹ {name} {verdict} in {} ms: {shown}{more}",
                        elapsed.as_millis()
                    );
                    if name == "create_booking" && !is_error {
                        seen.booking_reference = serde_json::from_str::<serde_json::Value>(&result)
                            .ok()
                            .and_then(|v| v["booking_id"].as_str().map(str::to_owned));
                    }
                }
                Event::Ended { reason, duration, .. } => {
                    println!(
                        "[{at:6.2}s] call ended: {} after {:.1} s",
                        reason.label(),
                        duration.as_secs_f64()
                    );
                    seen.ended = Some(reason);
                    break;
                }
                _ => {}
            }
        }
        seen
    })
}
