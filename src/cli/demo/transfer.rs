//! The demo's third call: the caller asks the front desk's agent for a person; the agent calls
//! `transfer_call`, the stream ends, and the caller is dialled through to the office manager,
//! who first hears a whisper of who is calling and why.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::live::{self, Seen};
use super::{CALLER_NUMBER, Demo, FRONT_DESK_NUMBER};
use crate::audio::fixtures::FixtureDir;
use crate::sim::caller::{CallerConfig, TransferAnswer, place_call};

pub(super) async fn run(demo: &Demo) -> anyhow::Result<()> {
    let app = &demo.server.app;
    println!("\n── call 3: a transfer to a person ───────────────────────────────────");
    println!("  caller      {CALLER_NUMBER} → {FRONT_DESK_NUMBER} (the front desk)\n");
    let began = Instant::now();
    let printer = live::print_call(app.live.subscribe(), began);
    let mut caller = CallerConfig::new(
        format!("{}/twilio/voice", app.config.public_url),
        &demo.auth_token,
        FRONT_DESK_NUMBER,
    );
    caller.from = CALLER_NUMBER.into();
    caller.utterances.push(FixtureDir::bundled().caller("book")?);
    // The agent answers, says it is transferring, and the bridge ends the stream.
    caller.linger = Duration::from_secs(20);
    caller.max_duration = Duration::from_secs(60);
    caller.transfer_answer = TransferAnswer::Answered;
    let report = place_call(&caller, None).await?;
    let Seen { ended, .. } = tokio::time::timeout(Duration::from_secs(5), printer)
        .await
        .context("the call did not end")??;
    let Some(transfer) = &report.transfer else {
        bail!(
            "the front desk did not hand the call to a person (ended: {:?})",
            ended.map(|r| r.label())
        );
    };
    println!();
    println!(
        "  connect action: <Dial> {} (caller id {})",
        transfer.number,
        transfer.caller_id.as_deref().unwrap_or("-")
    );
    for sentence in &transfer.whisper_said {
        println!("  whisper to the person › {sentence}");
    }
    println!("  the person answered: DialCallStatus {}", transfer.dial_status);
    let record = demo.store.call_by_sid(&report.call_sid).await?;
    let end_reason = record.and_then(|call| call.end_reason);
    println!(
        "  the call's record: ended {}",
        end_reason.as_deref().unwrap_or("-")
    );
    if end_reason.as_deref() != Some("transferred") || transfer.whisper_said.is_empty() {
        bail!(
            "the transfer did not go as scripted (ended: {end_reason:?}, whisper: {:?})",
            transfer.whisper_said
        );
    }
    Ok(())
}
