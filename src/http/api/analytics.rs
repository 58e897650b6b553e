//! `GET /analytics`: the account's call figures over a range (by default its current billing
//! period), for all its agents or one.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiQuery, ApiResult, ApiState, rfc3339};
use crate::manage::analytics::{self, AnalyticsQuery, AnalyticsReport};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsParams {
    /// The range's start, RFC 3339 with offset (default: the current billing period's start).
    pub from: Option<String>,
    /// The range's end, exclusive (default: the current billing period's end); at most 366
    /// days after `from`.
    pub to: Option<String>,
    /// Only this agent's calls.
    pub agent: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyticsBody {
    /// The range, `[from, to)`: calls count by when they were answered.
    #[schema(format = DateTime)]
    pub from: String,
    #[schema(format = DateTime)]
    pub to: String,
    /// The agent the figures are limited to; null for all.
    pub agent_id: Option<String>,
    /// Calls that came in (and went out) in the range.
    pub calls: u64,
    /// Calls an agent took: its conversation opened. Calls turned away (after hours, out of
    /// minutes, too many at once) and calls whose agent could not be reached are not.
    pub answered: u64,
    /// `answered / calls`, 0 to 1; null without calls.
    pub answer_rate: Option<f64>,
    /// The answered calls' mean length in seconds; null without them.
    pub avg_duration_seconds: Option<u64>,
    /// How many calls came to each outcome (`booking_created`, `booking_changed`,
    /// `info_provided`, `voicemail`, `transferred`, `no_action`, `failed`), zeros included.
    pub outcomes: BTreeMap<String, u64>,
    /// Calls that made a booking per answered call; null without answered calls.
    pub booking_conversion: Option<f64>,
    /// Calls handed to a person per call; null without calls.
    pub transfer_rate: Option<f64>,
    /// Calls that ended in a voicemail per call; null without calls.
    pub voicemail_rate: Option<f64>,
    /// Each agent with calls in the range, the most minutes first.
    pub minutes_by_agent: Vec<AgentMinutesBody>,
    /// The account's follow-up texts enqueued in the range (for all its agents, even with
    /// `agent`), and the callers who opted out in it.
    pub texts: TextsBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TextsBody {
    /// Texts Twilio accepted.
    pub sent: u64,
    /// Of those, the ones Twilio reported delivered.
    pub delivered: u64,
    /// Texts given up, or reported undelivered or failed.
    pub failed: u64,
    /// `delivered / sent`, 0 to 1; null without texts sent.
    pub delivery_rate: Option<f64>,
    /// Callers who opted out (STOP, or Twilio's 21610) in the range and still are.
    pub opt_outs: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentMinutesBody {
    pub agent_id: String,
    /// Billed minutes: each call's length rounded up to whole minutes, summed.
    pub minutes: u64,
    pub calls: u64,
}

impl From<AnalyticsReport> for AnalyticsBody {
    fn from(report: AnalyticsReport) -> AnalyticsBody {
        AnalyticsBody {
            from: rfc3339(report.from),
            to: rfc3339(report.to),
            agent_id: report.agent_id.map(|id| id.to_string()),
            calls: report.calls,
            answered: report.answered,
            answer_rate: report.answer_rate,
            avg_duration_seconds: report.avg_duration_seconds,
            outcomes: report
                .outcomes
                .into_iter()
                .map(|(outcome, calls)| (outcome.as_str().to_owned(), calls))
                .collect(),
            booking_conversion: report.booking_conversion,
            transfer_rate: report.transfer_rate,
            voicemail_rate: report.voicemail_rate,
            minutes_by_agent: report
                .minutes_by_agent
                .into_iter()
                .map(|agent| AgentMinutesBody {
                    agent_id: agent.agent_id.to_string(),
                    minutes: agent.minutes,
                    calls: agent.calls,
                })
                .collect(),
            texts: TextsBody {
                sent: report.texts.sent,
                delivered: report.texts.delivered,
                failed: report.texts.failed,
                delivery_rate: report.text_delivery_rate,
                opt_outs: report.texts.opt_outs,
            },
        }
    }
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(get_analytics))
}

/// The account's call figures over a range.
#[utoipa::path(get, path = "/analytics", tag = "analytics", operation_id = "get_analytics",
    params(AnalyticsParams),
    responses((status = 200, description = "Calls, rates, outcomes and minutes by agent", body = AnalyticsBody)))]
async fn get_analytics(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiQuery(params): ApiQuery<AnalyticsParams>,
) -> ApiResult<Json<AnalyticsBody>> {
    let query = AnalyticsQuery {
        from: params.from,
        to: params.to,
        agent_id: params.agent,
    };
    let report = analytics::report_for(&state.store, &scope, &query, Timestamp::now()).await?;
    Ok(Json(report.into()))
}
