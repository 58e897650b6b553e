//! The REST routes under `/2010-04-01/Accounts/{AccountSid}/`, each handler extracting the
//! path and parameters, calling the account and rendering. Layers, outermost first: the
//! request log, the failure plan, Basic authentication.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};

use super::account::Account;
use super::auth;
use super::errors::{self, TwilioError};
use super::params::Params;
use super::requests::{self, RequestLog};
use crate::sim::failures::{self, FailurePlan, Injector};

type Answer<T> = Result<T, TwilioError>;

/// Every REST route with its layers.
pub fn rest_router(account: Arc<Account>, log: RequestLog, plan: FailurePlan) -> Router {
    const ACCOUNT: &str = "/2010-04-01/Accounts/{account_sid}";
    Router::new()
        .route("/2010-04-01/Accounts/{account_sid}", get(fetch_account))
        .route(
            &format!("{ACCOUNT}/AvailablePhoneNumbers/{{country}}/Local.json"),
            get(available_numbers),
        )
        .route(
            &format!("{ACCOUNT}/IncomingPhoneNumbers.json"),
            get(list_numbers).post(buy_number),
        )
        .route(
            &format!("{ACCOUNT}/IncomingPhoneNumbers/{{file}}"),
            get(fetch_number).post(update_number).delete(release_number),
        )
        .route(
            &format!("{ACCOUNT}/Messages.json"),
            get(list_messages).post(send_message),
        )
        .route(
            &format!("{ACCOUNT}/Messages/{{file}}"),
            get(fetch_message).post(update_message),
        )
        .route(&format!("{ACCOUNT}/Calls.json"), get(list_calls).post(place_call))
        .route(
            &format!("{ACCOUNT}/Calls/{{file}}"),
            get(fetch_call).post(update_call),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(account.clone())
        .layer(axum::middleware::from_fn_with_state(
            account,
            auth::require_account,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Injector::new(plan, errors::render_status),
            failures::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(log, requests::record))
}

/// The SID in `{sid}.json`.
fn sid_of<'a>(file: &'a str, uri: &Uri) -> Answer<&'a str> {
    file.strip_suffix(".json")
        .filter(|sid| !sid.is_empty())
        .ok_or_else(|| TwilioError::not_found(uri.path()))
}

async fn not_found(uri: Uri) -> TwilioError {
    TwilioError::not_found(uri.path())
}

async fn method_not_allowed(method: Method) -> TwilioError {
    TwilioError::method_not_allowed(method.as_str())
}

async fn fetch_account(
    State(account): State<Arc<Account>>,
    Path(file): Path<String>,
    uri: Uri,
) -> Answer<Json<serde_json::Value>> {
    if sid_of(&file, &uri)? != account.sid {
        return Err(TwilioError::not_found(uri.path()));
    }
    Ok(Json(account.resource()))
}

async fn available_numbers(
    State(account): State<Arc<Account>>,
    Path((_, country)): Path<(String, String)>,
    Extension(params): Extension<Params>,
) -> Answer<Json<serde_json::Value>> {
    account.available_numbers(&country, &params).map(Json)
}

async fn list_numbers(
    State(account): State<Arc<Account>>,
    Extension(params): Extension<Params>,
) -> Answer<Json<serde_json::Value>> {
    account.numbers_page(&params).map(Json)
}

async fn buy_number(
    State(account): State<Arc<Account>>,
    Extension(params): Extension<Params>,
) -> Answer<Response> {
    let bought = account.buy_number(&params)?;
    Ok((StatusCode::CREATED, Json(bought)).into_response())
}

async fn fetch_number(
    State(account): State<Arc<Account>>,
    Path((_, file)): Path<(String, String)>,
    uri: Uri,
) -> Answer<Response> {
    Ok(Json(account.number(sid_of(&file, &uri)?)?).into_response())
}

async fn update_number(
    State(account): State<Arc<Account>>,
    Path((_, file)): Path<(String, String)>,
    uri: Uri,
    Extension(params): Extension<Params>,
) -> Answer<Response> {
    Ok(Json(account.update_number(sid_of(&file, &uri)?, &params)?).into_response())
}

async fn release_number(
    State(account): State<Arc<Account>>,
    Path((_, file)): Path<(String, String)>,
    uri: Uri,
) -> Answer<StatusCode> {
    account.release_number(sid_of(&file, &uri)?)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn send_message(
    State(account): State<Arc<Account>>,
    Extension(params): Extension<Params>,
) -> Answer<Response> {
    let message = account.send_message(&params)?;
    Ok((StatusCode::CREATED, Json(message)).into_response())
}

async fn list_messages(
    State(account): State<Arc<Account>>,
    Extension(params): Extension<Params>,
) -> Answer<Json<serde_json::Value>> {
    account.messages_page(&params).map(Json)
}

async fn fetch_message(
    State(account): State<Arc<Account>>,
    Path((_, file)): Path<(String, String)>,
    uri: Uri,
) -> Answer<Response> {
    Ok(Json(account.message(sid_of(&file, &uri)?)?).into_response())
}

async fn update_message(
    State(account): State<Arc<Account>>,
    Path((_, file)): Path<(String, String)>,
    uri: Uri,
    Extension(params): Extension<Params>,
) -> Answer<Response> {
    Ok(Json(account.update_message(sid_of(&file, &uri)?, &params)?).into_response())
}

async fn place_call(
    State(account): State<Arc<Account>>,
    Extension(params): Extension<Params>,
) -> Answer<Response> {
    let call = account.place_call(&params)?;
    Ok((StatusCode::CREATED, Json(call)).into_response())
}

async fn list_calls(
    State(account): State<Arc<Account>>,
    Extension(params): Extension<Params>,
) -> Answer<Json<serde_json::Value>> {
    account.calls_page(&params).map(Json)
}

async fn fetch_call(
    State(account): State<Arc<Account>>,
    Path((_, file)): Path<(String, String)>,
    uri: Uri,
) -> Answer<Response> {
    Ok(Json(account.call(sid_of(&file, &uri)?)?).into_response())
}

async fn update_call(
    State(account): State<Arc<Account>>,
    Path((_, file)): Path<(String, String)>,
    uri: Uri,
    Extension(params): Extension<Params>,
) -> Answer<Response> {
    Ok(Json(account.update_call(sid_of(&file, &uri)?, &params)?).into_response())
}
