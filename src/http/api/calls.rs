//! `/calls`: an account's call log with filters, and one call with its timeline (answered, the
//! stream and the agent connecting, each tool call's outcome, the voicemail, the end with its
//! reason and length, Twilio's own length), its outcome, transcript, tool calls and cost.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiQuery, ApiResult, ApiState, ListQuery, Listed, rfc3339};
use crate::manage::calls::{self, CallDetail, CallQuery, CostEstimate};
use crate::store::{CallDirection, CallEvent, CallRecord, CallTurn, PostCallAnalysis};
use crate::telephony::{post_call_audio, recordings};

#[derive(Debug, Serialize, ToSchema)]
pub struct CallBody {
    pub id: String,
    pub agent_id: String,
    /// Twilio's CallSid.
    pub call_sid: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// As Twilio gives it: usually E.164, or `anonymous`.
    pub from: String,
    pub to: String,
    #[schema(format = DateTime)]
    pub started_at: String,
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
    /// How it ended (`caller_hung_up`, `agent_ended`, ...); null while it runs.
    pub end_reason: Option<String>,
    /// How long it was connected, in whole seconds.
    pub duration_seconds: Option<u64>,
    /// Twilio's own length of the call (`CallDuration`), once its status callback came.
    pub twilio_duration_seconds: Option<u64>,
    /// The ElevenLabs conversation.
    pub conversation_id: Option<String>,
    /// The fallback voicemail's recording.
    pub voicemail_url: Option<String>,
    /// Whether the caller agreed to the call being recorded, as they last answered when asked
    /// (accounts that record calls ask); null until they answer.
    pub record_consent: Option<bool>,
    /// What the call came to: `booking_created`, `booking_changed`, `info_provided`,
    /// `voicemail`, `transferred`, `no_action` or `failed`; null until its end is written.
    pub outcome: Option<String>,
    /// The booking the call made or changed (its id at `/bookings/{id}`).
    pub booking_id: Option<String>,
}

impl From<CallRecord> for CallBody {
    fn from(call: CallRecord) -> CallBody {
        CallBody {
            id: call.id.into_string(),
            agent_id: call.agent_id.into_string(),
            call_sid: call.call_sid,
            direction: match call.direction {
                CallDirection::Inbound => "inbound",
                CallDirection::Outbound => "outbound",
            }
            .to_owned(),
            from: call.from_number,
            to: call.to_number,
            started_at: rfc3339(call.started_at),
            ended_at: call.ended_at.map(rfc3339),
            end_reason: call.end_reason,
            duration_seconds: call.duration.map(|duration| duration.as_secs()),
            twilio_duration_seconds: call.carrier_duration.map(|duration| duration.as_secs()),
            conversation_id: call.conversation_id,
            voicemail_url: call.voicemail_url,
            record_consent: call.record_consent,
            outcome: call.outcome.map(|outcome| outcome.as_str().to_owned()),
            booking_id: call.booking_id.map(|id| id.as_str().to_owned()),
        }
    }
}

/// One entry of a call's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallEventBody {
    #[schema(format = DateTime)]
    pub at: String,
    /// `answered`, `stream_started`, `agent_connected`, `tool_call`, `agent_error`, `ended`,
    /// `twilio_duration`, `voicemail`, `transfer_requested`, `transferred`, `record_consent`,
    /// `initiation_failed`.
    pub kind: String,
    /// What the entry says: `answered` {from, to}; `agent_connected` {conversation_id};
    /// `tool_call` {name, outcome: ok|error|timed_out, elapsed_ms, message?}; `ended` {reason,
    /// duration_seconds}; `twilio_duration` {seconds}; `voicemail` {recording_url, length_seconds};
    /// `transfer_requested` {reason, summary}; `transferred` {reason, answered, dial_status}.
    /// `record_consent` {consented}; `initiation_failed` (ElevenLabs could not place the call)
    /// {reason: busy|no-answer|unknown, provider: twilio|sip|null, conversation_id}.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<CallEvent> for CallEventBody {
    fn from(event: CallEvent) -> CallEventBody {
        CallEventBody {
            at: rfc3339(event.at),
            kind: event.kind.as_str().to_owned(),
            detail: event.detail,
        }
    }
}

/// One turn of the conversation as the bridge saw it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TurnBody {
    /// `agent` or `caller`.
    pub role: String,
    pub text: String,
    /// Milliseconds from the call's start.
    pub at_ms: u64,
}

/// A tool call the agent made and what it was told.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolCallBody {
    pub name: String,
    /// The arguments the agent sent.
    #[schema(value_type = Object)]
    pub arguments: serde_json::Value,
    /// What the agent was told.
    pub result: String,
    pub is_error: bool,
    pub timed_out: bool,
    pub elapsed_ms: u64,
    /// Milliseconds from the call's start to its answer.
    pub at_ms: u64,
}

/// What the call cost, estimated: its started minutes at the configured price
/// (`call.price_per_minute_usd`).
#[derive(Debug, Serialize, ToSchema)]
pub struct CostEstimateBody {
    pub minutes: u64,
    pub per_minute_usd: f64,
    pub total_usd: f64,
}

impl From<CostEstimate> for CostEstimateBody {
    fn from(cost: CostEstimate) -> CostEstimateBody {
        CostEstimateBody {
            minutes: cost.minutes,
            per_minute_usd: cost.per_minute_usd,
            total_usd: cost.total_usd,
        }
    }
}

