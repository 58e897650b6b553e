//! `switchboard sim …`: the stand-ins for Twilio (a caller) and ElevenLabs (an agent).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;

use crate::audio::AudioFormat;
use crate::audio::fixtures::FixtureDir;
use crate::audio::wav::Wav;
use crate::sim::agent::SimAgentConfig;
use crate::sim::caller::{CallerConfig, CallerEvent, Keys, NotAKey, TransferAnswer, place_call};
use crate::sim::failures::{BadFailureRule, FailurePlan, FailureRule};
use crate::sim::twilio::{CalleeScript, SimTwilio, SimTwilioConfig};

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve the ElevenLabs Conversational AI API (signed URL + WebSocket) with a simulated
    /// agent: `script` holds the demo booking conversation, `echo` returns the caller's audio.
    Agent {
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
        /// `script` or `echo`.
        #[arg(long, default_value = "script")]
        mode: String,
        /// The agent's input and output audio format: `ulaw_8000` or `pcm_<rate>`.
        #[arg(long, default_value = "ulaw_8000")]
        format: String,
        /// Overrides `--format` for the caller's audio (user_input_audio_format).
        #[arg(long)]
        input_format: Option<String>,
        /// Overrides `--format` for the agent's audio (agent_output_audio_format).
        #[arg(long)]
        output_format: Option<String>,
        /// Make the agent private: get-signed-url wants this xi-api-key.
        #[arg(long, env = "ELEVENLABS_API_KEY", hide_env_values = true)]
        api_key: Option<String>,
        /// Fixture directory (agent/*.wav).
        #[arg(long)]
        fixtures: Option<PathBuf>,
        /// Seconds between pings; 0 for none.
        #[arg(long, default_value_t = 10)]
        ping_interval: u64,
        /// Longest conversation in seconds; 0 for no limit.
        #[arg(long, default_value_t = 600)]
        max_duration: u64,
        /// Script mode: the caller asks for a person, and the agent calls `transfer_call`
        /// with this reason.
        #[arg(long)]
        transfer_reason: Option<String>,
        /// With `--transfer-reason`: only conversations with this ElevenLabs agent id ask for a
        /// person (repeatable; every agent when left out).
        #[arg(long = "transfer-agent", value_name = "AGENT_ID")]
        transfer_agents: Vec<String>,
        /// Fail matching requests instead of answering them (repeatable):
        /// `METHOD /path[=times[:status]]`, `*` for one path segment, e.g.
        /// `--fail 'POST /v1/convai/agents/create'` (once, 500) or
        /// `--fail 'DELETE /v1/convai/agents/*=2:503'`. More can be added at run time with
        /// `POST /sim/failures`.
        #[arg(long = "fail", value_name = "RULE")]
        fail: Vec<FailureRule>,
    },
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
        /// When the bridge transfers the call to a person: `answered`, `no-answer` or `busy`.
        #[arg(long, default_value = "answered")]
        transfer_answer: TransferAnswer,
        /// Keys to press: 0-9, * and #; w waits. The first keys answer the number's menu, one
        /// per menu (a w lets the menu time out, as a caller who says nothing); the rest are
        /// pressed during the call once the agent has been heard, a w waiting half a second.
        /// `--dtmf 2` picks choice 2 of the menu; `--dtmf 2ww5` picks it, then presses 5 a
        /// second into the call; `--dtmf w5` presses 5 when the second menu is said.
        #[arg(long, default_value = "", value_parser = parse_keys)]
        dtmf: Keys,
    },
    /// Serve Twilio's REST API (numbers, messages, calls) for one account: point
    /// TWILIO_API_BASE here.
    Twilio {
        #[arg(long, default_value = "127.0.0.1:8091")]
        listen: String,
        /// The account's SID (`AC` and 32 hex digits), the Basic auth user.
        #[arg(long, env = "TWILIO_ACCOUNT_SID")]
        account_sid: String,
        /// The account's auth token: the Basic auth password and the webhooks' signing key.
        #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
        auth_token: String,
        /// A number the account owns from the start, in E.164 (repeatable).
        #[arg(long = "number", value_name = "E164")]
        numbers: Vec<String>,
        /// A recipient who replied STOP: messages to it are refused with 21610 (repeatable).
        #[arg(long = "unsubscribed", value_name = "E164")]
        unsubscribed: Vec<String>,
        /// Fail matching requests: `METHOD /path[=times[:status]]`, `*` for one path segment,
        /// e.g. `POST /2010-04-01/Accounts/*/IncomingPhoneNumbers.json=2:503` (repeatable).
        #[arg(long = "fail", value_name = "RULE", value_parser = parse_rule)]
        failures: Vec<FailureRule>,
        /// What the callee of a call placed through the API says once its stream opens, in
        /// order (names in fixtures/caller); it speaks first, as a person answering.
        #[arg(long, value_delimiter = ',', default_value = "book,bye")]
        callee_say: Vec<String>,
        /// Fixture directory.
        #[arg(long)]
        fixtures: Option<PathBuf>,
        /// The callee hangs up after this many seconds on the stream.
        #[arg(long, default_value_t = 120)]
        callee_max_duration: u64,
    },
}

fn parse_rule(text: &str) -> Result<FailureRule, BadFailureRule> {
    text.parse()
}

fn parse_keys(text: &str) -> Result<Keys, NotAKey> {
    text.parse()
}

