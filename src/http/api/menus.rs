//! `/menus`: a keypad and speech menu on a number of the account, in front of its agents.
//! Set whole (`PUT`), read, listed and removed; the number in the path is E.164
//! (`+15550100900`, or `%2B15550100900`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiJson, ApiResult, ApiState, rfc3339};
use crate::manage::menus::{self, ChoiceRequest, MenuRequest};
use crate::store::{MenuChoice, MenuTarget, NumberMenu};
use crate::telephony::menu::default_choice;

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_menus))
        .routes(routes!(get_menu, put_menu, delete_menu))
}

/// A number's menu.
#[derive(Debug, Serialize, ToSchema)]
pub struct MenuBody {
    /// The number called (E.164).
    pub phone_number: String,
    /// Said first, before the choices.
    pub prompt: String,
    /// By key.
    pub choices: Vec<MenuChoiceBody>,
    /// The key of the choice a caller who says nothing twice is sent to (the first choice).
    pub default_digit: u8,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// One choice: an agent of the account, or a person dialled.
#[derive(Debug, Serialize, ToSchema)]
pub struct MenuChoiceBody {
    pub digit: u8,
    pub label: String,
    pub keywords: Vec<String>,
    /// The agent the choice reaches; null for a person.
    pub agent_id: Option<String>,
    /// The person the choice dials (E.164); null for an agent.
    pub dial_number: Option<String>,
}

impl From<MenuChoice> for MenuChoiceBody {
    fn from(choice: MenuChoice) -> MenuChoiceBody {
        let (agent_id, dial_number) = match choice.target {
            MenuTarget::Agent(id) => (Some(id.into_string()), None),
            MenuTarget::Person(number) => (None, Some(number)),
        };
        MenuChoiceBody {
            digit: choice.digit,
            label: choice.label,
            keywords: choice.keywords,
            agent_id,
            dial_number,
        }
    }
}

impl From<NumberMenu> for MenuBody {
    fn from(menu: NumberMenu) -> MenuBody {
        MenuBody {
            default_digit: default_choice(&menu).map_or(0, |choice| choice.digit),
            phone_number: menu.phone_number,
            prompt: menu.prompt,
            choices: menu.choices.into_iter().map(Into::into).collect(),
            created_at: rfc3339(menu.created_at),
            updated_at: rfc3339(menu.updated_at),
        }
    }
}

/// The account's menus.
#[derive(Debug, Serialize, ToSchema)]
pub struct MenuListBody {
    pub data: Vec<MenuBody>,
}

/// A menu to set, replacing the number's menu whole.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutMenuBody {
    /// Said first, before the choices ("Thanks for calling Harbor Dental."); 1 to 500
    /// characters.
    #[schema(min_length = 1, max_length = 500)]
    pub prompt: String,
    /// One to four choices, each with its own key.
    #[schema(min_items = 1, max_items = 4)]
    pub choices: Vec<PutMenuChoiceBody>,
}

/// One choice: give `agent_id` (one of your agents) or `dial_number` (a person), not both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutMenuChoiceBody {
    /// The key, 1 to 9.
    #[schema(minimum = 1, maximum = 9)]
    pub digit: i64,
    /// How the choice is said ("billing"); saying it picks the choice. 1 to 60 characters.
    #[schema(min_length = 1, max_length = 60)]
    pub label: String,
    /// Other words that pick the choice when said; at most 10.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub keywords: Vec<String>,
    pub agent_id: Option<String>,
    /// E.164.
    pub dial_number: Option<String>,
}

impl From<PutMenuBody> for MenuRequest {
    fn from(body: PutMenuBody) -> MenuRequest {
        MenuRequest {
            prompt: Some(body.prompt),
            choices: body
                .choices
                .into_iter()
                .map(|choice| ChoiceRequest {
                    digit: choice.digit,
                    label: Some(choice.label),
                    keywords: choice.keywords,
                    agent_id: choice.agent_id,
                    dial_number: choice.dial_number,
                })
                .collect(),
        }
    }
}

/// A menu, `201 Created` when it is new.
pub struct PutMenu(MenuBody, bool);

impl IntoResponse for PutMenu {
    fn into_response(self) -> Response {
        let status = if self.1 {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        (status, Json(self.0)).into_response()
    }
}

/// The account's menus, by number.
#[utoipa::path(get, path = "/menus", tag = "menus", operation_id = "list_menus",
    responses((status = 200, description = "The menus", body = MenuListBody)))]
async fn list_menus(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
) -> ApiResult<Json<MenuListBody>> {
    let menus = menus::list(&state.store, &scope).await?;
    Ok(Json(MenuListBody {
        data: menus.into_iter().map(Into::into).collect(),
    }))
}

/// The menu on one of the account's numbers.
#[utoipa::path(get, path = "/menus/{phone_number}", tag = "menus", operation_id = "get_menu",
    params(("phone_number" = String, Path, description = "The number (E.164)")),
    responses((status = 200, description = "The menu", body = MenuBody)))]
async fn get_menu(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(phone_number): Path<String>,
) -> ApiResult<Json<MenuBody>> {
    Ok(Json(
        menus::get(&state.store, &scope, &phone_number).await?.into(),
    ))
}

/// Sets the number's menu, replacing the one it had. 409 `number_has_agent` when an agent
/// answers the number, `number_has_menu` when another account's menu does; 403 `plan_limit` on
/// a plan without phone numbers.
#[utoipa::path(put, path = "/menus/{phone_number}", tag = "menus", operation_id = "put_menu",
    params(("phone_number" = String, Path, description = "The number (E.164)")),
    request_body = PutMenuBody,
    responses(
        (status = 200, description = "The menu, replaced", body = MenuBody),
        (status = 201, description = "The menu, new", body = MenuBody)))]
async fn put_menu(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(phone_number): Path<String>,
    ApiJson(body): ApiJson<PutMenuBody>,
) -> ApiResult<PutMenu> {
    let (menu, created) = menus::put(&state.store, &scope, &phone_number, body.into()).await?;
    Ok(PutMenu(menu.into(), created))
}

/// Removes the number's menu: the number is free (for an agent, or another menu).
#[utoipa::path(delete, path = "/menus/{phone_number}", tag = "menus", operation_id = "delete_menu",
    params(("phone_number" = String, Path, description = "The number (E.164)")),
    responses((status = 204, description = "Deleted")))]
async fn delete_menu(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(phone_number): Path<String>,
) -> ApiResult<StatusCode> {
    menus::delete(&state.store, &scope, &phone_number).await?;
    Ok(StatusCode::NO_CONTENT)
}
