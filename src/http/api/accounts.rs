//! `/accounts` for the operator (make an account with its first key, list, read, change its
//! plan), and `/account` for an account's own key: itself, its plan and its billing period.
//!
//! The pattern every resource file follows: request and answer types (serde + `ToSchema`),
//! a `routes()` listing the handlers, and handlers that extract, call a `manage` use case and
//! render; errors are `ApiFailure`s.

use axum::Json;
use axum::extract::{Path, State};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::{AccountKey, OperatorKey};
use super::extract::nullable;
use super::keys::IssuedKeyBody;
use super::plans::PlanBody;
use super::{ApiJson, ApiQuery, ApiResult, ApiState, Created, ListQuery, Listed, rfc3339};
use crate::manage::{AccountRequest, AccountView, BillingPeriod};
use crate::store::{Account, AccountChange, AccountId};

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountBody {
    pub id: String,
    pub name: String,
    /// The plan's name (`GET /plans` lists their limits).
    pub plan: String,
    /// IANA time zone in which the billing period turns.
    pub timezone: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The business's online booking page, told to callers the agent cannot take; null when
    /// there is none.
    #[schema(format = "uri")]
    pub booking_url: Option<String>,
    /// Whether the account records its calls (callers are asked for consent first).
    pub record_calls: bool,
    /// Call transcripts (turns and tool calls) older than this many days are deleted; the
    /// call's row and outcome stay. Null keeps them.
    pub transcript_retention_days: Option<u32>,
    /// Whether card numbers, emails and phone numbers are replaced by `[card]`, `[email]` and
    /// `[phone]` before a call's transcript is stored.
    pub redact_transcripts: bool,
    /// Days a call's recording is kept; null keeps recordings.
    pub recording_retention_days: Option<u32>,
    /// Whether callers get a text after their call (a booking's confirmation, a recap, a
    /// follow-up), from the agent's number.
    pub sms_follow_ups: bool,
}

impl From<Account> for AccountBody {
    fn from(account: Account) -> AccountBody {
        AccountBody {
            id: account.id.into_string(),
            name: account.name,
            plan: account.plan,
            timezone: account.timezone,
            created_at: rfc3339(account.created_at),
            booking_url: account.booking_url,
            record_calls: account.record_calls,
            transcript_retention_days: account.transcript_retention_days,
            redact_transcripts: account.redact_transcripts,
            recording_retention_days: account.recording_retention_days,
            sms_follow_ups: account.sms_follow_ups,
        }
    }
}

/// A billing period, `[start, end)`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodBody {
    #[schema(format = DateTime)]
    pub start: String,
    #[schema(format = DateTime)]
    pub end: String,
}

impl From<BillingPeriod> for PeriodBody {
    fn from(period: BillingPeriod) -> PeriodBody {
        PeriodBody {
            start: rfc3339(period.start),
            end: rfc3339(period.end),
        }
    }
}

/// An account with its plan's limits and its current billing period.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDetail {
    pub account: AccountBody,
    pub plan: PlanBody,
    pub billing_period: PeriodBody,
}

impl From<AccountView> for AccountDetail {
    fn from(view: AccountView) -> AccountDetail {
        AccountDetail {
            account: view.account.into(),
            plan: view.plan.into(),
            billing_period: view.period.into(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountBody {
    /// The business's name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// A plan's name; `free` when left out.
    pub plan: Option<String>,
    /// IANA time zone of the business (`Europe/Berlin`); `UTC` when left out.
    pub timezone: Option<String>,
    /// The name of the account's first key; `default` when left out.
    #[schema(min_length = 1, max_length = 100)]
    pub key_name: Option<String>,
}

/// An account just made, with its first key (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedAccountBody {
    pub account: AccountBody,
    pub key: IssuedKeyBody,
}

/// Changes to an account; a field left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub plan: Option<String>,
    pub timezone: Option<String>,
    /// An absolute http or https address, at most 500 characters; null removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub booking_url: Option<Option<String>>,
    pub record_calls: Option<bool>,
    /// Days call transcripts are kept, 1 to 36500; null keeps them for good.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 36500)]
    pub transcript_retention_days: Option<Option<u32>>,
    /// Replace card numbers, emails and phone numbers in transcripts before they are stored.
    pub redact_transcripts: Option<bool>,
    /// Days a call's recording is kept, at least 1; null keeps recordings.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, minimum = 1)]
    pub recording_retention_days: Option<Option<u32>>,
    /// Text callers after their calls (needs Twilio credentials on the server).
    pub sms_follow_ups: Option<bool>,
}

/// Changes a business makes to its own account; a field left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnAccountPatch {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// An absolute http or https address, at most 500 characters; null removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub booking_url: Option<Option<String>>,
    pub record_calls: Option<bool>,
    /// Days call transcripts are kept, 1 to 36500; null keeps them for good.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 36500)]
    pub transcript_retention_days: Option<Option<u32>>,
    /// Replace card numbers, emails and phone numbers in transcripts before they are stored.
    pub redact_transcripts: Option<bool>,
    /// Days a call's recording is kept, at least 1; null keeps recordings.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, minimum = 1)]
    pub recording_retention_days: Option<Option<u32>>,
    /// Text callers after their calls (needs Twilio credentials on the server).
    pub sms_follow_ups: Option<bool>,
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(get_account, update_account))
        .routes(routes!(own_account, update_own_account))
}

