//! The HTTP face of switchboard: Twilio webhooks, the media-stream WebSocket, operations
//! endpoints. Handlers are small; the state they share is [`App`], passed explicitly.
//!
//! | route | what |
//! |---|---|
//! | `POST /twilio/voice` | a call comes in: answer with `<Connect><Stream>`, pre-warm the agent |
//! | `GET /twilio/stream` | Twilio's media stream (WebSocket) |
//! | `POST /twilio/connect-action` | the stream ended: hang up or fall back |
//! | `POST /twilio/voicemail` | a fallback voicemail was recorded |
//! | `GET /healthz`, `/readyz`, `/metrics` | operations |

pub mod call_log;
pub mod error;
pub mod ops;
pub mod signed;
pub mod stream;
pub mod stream_token;
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
    /// Builds the shared state from the configuration, an open store and the tools.
    pub fn new(config: Config, store: Store, tools: Arc<dyn ToolRegistry>) -> AppState {
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
                tools,
                metrics: metrics.clone(),
                observer: call_log.clone(),
            },
            call_log,
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
    Router::new()
        .route("/twilio/voice", post(twilio::voice))
        .route("/twilio/connect-action", post(twilio::connect_action))
        .route("/twilio/voicemail", post(twilio::voicemail))
        .route("/twilio/stream", get(stream::upgrade))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .with_state(state)
}
