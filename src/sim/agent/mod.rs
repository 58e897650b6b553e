//! `switchboard sim agent`: a stand-in for the ElevenLabs Conversational AI server.
//!
//! It serves what a client of ElevenLabs uses, on the same paths and with the same messages
//! (the AsyncAPI spec in `elevenlabs/packages`, `agent.asyncapi.yaml`; the docs' pages on
//! authentication and client events; the Python SDK's `conversation.py`):
//! - `GET /v1/convai/conversation/get-signed-url?agent_id=` (and the deprecated
//!   `/get_signed_url`): with the configured `xi-api-key`, a single-use signed URL pointing
//!   back at this server, valid for 15 minutes;
//! - `GET /v1/convai/conversation?agent_id=[&conversation_signature=]`: the conversation
//!   WebSocket. It sends `conversation_initiation_metadata` first, pings, answers pongs,
//!   accepts every client message type, and refuses bad input with an `error` event and a
//!   1008 close, as ElevenLabs does.
//!
//! - the REST API for provisioning (`rest`): agents (`/v1/convai/agents…`) and workspace
//!   tools (`/v1/convai/tools…`), validated as ElevenLabs validates them, kept in memory.
//!
//! - post-call webhooks (`post_call`): as a conversation ends, its `post_call_transcription`
//!   event goes, signed, to the agent's workspace webhook; `GET /v1/convai/conversations/{id}`
//!   answers the same body, and `POST /sim/conversations/{id}/deliver-webhook {"count"}`
//!   sends it again.
//!
//! Any of these can be told to fail (`--fail RULE`, [`SimAgent::failures`], `POST
//! /sim/failures`; see `sim::failures`), answering ElevenLabs' `{"detail": …}` for the status.
//!
//! The bridge connects to it exactly as to ElevenLabs, and the official Python SDK can hold
//! a conversation with it (`tests/sdk/elevenlabs.rs`).
//!
//! # Modes
//!
//! - **echo** ([`SimMode::Echo`]): each `user_audio_chunk` goes straight back as one `audio`
//!   event, converted when the input and output formats differ, with increasing `event_id`s.
//!   Audio that cannot be in the declared input format, timed by its arrival (`format_check`),
//!   ends the conversation with a 1007 close and a warning, so a bridge that forgets to
//!   transcode fails. A contextual update reporting the `*` key answers with an
//!   `interruption` at once. Made
//!   for measuring the bridge's latency, so the path per chunk does no logging and allocates
//!   only the answer.
//! - **script** ([`SimMode::Script`]): Ava, the receptionist of Harbor Dental, books a
//!   cleaning. Caller turns are found by an energy-based voice activity detector running on
//!   the audio's own clock (so audio fed faster than real time works); the N-th turn is
//!   reported as the N-th line of the caller fixtures' script. The agent answers with the
//!   recorded fixtures, converted to the output format and sent faster than real time in
//!   chunks, calls the booking tools as client tools (`list_event_types`,
//!   `get_available_slots`, `create_booking`, `end_call`), stops when the caller talks over
//!   it, and reaches the end of the script even when no tool answers.

mod audio_clock;
mod config;
mod connection;
mod echo;
mod format_check;
mod outbox;
mod outgoing;
pub mod post_call;
mod profile;
pub mod rest;
mod script;
mod server;
mod signature;
mod vad;
mod voices;

use std::sync::Arc;

use crate::audio::FormatConverter;
use crate::shutdown::Shutdown;
use crate::sim::failures::{self, FailurePlan};
pub use audio_clock::AudioClock;
pub use config::{ScriptTiming, SimAgentConfig, SimMode, UnknownMode, VadConfig};
pub use format_check::FormatMismatch;
use post_call::PostCallDelivery;
pub use script::{AGENT_SENTENCES, CALLER_SCRIPT, VoiceError};

use connection::Shared;
pub use rest::Workspace;
use signature::Signatures;
use voices::Voices;

