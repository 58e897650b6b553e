//! `GET /usage`: the account's phone use in its current billing period against its plan.

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiResult, ApiState, rfc3339};
use crate::manage::usage::{self, UsageReport};

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageBody {
    /// The billing period, `[period_start, period_end)`.
    #[schema(format = DateTime)]
    pub period_start: String,
    #[schema(format = DateTime)]
    pub period_end: String,
    /// Billed minutes: each call's length rounded up to whole minutes, summed.
    pub minutes_used: u64,
    /// The plan's minutes per period; null when unlimited.
    pub minute_limit: Option<u32>,
    /// What is left of `minute_limit` (never below 0); null when unlimited.
    pub remaining: Option<u64>,
    /// Calls answered in the period.
    pub calls_this_period: u64,
    /// Their mean length in seconds; null without calls.
    pub avg_duration_seconds: Option<u64>,
    /// The most frequent ways the period's calls ended, most frequent first.
    pub top_outcomes: Vec<OutcomeBody>,
    /// The period's calls' lengths in whole seconds, summed: each call's media time (Twilio's
    /// `CallDuration` when it came, else the bridge's metered time; a running call's so far).
    pub seconds_used: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeBody {
    pub end_reason: String,
    pub calls: u64,
}

impl From<UsageReport> for UsageBody {
    fn from(report: UsageReport) -> UsageBody {
        UsageBody {
            period_start: rfc3339(report.period_start),
            period_end: rfc3339(report.period_end),
            minutes_used: report.minutes_used,
            minute_limit: report.minute_limit,
            remaining: report.remaining,
            calls_this_period: report.calls_this_period,
            avg_duration_seconds: report.avg_duration_seconds,
            top_outcomes: report
                .top_outcomes
                .into_iter()
                .map(|outcome| OutcomeBody {
                    end_reason: outcome.end_reason,
                    calls: outcome.calls,
                })
                .collect(),
            seconds_used: report.seconds_used,
        }
    }
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(get_usage))
}

/// The account's usage in its current billing period.
#[utoipa::path(get, path = "/usage", tag = "usage", operation_id = "get_usage",
    responses((status = 200, description = "Minutes, calls and outcomes of the period", body = UsageBody)))]
async fn get_usage(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
) -> ApiResult<Json<UsageBody>> {
    Ok(Json(
        usage::current(&state.store, &scope, Timestamp::now())
            .await?
            .into(),
    ))
}
