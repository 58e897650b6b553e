//! `/agents/{id}/phone`: an agent's number at Twilio. POST attaches a number the Twilio account
//! has (`{"phone_number": "+14155550100"}`) or buys one (`{"buy": {"country": "US",
//! "area_code": "415"}}`); DELETE gives it up into a 30-day hold.

use axum::Json;
use axum::extract::{Path, State};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiFailure, ApiJson, ApiResult, ApiState, Created, ErrorBody, rfc3339};
use crate::manage::phone::PhoneRequest;
use crate::store::{AgentNumber, GivenUp};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(provide_phone, give_up_phone))
}

/// Which number to give the agent: exactly one of `phone_number` and `buy`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneRequestBody {
    /// A number the Twilio account already has (E.164); its calls are pointed at switchboard,
    /// and put back where they went when the number is given up.
    #[schema(example = "+14155550100")]
    pub phone_number: Option<String>,
    /// Buy a number: the first local number with voice that Twilio offers for the search.
    pub buy: Option<BuyBody>,
}

/// What number to buy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyBody {
    /// ISO 3166 alpha-2 country code.
    #[schema(example = "US")]
    pub country: String,
    /// Digits of the area code.
    #[schema(example = "415")]
    pub area_code: Option<String>,
    /// Digits (or `*` for any) the number contains.
    pub contains: Option<String>,
}

/// An agent's number at Twilio.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentPhoneBody {
    pub agent_id: String,
    /// E.164.
    pub phone_number: String,
    /// Twilio's SID of the number (`PN…`).
    pub twilio_sid: String,
    /// Whether switchboard bought it (released 30 days after it is given up) rather than the
    /// business bringing it (put back as it was, never released).
    pub bought: bool,
    #[schema(format = DateTime)]
    pub attached_at: String,
}

impl From<AgentNumber> for AgentPhoneBody {
    fn from(number: AgentNumber) -> AgentPhoneBody {
        AgentPhoneBody {
            agent_id: number.agent_id.into_string(),
            phone_number: number.phone_number,
            twilio_sid: number.twilio_sid,
            bought: number.bought,
            attached_at: rfc3339(number.attached_at),
        }
    }
}

/// A number given up.
#[derive(Debug, Serialize, ToSchema)]
pub struct GivenUpBody {
    /// The number the agent had.
    pub phone_number: String,
    /// Until when the number is held (callers hear it is no longer in service; this account
    /// may attach it again); null for a number switchboard did not get through Twilio.
    #[schema(format = DateTime)]
    pub held_until: Option<String>,
}

impl From<GivenUp> for GivenUpBody {
    fn from(given_up: GivenUp) -> GivenUpBody {
        GivenUpBody {
            phone_number: given_up.phone_number,
            held_until: given_up.hold.map(|hold| rfc3339(hold.release_at)),
        }
    }
}

impl TryFrom<PhoneRequestBody> for PhoneRequest {
    type Error = ApiFailure;

    fn try_from(body: PhoneRequestBody) -> Result<PhoneRequest, ApiFailure> {
        match (body.phone_number, body.buy) {
            (Some(phone_number), None) => Ok(PhoneRequest::Attach { phone_number }),
            (None, Some(buy)) => Ok(PhoneRequest::Buy {
                country: buy.country,
                area_code: buy.area_code,
                contains: buy.contains,
            }),
            _ => Err(ApiFailure::invalid(
                "phone_number",
                "Send exactly one of phone_number (a number the Twilio account has) and buy (a number to buy).",
            )),
        }
    }
}

/// Gives the agent a number: attached from the Twilio account, or bought. 403 `plan_limit` on a
/// plan without numbers, 409 when the agent has a number (or `not_configured` without Twilio
/// credentials), 422 naming `phone_number` when the Twilio account has no such number, 502
/// `provisioning_failed` when Twilio failed (what was done is undone).
#[utoipa::path(post, path = "/agents/{id}/phone", tag = "agents", operation_id = "provide_agent_phone",
    params(("id" = String, Path, description = "The agent's id")),
    request_body = PhoneRequestBody,
    responses(
        (status = 201, description = "The agent's number", body = AgentPhoneBody),
        (status = 502, description = "Twilio failed; the message says what, and whether all was undone", body = ErrorBody),
    ))]
async fn provide_phone(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PhoneRequestBody>,
) -> ApiResult<Created<AgentPhoneBody>> {
    let request = PhoneRequest::try_from(body)?;
    let number = state
        .phones
        .provide(&scope, &id, request, Timestamp::now())
        .await?;
    Ok(Created(number.into()))
}

/// Takes the agent's number off it at once, into a 30-day hold: callers hear it is no longer
/// in service, this account may attach it again, and at the end a bought number is released
/// and a brought one put back as it was. 409 when the agent has no number.
#[utoipa::path(delete, path = "/agents/{id}/phone", tag = "agents", operation_id = "give_up_agent_phone",
    params(("id" = String, Path, description = "The agent's id")),
    responses((status = 200, description = "The number given up and its hold", body = GivenUpBody)))]
async fn give_up_phone(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<GivenUpBody>> {
    Ok(Json(
        state.phones.give_up(&scope, &id, Timestamp::now()).await?.into(),
    ))
}