/// A call with its timeline (oldest entry first), its transcript and tool calls in order
/// (empty once past the account's transcript retention), and its cost estimate.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallDetailBody {
    pub call: CallBody,
    pub events: Vec<CallEventBody>,
    pub transcript: Vec<TurnBody>,
    pub tool_calls: Vec<ToolCallBody>,
    pub cost_estimate: CostEstimateBody,
    /// Whether the call has a recording, at `/calls/{id}/recording` (the bridge's own,
    /// Ogg/Opus).
    pub has_recording: bool,
    /// Whether ElevenLabs' audio of the call's conversation is kept, at
    /// `/calls/{id}/recording/elevenlabs` (MP3).
    pub has_elevenlabs_audio: bool,
    /// What ElevenLabs reported after the conversation; null until it has.
    pub analysis: Option<CallAnalysisBody>,
}

/// ElevenLabs' post-call analysis of a call's conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallAnalysisBody {
    pub conversation_id: String,
    /// `success`, `failure` or `unknown`.
    pub call_successful: Option<String>,
    pub transcript_summary: Option<String>,
    pub call_summary_title: Option<String>,
    /// Per criterion id, as ElevenLabs sent it.
    #[schema(value_type = Object)]
    pub evaluation_criteria_results: serde_json::Value,
    /// Per data collection id, as ElevenLabs sent it.
    #[schema(value_type = Object)]
    pub data_collection_results: serde_json::Value,
    /// ElevenLabs' length of the conversation.
    pub call_duration_secs: Option<i64>,
    /// ElevenLabs' cost, in credits.
    pub cost: Option<i64>,
}

impl From<PostCallAnalysis> for CallAnalysisBody {
    fn from(analysis: PostCallAnalysis) -> CallAnalysisBody {
        CallAnalysisBody {
            conversation_id: analysis.conversation_id,
            call_successful: analysis.call_successful,
            transcript_summary: analysis.transcript_summary,
            call_summary_title: analysis.call_summary_title,
            evaluation_criteria_results: analysis.evaluation_criteria_results,
            data_collection_results: analysis.data_collection_results,
            call_duration_secs: analysis.call_duration_secs,
            cost: analysis.cost,
        }
    }
}

impl From<CallDetail> for CallDetailBody {
    fn from(detail: CallDetail) -> CallDetailBody {
        let mut transcript = Vec::new();
        let mut tool_calls = Vec::new();
        for turn in detail.transcript {
            match turn {
                CallTurn::Said { role, text, at_ms } => transcript.push(TurnBody {
                    role: role.as_str().to_owned(),
                    text,
                    at_ms,
                }),
                CallTurn::Tool { call, at_ms } => tool_calls.push(ToolCallBody {
                    name: call.name,
                    arguments: call.arguments,
                    result: call.result,
                    is_error: call.is_error,
                    timed_out: call.timed_out,
                    elapsed_ms: call.elapsed_ms,
                    at_ms,
                }),
            }
        }
        CallDetailBody {
            call: detail.timeline.call.into(),
            events: detail
                .timeline
                .events
                .into_iter()
                .map(CallEventBody::from)
                .collect(),
            transcript,
            tool_calls,
            cost_estimate: detail.cost.into(),
            has_recording: false,
            has_elevenlabs_audio: false,
            analysis: None,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CallListParams {
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
    pub agent_id: Option<String>,
    /// `inbound` or `outbound`.
    pub direction: Option<String>,
    /// `caller_hung_up`, `agent_ended`, `upstream_failed`, `time_limit`, `server`, `no_start`,
    /// `transferred`, `instance_lost` or `twilio_completed`.
    pub end_reason: Option<String>,
    /// Calls answered at or after this instant (RFC 3339 with offset).
    pub started_from: Option<String>,
    /// Calls answered before this instant (RFC 3339 with offset).
    pub started_to: Option<String>,
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_calls))
        .routes(routes!(get_call))
}

/// The account's calls, the most recent first.
#[utoipa::path(get, path = "/calls", tag = "calls", operation_id = "list_calls",
    params(CallListParams),
    responses((status = 200, description = "A page of calls", body = Listed<CallBody>)))]
async fn list_calls(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiQuery(params): ApiQuery<CallListParams>,
) -> ApiResult<Json<Listed<CallBody>>> {
    let page = ListQuery {
        limit: params.limit,
        cursor: params.cursor,
    }
    .page()?;
    let query = CallQuery {
        agent_id: params.agent_id,
        direction: params.direction,
        end_reason: params.end_reason,
        started_from: params.started_from,
        started_to: params.started_to,
    };
    let found = calls::list(&state.store, &scope, &query, &page).await?;
    Ok(Json(Listed::from_page(found, CallBody::from)))
}

/// One call with its timeline, transcript, tool calls and cost estimate.
#[utoipa::path(get, path = "/calls/{id}", tag = "calls", operation_id = "get_call",
    params(("id" = String, Path, description = "The call's id")),
    responses((status = 200, description = "The call, its timeline, transcript and cost", body = CallDetailBody)))]
async fn get_call(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<CallDetailBody>> {
    let detail = calls::get(&state.store, &scope, &id, state.price_per_minute_usd).await?;
    let has_recording = recordings::exists(&state.store, &scope, &id).await?;
    let has_elevenlabs_audio = post_call_audio::exists(&state.store, &scope, &id).await?;
    let analysis = calls::analysis(&state.store, &detail.timeline).await?;
    Ok(Json(CallDetailBody {
        has_recording,
        has_elevenlabs_audio,
        analysis: analysis.map(CallAnalysisBody::from),
        ..detail.into()
    }))
}
