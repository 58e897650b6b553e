//! A number's menu, as the account manages it: set whole (a prompt and one to four choices,
//! each a key, a label and keywords for speech, and an agent of the account or a person to
//! dial), read, listed and removed. The number must be the account's to give (a plan with
//! phone numbers) and not an agent's.

use crate::store::{
    self, AgentId, MAX_MENU_CHOICES, MenuChoice, MenuTarget, NewMenu, NumberMenu, Store, StoreError,
};

use super::Scope;
use super::agent_fields::{self as fields, AgentAllowance};
use super::error::{ManageError, ManageResult};
use super::input;

/// The longest prompt.
pub const MAX_PROMPT_CHARS: usize = 500;
/// The longest label or keyword.
pub const MAX_PHRASE_CHARS: usize = 60;
/// The most keywords a choice has.
pub const MAX_KEYWORDS: usize = 10;

/// A menu as the client writes it.
#[derive(Debug, Clone, Default)]
pub struct MenuRequest {
    pub prompt: Option<String>,
    pub choices: Vec<ChoiceRequest>,
}

/// One choice as the client writes it: exactly one of `agent_id` and `dial_number`.
#[derive(Debug, Clone, Default)]
pub struct ChoiceRequest {
    pub digit: i64,
    pub label: Option<String>,
    pub keywords: Vec<String>,
    pub agent_id: Option<String>,
    pub dial_number: Option<String>,
}

/// Sets the menu of `phone_number`, replacing the one it had; whether it is new. A plan
/// without numbers is `PlanLimit`; a number an agent answers, or another account's menu has,
/// is a conflict.
pub async fn put(
    store: &Store,
    scope: &Scope,
    phone_number: &str,
    request: MenuRequest,
) -> ManageResult<(NumberMenu, bool)> {
    let menu = checked(store, scope, phone_number, request).await?;
    fields::may_have_phone_number(&AgentAllowance::from(
        &store.account_plan(&scope.account_id).await?,
    ))?;
    store
        .put_menu(&scope.account_id, menu)
        .await
        .map_err(|error| match error {
            StoreError::Conflict {
                constraint: store::Constraint::AgentPhoneNumber,
            } => ManageError::conflict(
                "number_has_agent",
                "An agent answers this phone number; take the number off the agent to give it a menu.",
            ),
            StoreError::Conflict {
                constraint: store::Constraint::MenuPhoneNumber,
            } => ManageError::conflict(
                "number_has_menu",
                "Another account's menu answers this phone number.",
            ),
            StoreError::NotFound { what: "agent" } => ManageError::invalid(
                "choices",
                "a chosen agent is not found in this account (was it just deleted?)",
            ),
            other => other.into(),
        })
}

pub async fn get(store: &Store, scope: &Scope, phone_number: &str) -> ManageResult<NumberMenu> {
    Ok(store.menu(&scope.account_id, phone_number).await?)
}

pub async fn list(store: &Store, scope: &Scope) -> ManageResult<Vec<NumberMenu>> {
    Ok(store.menus(&scope.account_id).await?)
}

pub async fn delete(store: &Store, scope: &Scope, phone_number: &str) -> ManageResult<()> {
    Ok(store.delete_menu(&scope.account_id, phone_number).await?)
}

/// The request as a menu, each refusal naming its field (`choices[1].digit`).
async fn checked(
    store: &Store,
    scope: &Scope,
    phone_number: &str,
    request: MenuRequest,
) -> ManageResult<NewMenu> {
    let phone_number = fields::phone_number("phone_number", phone_number)?;
    let prompt = input::required_text("prompt", request.prompt.as_deref(), MAX_PROMPT_CHARS)?;
    if request.choices.is_empty() || request.choices.len() > MAX_MENU_CHOICES {
        return Err(ManageError::invalid(
            "choices",
            format!("a menu has 1 to {MAX_MENU_CHOICES} choices"),
        ));
    }
    let mut choices: Vec<MenuChoice> = Vec::with_capacity(request.choices.len());
    for (index, choice) in request.choices.into_iter().enumerate() {
        let field = |name: &str| format!("choices[{index}].{name}");
        let digit = u8::try_from(choice.digit)
            .ok()
            .filter(|digit| (1..=9).contains(digit))
            .ok_or_else(|| ManageError::invalid(field("digit"), "a key from 1 to 9"))?;
        if choices.iter().any(|taken| taken.digit == digit) {
            return Err(ManageError::invalid(
                field("digit"),
                format!("another choice already has the key {digit}"),
            ));
        }
        let label = input::required_text(&field("label"), choice.label.as_deref(), MAX_PHRASE_CHARS)?;
        if choice.keywords.len() > MAX_KEYWORDS {
            return Err(ManageError::invalid(
                field("keywords"),
                format!("at most {MAX_KEYWORDS} keywords"),
            ));
        }
        let keywords = choice
            .keywords
            .iter()
            .enumerate()
            .map(|(k, word)| {
                input::required_text(
                    &format!("choices[{index}].keywords[{k}]"),
                    Some(word),
                    MAX_PHRASE_CHARS,
                )
            })
            .collect::<ManageResult<Vec<_>>>()?;
        let target = match (choice.agent_id, choice.dial_number) {
            (Some(agent_id), None) => {
                MenuTarget::Agent(agent_of(store, scope, &field("agent_id"), &agent_id).await?)
            }
            (None, Some(number)) => MenuTarget::Person(fields::phone_number(&field("dial_number"), &number)?),
            _ => {
                return Err(ManageError::invalid(
                    field("agent_id"),
                    "give either agent_id (one of your agents) or dial_number (a person), not both",
                ));
            }
        };
        choices.push(MenuChoice {
            digit,
            label,
            keywords,
            target,
        });
    }
    Ok(NewMenu {
        phone_number,
        prompt,
        choices,
    })
}

/// An agent of the scope's account; any other id (another account's, a deleted agent's) is
/// not found, a bad value of this field.
async fn agent_of(store: &Store, scope: &Scope, field: &str, value: &str) -> ManageResult<AgentId> {
    let id = AgentId::from(value);
    match store.agent(&scope.account_id, &id).await {
        Ok(agent) if agent.deleted_at.is_none() => Ok(id),
        Ok(_) | Err(StoreError::NotFound { .. }) => Err(ManageError::invalid(
            field,
            format!("agent {value:?} not found in this account"),
        )),
        Err(error) => Err(error.into()),
    }
}
