//! The REST side of the ElevenLabs stand-in: what a provisioning client calls to make agents
//! and their tools (`/v1/convai/agents…`, `/v1/convai/tools…`), the workspace webhooks
//! (`/v1/workspace/webhooks…`) and the hosted conversations (`/v1/convai/conversations…`),
//! with ElevenLabs' defaults,
//! validation (pydantic's 422 shapes) and errors, held in memory in a [`Workspace`] that the
//! conversations read their agent's configuration from.

mod conversation_config;
mod conversations;
mod ids;
mod merge;
mod platform_settings;
mod render;
mod routes;
mod tool_config;
mod validation;
mod webhook_routes;
mod webhooks;
mod workspace;

pub use conversation_config::{AgentSettings, ApiAudioFormat, ConversationConfig};
pub use conversations::{ConversationFilter, ConversationPage, ConversationRecord, ConversationStore};
pub use platform_settings::{OverrideFlags, Overrides, PlatformSettings};
pub use render::injected_failure;
pub use routes::{RestState, router};
pub use tool_config::{ClientTool, ToolConfig};
pub use webhooks::{WebhookRecord, WebhookRegistry};
pub use workspace::{AgentRecord, Page, PageRequest, Refusal, ToolRecord, Workspace};
