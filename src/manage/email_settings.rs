//! The account's email settings as it manages them: the address its call summaries go to
//! (none: no summaries), checked for the shape of an address.

use jiff::Timestamp;

use crate::store::Store;

use super::Scope;
use super::error::ManageResult;
use super::input;

/// The account's email settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    pub summary_to: Option<String>,
}

pub async fn get(store: &Store, scope: &Scope) -> ManageResult<EmailSettings> {
    Ok(EmailSettings {
        summary_to: store.summary_address(&scope.account_id).await?,
    })
}

/// Sets the summaries' address (refused naming `summary_to` unless it reads as one), or
/// clears it.
pub async fn put(
    store: &Store,
    scope: &Scope,
    summary_to: Option<&str>,
    now: Timestamp,
) -> ManageResult<EmailSettings> {
    let summary_to = summary_to
        .map(|address| input::email("summary_to", address))
        .transpose()?;
    store
        .set_summary_address(&scope.account_id, summary_to.as_deref(), now)
        .await?;
    Ok(EmailSettings { summary_to })
}
