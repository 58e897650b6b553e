//! `switchboard sim …`: the stand-ins for Twilio (a caller) and ElevenLabs (an agent).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;

use crate::audio::fixtures::FixtureDir;
use crate::audio::wav::Wav;
use crate::sim::caller::{CallerConfig, CallerEvent, place_call};

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Play Twilio's part of one inbound call: signed webhook, media stream, a recorded script.
    Caller {
        /// The bridge's voice webhook URL.
        #[arg(long, default_value = "http://127.0.0.1:8080/twilio/voice")]
        webhook: String,
        /// The Twilio auth token the bridge checks signatures with.
        #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
        auth_token: String,
        /// The number called (the agent's number).
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "+15005550006")]
        from: String,
        /// Caller clips to say, in order (names in fixtures/caller).
        #[arg(long, value_delimiter = ',', default_value = "book,when,yes,name,bye")]
        say: Vec<String>,
        /// Fixture directory.
        #[arg(long)]
        fixtures: Option<PathBuf>,
        /// Write the call (caller left, heard right) to this stereo WAV.
        #[arg(long)]
        record: Option<PathBuf>,
        /// Hang up after this many seconds.
        #[arg(long, default_value_t = 120)]
        max_duration: u64,
    },
}

pub async fn run(command: SimCommand) -> anyhow::Result<()> {
    match command {
        SimCommand::Caller {
            webhook,
            auth_token,
            to,
            from,
            say,
            fixtures,
            record,
            max_duration,
        } => {
            let fixtures = fixtures.map(FixtureDir::new).unwrap_or_else(FixtureDir::bundled);
            let mut config = CallerConfig::new(webhook, auth_token, to);
            config.from = from;
            config.max_duration = Duration::from_secs(max_duration);
            config.record = record.is_some();
            for name in &say {
                config.utterances.push(
                    fixtures
                        .caller(name)
                        .with_context(|| format!("caller clip {name:?}"))?,
                );
            }
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let printer = tokio::spawn(async move {
                while let Some(event) = rx.recv().await {
                    match event {
                        CallerEvent::Answered { call_sid } => println!("answered: {call_sid}"),
                        CallerEvent::StreamOpen { stream_sid } => println!("media stream open: {stream_sid}"),
                        CallerEvent::Speaking { turn } => {
                            println!("caller speaks: {}", say.get(turn).map_or("?", |s| s))
                        }
                        CallerEvent::AgentAudio => println!("first agent audio"),
                        CallerEvent::Cleared => println!("barge-in: playback cleared"),
                        CallerEvent::Ended { by_bridge } => {
                            println!(
                                "call ended by {}",
                                if by_bridge { "the bridge" } else { "the caller" }
                            )
                        }
                    }
                }
            });
            let report = place_call(&config, Some(tx)).await?;
            let _ = printer.await;
            if let Some(path) = record {
                Wav::pcm16(8000, 2, report.recording.clone()).write_file(&path)?;
                println!("recording: {}", path.display());
            }
            println!(
                "turns spoken: {}, agent audio heard: {:.1} s, first audio after {:?}, marks echoed: {}, clears: {}",
                report.turns_spoken,
                report.heard.as_secs_f64(),
                report.first_audio_after,
                report.marks_echoed,
                report.clears
            );
            if let Some(action) = &report.action {
                println!("connect action answered: {action}");
            }
            Ok(())
        }
    }
}
