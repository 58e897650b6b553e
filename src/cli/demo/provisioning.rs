//! The demo's fourth act: a new agent made through the REST API, as a business would make one.
//! switchboard creates its ElevenLabs agent (μ-law both ways, the booking tools attached) at
//! the simulated ElevenLabs, buys it a number at the simulated Twilio pointed at its own voice
//! webhook, and a caller rings that number the way Twilio would, reaching the new agent.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::live::{self, Seen};
use super::{CALLER_NUMBER, Demo};
use crate::audio::fixtures::FixtureDir;
use crate::sim::twilio::InboundRing;

const NEW_AGENT_GREETING: &str = "Harbor Dental's evening line, this is Max. How can I help?";
/// Where the number is bought (San Francisco).
const AREA_CODE: &str = "415";

pub(super) async fn run(demo: &Demo) -> anyhow::Result<()> {
    let app = &demo.server.app;
    println!("\n── 4: a new agent, provisioned through the API ──────────────────────");
    let api = ApiClient {
        http: reqwest::Client::new(),
        base: format!("{}/api/v1", app.config.public_url),
        key: demo.api_key.clone(),
    };

    let began = Instant::now();
    let agent = api
        .post(
            "/agents",
            json!({
                "name": "Max",
                "greeting": NEW_AGENT_GREETING,
                "business_context": "Harbor Dental, a dental practice in Boston: cleanings, consultations, emergencies.",
                "timezone": "America/New_York",
            }),
        )
        .await
        .context("creating the agent")?;
    let created_in = began.elapsed();
    let agent_id = text(&agent, "id")?;
    let elevenlabs_id = text(&agent, "elevenlabs_agent_id")?;
    println!(
        "  POST /api/v1/agents      {agent_id} in {} ms",
        created_in.as_millis()
    );
    let at_elevenlabs = demo
        .agent
        .workspace()
        .agent(&elevenlabs_id)
        .with_context(|| format!("the simulated ElevenLabs has no agent {elevenlabs_id}"))?;
    let config = &at_elevenlabs.conversation_config;
    let tools: Vec<String> = config
        .agent
        .prompt
        .tool_ids
        .iter()
        .filter_map(|id| demo.agent.workspace().tool(id))
        .map(|tool| tool.tool_config.name().to_owned())
        .collect();
    let formats = (
        serde_json::to_value(config.asr.user_input_audio_format)?,
        serde_json::to_value(config.tts.agent_output_audio_format)?,
    );
    println!(
        "  ElevenLabs agent         {elevenlabs_id} ({} in, {} out)",
        formats.0, formats.1
    );
    println!("    tools                  {}", tools.join(", "));
    if formats != (json!("ulaw_8000"), json!("ulaw_8000")) || !tools.iter().any(|t| t == "create_booking") {
        bail!("the ElevenLabs agent is not set up for the bridge: formats {formats:?}, tools {tools:?}");
    }

    let began = Instant::now();
    let phone = api
        .post(
            &format!("/agents/{agent_id}/phone"),
            json!({"buy": {"country": "US", "area_code": AREA_CODE}}),
        )
        .await
        .context("buying the agent a number")?;
    let number = text(&phone, "phone_number")?;
    println!(
        "  POST …/phone (buy)       {number} in {} ms",
        began.elapsed().as_millis()
    );
    let voice_url = demo
        .twilio
        .state()
        .owns(&number)
        .map(|n| n.voice_url.clone())
        .with_context(|| format!("the simulated Twilio does not hold {number}"))?;
    println!("    its voice URL          {voice_url}\n");

    let began = Instant::now();
    let printer = live::print_call(app.live.subscribe(), began);
    let mut ring = InboundRing::new(&number, CALLER_NUMBER);
    ring.caller.utterances.push(FixtureDir::bundled().caller("bye")?);
    ring.caller.linger = Duration::from_secs(5);
    ring.caller.max_duration = Duration::from_secs(30);
    let report = demo.twilio.ring(ring).await.context("ringing the new number")?;
    let Seen { ended, .. } = tokio::time::timeout(Duration::from_secs(10), printer)
        .await
        .context("the call did not end")??;
    let record = demo
        .store
        .call_by_sid(&report.call_sid)
        .await?
        .context("the call left no record")?;
    println!(
        "\n  the call's record: agent {}, ended {}",
        record.agent_id,
        ended.map_or("-", |reason| reason.label())
    );
    if record.agent_id.as_str() != agent_id || report.heard.is_zero() {
        bail!("the call to {number} did not reach the new agent");
    }
    Ok(())
}

fn text(body: &Value, field: &str) -> anyhow::Result<String> {
    body[field]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("the answer has no {field}: {body}"))
}

/// The REST API as a business's script would call it.
struct ApiClient {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl ApiClient {
    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let answer = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await?;
        let status = answer.status();
        let body: Value = answer.json().await?;
        if !status.is_success() {
            bail!(
                "{status}: {}",
                body["error"]["message"].as_str().unwrap_or("no message")
            );
        }
        Ok(body)
    }
}
