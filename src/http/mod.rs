//! The HTTP face of switchboard: Twilio webhooks, the media-stream WebSocket, operations
//! endpoints. Handlers are small; the state they share is [`App`], passed explicitly.
//!
//! | route | what |
//! |---|---|
//! | `POST /twilio/voice` | a call comes in: answer with `<Connect><Stream>`, pre-warm the agent |
//! | `GET /twilio/stream` | Twilio's media stream (WebSocket) |
//! | `POST /twilio/connect-action` | the stream ended: hang up or fall back |
//! | `POST /twilio/voicemail` | a fallback voicemail was recorded |
//! | `POST /tools/{name}` | the booking tools, for ElevenLabs webhook (server) tools |
//! | `GET /healthz`, `/readyz`, `/metrics` | operations |

pub mod call_log;
pub mod error;
pub mod ops;
pub mod signed;
pub mod stream;
pub mod stream_token;
pub mod tools;
pub mod twilio;

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Router;
use axum::routing::{get, post};
use tokio::sync::broadcast;

use crate::call::driver::DriverDeps;
use crate::call::{SessionConfig, ToolRegistry};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::tools::Toolbox;
use crate::upstream::{ElevenLabsClient, Prewarm};
use crate::wire::signature::RequestValidator;

pub use call_log::{CallLog, CallRecord};
use stream_token::StreamTokens;

/// Everything the handlers share.
pub struct App {
    pub config: Config,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub validator: RequestValidator,
    pub elevenlabs: ElevenLabsClient,
    pub prewarm: Prewarm,
    pub tokens: StreamTokens,
    pub driver: DriverDeps,
    pub call_log: Arc<CallLog>,
    /// The booking tools, also served over HTTP for ElevenLabs webhook tools.
    pub toolbox: Toolbox,
    /// Set on SIGTERM: `/readyz` fails and new calls are turned away politely.
    pub draining: AtomicBool,
}

/// Cheap to clone; what axum hands every handler.
#[derive(Clone)]
pub struct AppState(Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl AppState {
    /// Builds the shared state from the configuration and an open store.
    pub fn new(config: Config, store: Store) -> AppState {
        let toolbox = Toolbox::new(store.clone());
        AppState::with_tools(config, store, toolbox.clone(), Arc::new(toolbox))
    }

    /// Like [`AppState::new`] with the tools given: `toolbox` serves `/tools/{name}`, `tools`
    /// answers the agent during calls (usually the same toolbox).
    pub fn with_tools(
        config: Config,
        store: Store,
        toolbox: Toolbox,
        tools: Arc<dyn ToolRegistry>,
    ) -> AppState {
        let metrics = Arc::new(Metrics::new());
        let (events, _) = broadcast::channel(1024);
        let call_log = Arc::new(CallLog::new(store.clone(), events));
        let session = SessionConfig {
            tool_timeout: config.call.tool_timeout(),
            max_duration: config.call.max_call(),
            ..SessionConfig::default()
        };
        AppState(Arc::new(App {
            validator: RequestValidator::new(config.twilio.auth_token.expose()),
            elevenlabs: ElevenLabsClient::new(
                &config.elevenlabs.api_base,
                config.elevenlabs.api_key.as_ref().map(|k| k.expose().to_owned()),
                config.call.upstream_timeout(),
            ),
            prewarm: Prewarm::new(),
            tokens: StreamTokens::new(config.twilio.auth_token.expose(), config.call.stream_token_ttl()),
            driver: DriverDeps {
                config: session,
                write_timeout: config.call.write_timeout(),
                tools,
                metrics: metrics.clone(),
                observer: call_log.clone(),
            },
            call_log,
            toolbox,
            metrics,
            store,
            config,
            draining: AtomicBool::new(false),
        }))
    }

    /// Live call events (transcripts, tool calls, ends), for the demo and other observers.
    pub fn subscribe(&self) -> broadcast::Receiver<CallRecord> {
        self.call_log.subscribe()
    }
}

/// The router with every route.
pub fn router(state: AppState) -> Router {
    let secret = state.config.tool_secret.as_ref().map(|s| s.expose().to_owned());
    let tools = tools::router(tools::ToolsState::new(state.toolbox.clone(), secret.as_deref()));
    Router::new()
        .route("/twilio/voice", post(twilio::voice))
        .route("/twilio/connect-action", post(twilio::connect_action))
        .route("/twilio/voicemail", post(twilio::voicemail))
        .route("/twilio/stream", get(stream::upgrade))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .with_state(state)
        .merge(tools)
}