/// Every account, oldest first (operator).
#[utoipa::path(get, path = "/accounts", tag = "accounts", operation_id = "list_accounts", params(ListQuery),
    responses((status = 200, description = "A page of accounts", body = Listed<AccountBody>)))]
async fn list_accounts(
    _: OperatorKey,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listed<AccountBody>>> {
    let page = state.accounts.list(&query.page()?).await?;
    Ok(Json(Listed::from_page(page, AccountBody::from)))
}

/// Makes an account and its first API key (operator).
#[utoipa::path(post, path = "/accounts", tag = "accounts", operation_id = "create_account",
    request_body = NewAccountBody,
    responses((status = 201, description = "The account and its first key", body = CreatedAccountBody)))]
async fn create_account(
    _: OperatorKey,
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<NewAccountBody>,
) -> ApiResult<Created<CreatedAccountBody>> {
    let (account, key) = state
        .accounts
        .create(AccountRequest {
            name: body.name,
            plan: body.plan.unwrap_or_else(|| "free".to_owned()),
            timezone: body.timezone.unwrap_or_else(|| "UTC".to_owned()),
            key_name: body.key_name.unwrap_or_else(|| "default".to_owned()),
        })
        .await?;
    Ok(Created(CreatedAccountBody {
        account: account.into(),
        key: key.into(),
    }))
}

/// One account with its plan and billing period (operator).
#[utoipa::path(get, path = "/accounts/{id}", tag = "accounts", operation_id = "get_account",
    params(("id" = String, Path, description = "The account's id")),
    responses((status = 200, description = "The account", body = AccountDetail)))]
async fn get_account(
    _: OperatorKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<AccountDetail>> {
    let view = state.accounts.get(&AccountId::from(id), Timestamp::now()).await?;
    Ok(Json(view.into()))
}

/// Renames an account, moves it to another plan or time zone (operator).
#[utoipa::path(patch, path = "/accounts/{id}", tag = "accounts", operation_id = "update_account",
    params(("id" = String, Path, description = "The account's id")),
    request_body = AccountPatch,
    responses((status = 200, description = "The account as it is now", body = AccountBody)))]
async fn update_account(
    _: OperatorKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<AccountPatch>,
) -> ApiResult<Json<AccountBody>> {
    let change = AccountChange {
        name: patch.name,
        plan: patch.plan,
        timezone: patch.timezone,
        booking_url: patch.booking_url,
        record_calls: patch.record_calls,
        transcript_retention_days: patch.transcript_retention_days,
        redact_transcripts: patch.redact_transcripts,
        recording_retention_days: patch.recording_retention_days,
        sms_follow_ups: patch.sms_follow_ups,
    };
    Ok(Json(
        state.accounts.update(&AccountId::from(id), change).await?.into(),
    ))
}

/// The key's own account, with its plan and current billing period.
#[utoipa::path(get, path = "/account", tag = "accounts", operation_id = "own_account",
    responses((status = 200, description = "The account", body = AccountDetail)))]
async fn own_account(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
) -> ApiResult<Json<AccountDetail>> {
    let view = state.accounts.get(&scope.account_id, Timestamp::now()).await?;
    Ok(Json(view.into()))
}

/// Renames the key's own account, or sets its booking page, call recording or transcript
/// retention and redaction (the plan and time zone are the operator's).
#[utoipa::path(patch, path = "/account", tag = "accounts", operation_id = "update_own_account",
    request_body = OwnAccountPatch,
    responses((status = 200, description = "The account as it is now", body = AccountBody)))]
async fn update_own_account(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiJson(patch): ApiJson<OwnAccountPatch>,
) -> ApiResult<Json<AccountBody>> {
    let change = AccountChange {
        name: patch.name,
        booking_url: patch.booking_url,
        record_calls: patch.record_calls,
        transcript_retention_days: patch.transcript_retention_days,
        redact_transcripts: patch.redact_transcripts,
        recording_retention_days: patch.recording_retention_days,
        sms_follow_ups: patch.sms_follow_ups,
        ..AccountChange::default()
    };
    Ok(Json(
        state.accounts.update(&scope.account_id, change).await?.into(),
    ))
}
