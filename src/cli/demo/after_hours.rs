//! The demo's second call: Ava's active hours are set so that she is closed now, and a caller
//! reaches her voicemail: the greeting, the message left (as Twilio posts a `<Record>`), and
//! the call's record read back with the message kept on it.

use anyhow::bail;
use jiff::Timestamp;
use jiff::civil::Weekday;

use super::{CALLER_NUMBER, DEMO_NUMBER, DEMO_TIMEZONE, Demo};
use crate::sim::caller::{CallerConfig, place_call, transfer::says};
use crate::store::{AfterHoursMode, AgentHours, MinuteRange, WeeklyRange};

/// Ava's hours: open one weekday only, two days from today, so that now is after hours
/// whenever the demo runs.
fn closed_today(now: Timestamp) -> anyhow::Result<AgentHours> {
    let today = now.in_tz(DEMO_TIMEZONE)?.weekday();
    let open_on: Weekday = today.wrapping_add(2);
    Ok(AgentHours {
        enabled: true,
        after_hours: AfterHoursMode::Voicemail,
        after_hours_message: None,
        redirect_number: None,
        schedule: vec![WeeklyRange {
            weekday: open_on,
            range: MinuteRange {
                start_minute: 9 * 60,
                end_minute: 17 * 60,
            },
        }],
        updated_at: now,
    })
}

pub(super) async fn run(demo: &Demo) -> anyhow::Result<()> {
    let app = &demo.server.app;
    let business = &demo.business;
    let hours = closed_today(Timestamp::now())?;
    let open_on = hours.schedule[0].weekday;
    demo.store
        .set_agent_hours(&business.account_id, &business.agent_id, hours, None)
        .await?;
    println!("\n── call 2: after hours ──────────────────────────────────────────────");
    println!("Ava's active hours are now {open_on:?}s 09:00–17:00 ({DEMO_TIMEZONE}), voicemail otherwise\n");

    let mut caller = CallerConfig::new(
        format!("{}/twilio/voice", app.config.public_url),
        &demo.auth_token,
        DEMO_NUMBER,
    );
    caller.from = CALLER_NUMBER.into();
    // The message is kept where the bridge's Twilio keeps recordings: the simulated one.
    caller.recording_host = demo.twilio_host();
    let report = place_call(&caller, None).await?;
    for sentence in says(&report.answer)? {
        println!("  switchboard says › {sentence}");
    }
    if report.voicemail.is_some() {
        println!("  caller leaves a message after the beep");
    }
    let record = demo.store.call_by_sid(&report.call_sid).await?;
    let (end_reason, voicemail) = match &record {
        Some(call) => (call.end_reason.clone(), call.voicemail_url.clone()),
        None => (None, None),
    };
    println!(
        "  the call's record: ended {}, voicemail {}",
        end_reason.as_deref().unwrap_or("-"),
        voicemail.as_deref().unwrap_or("-")
    );
    if !report.stream_sid.is_empty() || voicemail.is_none() {
        bail!(
            "the call after hours did not reach the voicemail (stream opened: {}, message kept: {})",
            !report.stream_sid.is_empty(),
            voicemail.is_some()
        );
    }
    Ok(())
}
