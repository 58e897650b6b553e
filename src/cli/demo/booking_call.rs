//! The demo's first call: a caller books a cleaning with Ava, the booking is read back from
//! the database, and the relay's latency inside the bridge is shown.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::live::{self, Seen};
use super::{CALLER_NUMBER, DEMO_NUMBER, Demo, SCRIPT};
use crate::audio::fixtures::FixtureDir;
use crate::audio::wav::Wav;
use crate::call::metrics::Direction;
use crate::sim::agent::SimMode;
use crate::sim::caller::{CallerConfig, place_call};

/// The booking call: the caller books a cleaning with Ava.
pub(super) async fn run(demo: &Demo, mode: SimMode, wav: &Path) -> anyhow::Result<()> {
    let app = &demo.server.app;
    println!("switchboard demo: three calls to Harbor Dental, entirely on this machine\n");
    println!(
        "  bridge      {}  (SQLite, demo business seeded)",
        app.config.public_url
    );
    println!(
        "  sim agent   {}  (ElevenLabs stand-in, {mode} mode)",
        demo.agent_url
    );
    println!("  caller      {CALLER_NUMBER} → {DEMO_NUMBER}\n");

    let began = Instant::now();
    let printer = live::print_call(app.live.subscribe(), began);

    let fixtures = FixtureDir::bundled();
    let mut caller = CallerConfig::new(
        format!("{}/twilio/voice", app.config.public_url),
        &demo.auth_token,
        DEMO_NUMBER,
    );
    caller.from = CALLER_NUMBER.into();
    caller.record = true;
    caller.max_duration = Duration::from_secs(150);
    for name in SCRIPT {
        caller.utterances.push(fixtures.caller(name)?);
    }
    let mut report = place_call(&caller, None).await?;
    let Seen {
        booking_reference: reference,
        ended,
    } = tokio::time::timeout(Duration::from_secs(5), printer)
        .await
        .context("the call did not end")??;

    Wav::pcm16(8000, 2, std::mem::take(&mut report.recording)).write_file(wav)?;
    println!();
    let booking = match &reference {
        Some(reference) => {
            demo.store
                .booking_by_reference(&demo.business.account_id, reference)
                .await?
        }
        None => None,
    };
    match &booking {
        Some(b) => {
            let event_type = demo
                .store
                .event_type(&demo.business.account_id, &b.event_type_id)
                .await?;
            let host = demo.store.host(&demo.business.account_id, &b.host_id).await?;
            let tz = jiff::tz::TimeZone::get(&b.timezone)?;
            let local = b.start_at.to_zoned(tz);
            println!("booking, read back from the database");
            println!("  reference   {}", b.reference);
            println!(
                "  what        {} ({} min) with {}",
                event_type.name, event_type.duration_min, host.name
            );
            println!(
                "  when        {} ({})  = {}",
                local.strftime("%A, %B %-d, %-I:%M %p"),
                b.timezone,
                b.start_at
            );
            println!(
                "  who         {}, {}",
                b.invitee_name,
                b.invitee_phone.as_deref().unwrap_or("-")
            );
            println!("  status      {:?}", b.status);
        }
        None => println!("no booking was made"),
    }
    if booking.is_some() {
        println!();
        match follow_up_text(demo).await {
            Some(text) => {
                println!("text to the caller, sent through Twilio's stand-in");
                println!("  from {}  to {}", text.from.as_deref().unwrap_or("-"), text.to);
                println!("  {}", text.body);
            }
            None => println!("no text reached the caller"),
        }
        println!();
        let emails = tokio::time::timeout(Duration::from_secs(30), demo.smtp.wait_for(1)).await;
        match emails.ok().and_then(|emails| emails.into_iter().next()) {
            Some(email) => {
                println!("confirmation email to the caller, received by the SMTP stand-in");
                for line in crate::sim::smtp::describe(&email) {
                    if line.is_empty() {
                        println!();
                    } else {
                        println!("  {line}");
                    }
                }
            }
            None => println!("no confirmation email arrived"),
        }
    }
    println!();
    println!("relay latency inside the bridge, per 20 ms frame");
    for (label, direction) in [
        ("caller → agent", Direction::CallerToAgent),
        ("agent → caller", Direction::AgentToCaller),
    ] {
        let h = app.metrics.calls.relay_latency(direction);
        let q = |p| {
            h.quantile(p)
                .map_or("-".to_string(), |d| format!("{} µs", d.as_micros()))
        };
        println!(
            "  {label}   p50 {:>8}   p99 {:>8}   ({} frames)",
            q(0.5),
            q(0.99),
            h.count()
        );
    }
    let connect = app
        .metrics
        .upstream_connect
        .quantile(0.5)
        .map_or(0, |d| d.as_millis());
    println!("  agent connection pre-warmed during the webhook ({connect} ms to connect)");
    if let Some(first) = report.first_audio_after {
        println!(
            "  first agent audio heard {} ms after the stream started",
            first.as_millis()
        );
    }
    println!();
    println!(
        "connect action answered: {}",
        report.action.as_deref().unwrap_or("(not requested)")
    );
    println!(
        "conversation written to {} (stereo, 8 kHz: caller left, agent right)",
        wav.display()
    );

    let agent_ended = ended.as_ref().is_some_and(|r| r.label() == "agent_ended");
    if booking.is_none() || !agent_ended || report.turns_spoken != SCRIPT.len() {
        bail!(
            "the demo call did not go as scripted (booking: {}, ended: {:?}, caller turns: {}/{})",
            booking.is_some(),
            ended.map(|r| r.label()),
            report.turns_spoken,
            SCRIPT.len()
        );
    }
    Ok(())
}

/// The follow-up text the caller got through the simulated Twilio, once the call's record was
/// written and the outbox's worker sent it (`None` after 30 s).
async fn follow_up_text(demo: &Demo) -> Option<crate::sim::twilio::Message> {
    let arrived = async {
        loop {
            let sent = demo
                .twilio
                .state()
                .messages
                .into_iter()
                .find(|m| m.to == CALLER_NUMBER);
            if let Some(text) = sent {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), arrived).await.ok()
}
