//! `upsert_contact` and `log_call`: what the agent learns about a caller, and how the call went,
//! in the account's CRM log.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::booking::Scope;
use crate::call::ToolContext;
use crate::store::{ActivityKind, Contact, ContactUpsert, NewActivity, Store};

use super::definition::{Definition, parameters_of};
use super::error::{ToolError, ToolResult};
use super::params;

const MAX_DISPOSITION_CHARS: usize = 64;
const MAX_SUMMARY_CHARS: usize = 4000;

pub(crate) const UPSERT_CONTACT: Definition = Definition {
    name: "upsert_contact",
    description: "Saves the caller's name and email against their phone number.",
    parameters: parameters_of::<ContactParams>,
};

pub(crate) const LOG_CALL: Definition = Definition {
    name: "log_call",
    description: "Records how the call went, once, before it ends.",
    parameters: parameters_of::<LogParams>,
};

#[derive(Debug, Deserialize, JsonSchema)]
struct ContactParams {
    /// The person's full name.
    name: Option<String>,
    /// Phone number with country code, like +14155550123.
    #[schemars(required)]
    phone: Option<String>,
    /// The person's email address.
    email: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct LogParams {
    /// The outcome of the call.
    #[schemars(required, with = "Option<Disposition>")]
    disposition: Option<String>,
    /// One or two sentences on what the caller wanted and what was done.
    summary: Option<String>,
}

/// The outcomes the schema offers the LLM for `disposition`. The tool itself takes any short
/// word (lowercased), so the field is read as text and this type only shapes its schema.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
#[expect(dead_code, reason = "never built: only its schema is used")]
enum Disposition {
    Booked,
    Rescheduled,
    Cancelled,
    Information,
    MessageTaken,
    Transferred,
    NoAction,
    Other,
}

#[derive(Debug, Serialize)]
pub struct ContactView {
    pub contact_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub phone: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CallLogged {
    pub logged: bool,
    pub disposition: String,
    /// The caller's contact the entry was filed under; absent for a withheld number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
}

pub(crate) async fn upsert_contact(
    store: &Store,
    scope: &Scope,
    parameters: &Value,
) -> ToolResult<ContactView> {
    let params: ContactParams = params::parse(parameters)?;
    let phone = params::phone(params::required(&params.phone, "the phone number")?)?;
    let name = params::free_text(&params.name, "name", params::MAX_NAME_CHARS)?;
    let email = params::given(&params.email).map(params::email).transpose()?;
    let contact = store
        .upsert_contact(&scope.account_id, ContactUpsert { phone, name, email })
        .await?;
    Ok(view(contact))
}

fn view(contact: Contact) -> ContactView {
    ContactView {
        contact_id: contact.id.into_string(),
        name: contact.name,
        phone: contact.phone,
        email: contact.email,
    }
}

pub(crate) async fn log_call(
    store: &Store,
    scope: &Scope,
    ctx: &ToolContext,
    parameters: &Value,
) -> ToolResult<CallLogged> {
    let params: LogParams = params::parse(parameters)?;
    let disposition = params::required(&params.disposition, "the outcome of the call (disposition)")?;
    if disposition.chars().count() > MAX_DISPOSITION_CHARS {
        return Err(ToolError::bad_input(
            "The disposition should be a word or two, like booked or information.",
        ));
    }
    let disposition = disposition.to_ascii_lowercase();
    let summary = params::free_text(&params.summary, "summary", MAX_SUMMARY_CHARS)?;
    // A withheld or malformed caller id still gets the call noted in the CRM log, just not on a contact.
    let caller = ctx
        .caller_number
        .as_deref()
        .and_then(|number| params::phone(number).ok());
    let contact = match caller {
        Some(phone) => Some(
            store
                .upsert_contact(
                    &scope.account_id,
                    ContactUpsert {
                        phone,
                        name: None,
                        email: None,
                    },
                )
                .await?,
        ),
        None => None,
    };
    let line = match &summary {
        Some(summary) => format!("Call ({disposition}): {summary}"),
        None => format!("Call ({disposition})"),
    };
    store
        .insert_activity(
            &scope.account_id,
            NewActivity {
                contact_id: contact.as_ref().map(|contact| contact.id.clone()),
                kind: ActivityKind::Call,
                summary: line,
                detail: Some(json!({
                    "disposition": disposition,
                    "summary": summary,
                    "call_sid": ctx.call_sid,
                    "agent_id": scope.agent_id.as_ref().map(|agent| agent.as_str()),
                    "caller_number": ctx.caller_number,
                })),
            },
        )
        .await?;
    Ok(CallLogged {
        logged: true,
        disposition,
        contact_id: contact.map(|contact| contact.id.into_string()),
    })
}