/// Why the simulated agent cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SimAgentError {
    #[error("cannot convert {input} audio to {output}: {source}")]
    Formats {
        input: crate::audio::AudioFormat,
        output: crate::audio::AudioFormat,
        #[source]
        source: crate::audio::AudioError,
    },
    #[error("cannot load the agent's voice from {dir}: {source}")]
    Voice {
        dir: std::path::PathBuf,
        #[source]
        source: VoiceError,
    },
}

/// A simulated ElevenLabs: its conversation server and REST API over one in-memory
/// workspace, which in-process tests and the demo can read.
#[derive(Clone)]
pub struct SimAgent {
    shared: Arc<Shared>,
    /// The post-call deliveries under way stop with it.
    shutdown: Shutdown,
}

impl SimAgent {
    /// Loads and converts the agent's clips up front in script mode, so a missing fixture
    /// fails here, not mid-call.
    pub fn new(config: SimAgentConfig) -> Result<SimAgent, SimAgentError> {
        let (input, output) = (config.input_format, config.output_format);
        // Every connection builds its converter from these; a rate that cannot be framed in
        // 20 ms (only possible for a hand-made `AudioFormat::Pcm`) is refused here, once.
        FormatConverter::new(input, output).map_err(|source| SimAgentError::Formats {
            input,
            output,
            source,
        })?;
        let voices = match config.mode {
            SimMode::Script => {
                let voices = Voices::load(&config.fixtures, config.output_format).map_err(|source| {
                    SimAgentError::Voice {
                        dir: config.fixtures.root().to_owned(),
                        source,
                    }
                })?;
                Some(voices)
            }
            SimMode::Echo => None,
        };
        let shutdown = Shutdown::new();
        let post_call = PostCallDelivery::new(
            config.failures.clone(),
            shutdown.clone(),
            config.webhook_retry_after,
        );
        let shared = Shared {
            signatures: Signatures::new(config.signed_url_ttl),
            voices,
            workspace: Workspace::default(),
            post_call,
            config,
        };
        Ok(SimAgent {
            shared: Arc::new(shared),
            shutdown,
        })
    }

    /// The agents and tools made over the REST API.
    pub fn workspace(&self) -> &Workspace {
        &self.shared.workspace
    }

    /// The group its background work (post-call webhook deliveries) runs in: stop it to end
    /// them, and wait for it to know they are done.
    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    /// The requests it is told to fail; rules added here apply at once.
    pub fn failures(&self) -> &FailurePlan {
        &self.shared.config.failures
    }

    /// Every route, ready to be served or nested in another router.
    pub fn router(&self) -> axum::Router {
        let rest = rest::router(rest::RestState {
            workspace: self.shared.workspace.clone(),
            api_key: self.shared.config.api_key.clone(),
        });
        let injector = failures::Injector::new(self.failures().clone(), rest::injected_failure);
        server::router(self.shared.clone())
            .merge(rest)
            .layer(axum::middleware::from_fn_with_state(injector, failures::layer))
            .merge(failures::control_router(self.failures().clone()))
    }

    /// Serves on `listener` until the task is dropped or the listener fails.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        let router = self.router();
        if let Ok(address) = listener.local_addr() {
            tracing::info!(%address, "sim agent listening");
        }
        // Echo mode is for latency measurement: Nagle's algorithm would hold small answers back.
        let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
            let _ = stream.set_nodelay(true);
        });
        axum::serve(listener, router).await
    }
}

/// The server's routes, ready to be served or nested in another router.
pub fn router(config: SimAgentConfig) -> Result<axum::Router, SimAgentError> {
    Ok(SimAgent::new(config)?.router())
}

/// Serves the simulated agent on `listener` until the task is dropped or the listener fails.
pub async fn serve(listener: tokio::net::TcpListener, config: SimAgentConfig) -> std::io::Result<()> {
    SimAgent::new(config)
        .map_err(std::io::Error::other)?
        .serve(listener)
        .await
}