pub async fn run(command: SimCommand) -> anyhow::Result<()> {
    match command {
        SimCommand::Twilio {
            listen,
            account_sid,
            auth_token,
            numbers,
            unsubscribed,
            failures,
            callee_say,
            fixtures,
            callee_max_duration,
        } => {
            let fixtures = fixtures.map(FixtureDir::new).unwrap_or_else(FixtureDir::bundled);
            let mut callee = CalleeScript {
                max_duration: Duration::from_secs(callee_max_duration),
                ..CalleeScript::default()
            };
            for name in callee_say.iter().filter(|name| !name.is_empty()) {
                callee.clips.push(
                    fixtures
                        .caller(name)
                        .with_context(|| format!("callee clip {name:?}"))?,
                );
            }
            let config = SimTwilioConfig {
                numbers,
                unsubscribed,
                failures,
                callee,
                ..SimTwilioConfig::new(account_sid, auth_token)
            };
            let sim = SimTwilio::new(config)?;
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            tracing::info!(
                "simulated Twilio REST API for {} on http://{}; point TWILIO_API_BASE here",
                sim.account_sid(),
                listener.local_addr()?
            );
            crate::sim::twilio::serve(listener, sim).await?;
            Ok(())
        }
        SimCommand::Agent {
            listen,
            mode,
            format,
            input_format,
            output_format,
            api_key,
            fixtures,
            ping_interval,
            max_duration,
            transfer_reason,
            transfer_agents,
            fail,
        } => {
            let failures = FailurePlan::default();
            for rule in fail {
                failures.add(rule);
            }
            let parse = |f: &str| {
                f.parse::<AudioFormat>()
                    .with_context(|| format!("audio format {f:?}"))
            };
            let config = SimAgentConfig {
                mode: mode.parse()?,
                input_format: parse(input_format.as_deref().unwrap_or(&format))?,
                output_format: parse(output_format.as_deref().unwrap_or(&format))?,
                api_key: api_key.filter(|k| !k.is_empty()),
                fixtures: fixtures.map(FixtureDir::new).unwrap_or_else(FixtureDir::bundled),
                ping_interval: (ping_interval > 0).then(|| Duration::from_secs(ping_interval)),
                max_duration: (max_duration > 0).then(|| Duration::from_secs(max_duration)),
                transfer_reason: transfer_reason.filter(|reason| !reason.trim().is_empty()),
                transfer_agents,
                failures,
                ..SimAgentConfig::default()
            };
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            let local = listener.local_addr()?;
            tracing::info!(
                "simulated ElevenLabs agent ({}, {} in, {} out) on http://{local}; point ELEVENLABS_API_BASE here",
                config.mode,
                config.input_format,
                config.output_format
            );
            crate::sim::agent::serve(listener, config).await?;
            Ok(())
        }
        SimCommand::Caller {
            webhook,
            auth_token,
            to,
            from,
            say,
            fixtures,
            record,
            max_duration,
            transfer_answer,
            dtmf,
        } => {
            if let Some(path) = &record {
                // Fail now rather than after the call if the recording cannot be written.
                std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
            }
            let fixtures = fixtures.map(FixtureDir::new).unwrap_or_else(FixtureDir::bundled);
            let mut config = CallerConfig::new(webhook, auth_token, to);
            config.from = from;
            config.max_duration = Duration::from_secs(max_duration);
            config.record = record.is_some();
            config.transfer_answer = transfer_answer;
            config.dtmf = dtmf;
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
            let mut report = place_call(&config, Some(tx)).await?;
            let _ = printer.await;
            if let Some(path) = record {
                Wav::pcm16(8000, 2, std::mem::take(&mut report.recording)).write_file(&path)?;
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
            for (n, menu) in report.menu_answers.iter().enumerate() {
                println!("menu answer {}: {menu}", n + 1);
            }
            if report.digits_sent > 0 {
                println!("keys pressed during the call: {}", report.digits_sent);
            }
            if let Some(action) = &report.action {
                println!("connect action answered: {action}");
            }
            if let Some(transfer) = &report.transfer {
                println!("transferred to {} ({})", transfer.number, transfer.dial_status);
                for sentence in &transfer.whisper_said {
                    println!("whisper: {sentence}");
                }
                println!("dial action answered: {}", transfer.after_dial);
                if let Some(voicemail) = &transfer.voicemail {
                    println!("message left; the bridge answered: {voicemail}");
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Sim {
        #[command(subcommand)]
        command: SimCommand,
    }

    #[test]
    fn agent_takes_repeatable_fail_rules_and_refuses_bad_ones() {
        let sim = Sim::try_parse_from([
            "sim",
            "agent",
            "--fail",
            "POST /v1/convai/agents/create",
            "--fail",
            "DELETE /v1/convai/agents/*=2:503",
        ])
        .unwrap();
        let SimCommand::Agent { fail, .. } = sim.command else {
            panic!("parsed as another command");
        };
        assert_eq!(fail.len(), 2);
        let plan = FailurePlan::default();
        fail.into_iter().for_each(|rule| plan.add(rule));
        let delete = axum::http::Method::DELETE;
        assert_eq!(
            plan.take(&delete, "/v1/convai/agents/agent_1")
                .map(|s| s.as_u16()),
            Some(503)
        );

        let error = Sim::try_parse_from(["sim", "agent", "--fail", "POST v1/convai/tools"]).unwrap_err();
        assert!(error.to_string().contains("must start with `/`"), "{error}");
    }
}
