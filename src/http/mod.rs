//! The HTTP face of switchboard: adapters only. Each handler extracts what the request says,
//! calls a service of the application layer (`telephony`, `tools`) and renders its answer as
//! TwiML, JSON or text. Each router takes the narrow state it needs from the app's state
//! (axum's `FromRef`); errors become responses in one place ([`error`]).
//!
//! | route | what |
//! |---|---|
//! | `POST /twilio/voice` | a call comes in: the routing decision, rendered as `<Connect><Stream>` or a refusal |
//! | `GET /twilio/stream` | Twilio's media stream (WebSocket), run by `telephony::Streams` |
//! | `POST /twilio/menu` | a caller's key or words after a number's menu (`<Gather>`): the menu again, the chosen agent, or a person |
//! | `POST /twilio/connect-action` | the stream ended: hang up or fall back |
//! | `POST /twilio/voicemail` | a fallback voicemail was recorded |
//! | `POST /twilio/call-status` | the number's status callback: the call's final length |
//! | `POST /twilio/sms` | a text to one of our numbers: STOP / START kept as the caller's opt-out (`messaging::inbound`) |
//! | `POST /twilio/sms-status` | a follow-up text's delivery status, never moving back (`messaging::delivery`) |
//! | `POST /webhooks/elevenlabs` | ElevenLabs' signed post-call webhooks, merged per conversation (`telephony::post_call`) |
//! | `POST /tools/{name}` | the booking tools, for ElevenLabs webhook (server) tools |
//! | `GET /feeds/hosts/{token}.ics` | a host's booking feed for calendar apps, the token its credential (`feed`) |
//! | `GET /healthz`, `/readyz`, `/metrics` | operations |

pub mod api;
pub mod elevenlabs_webhook;
pub mod error;
pub mod feed;
pub mod ops;
pub mod render;
pub mod signed;
pub mod stream;
pub mod tools;
pub mod twilio;
pub mod twilio_sms;

use axum::Router;
use axum::extract::FromRef;

pub use elevenlabs_webhook::ElevenLabsWebhookState;
pub use ops::OpsState;
pub use signed::TwilioAuth;
pub use stream::StreamState;
pub use tools::ToolsState;
pub use twilio::TwilioState;
pub use twilio_sms::SmsState;

/// Every route, for any app state each router's narrow state can be taken from.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    TwilioState: FromRef<S>,
    TwilioAuth: FromRef<S>,
    StreamState: FromRef<S>,
    ToolsState: FromRef<S>,
    OpsState: FromRef<S>,
    ElevenLabsWebhookState: FromRef<S>,
    SmsState: FromRef<S>,
{
    Router::new()
        .merge(twilio::routes())
        .merge(stream::routes())
        .merge(tools::routes())
        .merge(ops::routes())
        .merge(elevenlabs_webhook::routes())
        .merge(twilio_sms::routes())
}
