//! `/plans`: the plans accounts can be on, read by anyone with a key and edited by an operator.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::{AnyKey, OperatorKey};
use super::{ApiJson, ApiResult, ApiState, rfc3339};
use crate::store::{Plan, PlanChange};

/// A plan's limits.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanBody {
    pub name: String,
    /// Agents an account on the plan may have.
    pub max_agents: u32,
    /// Connected minutes per billing period; null for unlimited.
    pub monthly_minutes: Option<u32>,
    /// Whether agents may have dedicated phone numbers.
    pub phone_numbers: bool,
    /// Calls of one account up at once.
    pub max_concurrent_calls: u32,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Plan> for PlanBody {
    fn from(plan: Plan) -> PlanBody {
        PlanBody {
            name: plan.name,
            max_agents: plan.max_agents,
            monthly_minutes: plan.monthly_minutes,
            phone_numbers: plan.phone_numbers,
            max_concurrent_calls: plan.max_concurrent_calls,
            updated_at: rfc3339(plan.updated_at),
        }
    }
}

/// New limits for a plan; a field left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    #[schema(minimum = 0, maximum = 10000)]
    pub max_agents: Option<u32>,
    /// Null makes the minutes unlimited.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, minimum = 0)]
    pub monthly_minutes: Option<Option<u32>>,
    pub phone_numbers: Option<bool>,
    #[schema(minimum = 0, maximum = 100000)]
    pub max_concurrent_calls: Option<u32>,
}

/// A field that may be null: absent is `None`, null is `Some(None)`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans))
        .routes(routes!(update_plan))
}

/// The plans.
#[utoipa::path(get, path = "/plans", tag = "plans", operation_id = "list_plans",
    responses((status = 200, description = "Every plan", body = Vec<PlanBody>)))]
async fn list_plans(_: AnyKey, State(state): State<ApiState>) -> ApiResult<Json<Vec<PlanBody>>> {
    let plans = state.accounts.plans().await?;
    Ok(Json(plans.into_iter().map(PlanBody::from).collect()))
}

/// Changes a plan's limits (operator).
#[utoipa::path(patch, path = "/plans/{name}", tag = "plans", operation_id = "update_plan",
    params(("name" = String, Path, description = "The plan's name")),
    request_body = PlanPatch,
    responses((status = 200, description = "The plan as it is now", body = PlanBody)))]
async fn update_plan(
    _: OperatorKey,
    State(state): State<ApiState>,
    Path(name): Path<String>,
    ApiJson(patch): ApiJson<PlanPatch>,
) -> ApiResult<Json<PlanBody>> {
    let change = PlanChange {
        max_agents: patch.max_agents,
        monthly_minutes: patch.monthly_minutes,
        phone_numbers: patch.phone_numbers,
        max_concurrent_calls: patch.max_concurrent_calls,
    };
    Ok(Json(state.accounts.update_plan(&name, change).await?.into()))
}
