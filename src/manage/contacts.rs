//! An account's contacts (one per phone number, the same rows the agent's `upsert_contact`
//! writes): listed and searched, read, created, changed, and each one's CRM log.

use crate::store::{Activity, Contact, ContactChanges, ContactId, NewContact, Page, PageRequest, Store};

use super::Scope;
use super::error::{ManageError, ManageResult};
use super::input;

/// The longest search text taken.
pub const MAX_SEARCH_CHARS: usize = 100;

/// A contact to add.
#[derive(Debug, Clone, Default)]
pub struct NewContactInput {
    /// E.164.
    pub phone: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// Changes to a contact: an absent field is left alone, `Some(None)` (JSON `null`) clears
/// the name or the email. The phone can be changed, not cleared.
#[derive(Debug, Clone, Default)]
pub struct ContactPatch {
    pub phone: Option<Option<String>>,
    pub name: Option<Option<String>>,
    pub email: Option<Option<String>>,
}

/// A page of the account's contacts, the most recently added first; `search` keeps those whose
/// name contains it or whose number contains its digits.
pub async fn list(
    store: &Store,
    scope: &Scope,
    search: Option<&str>,
    page: &PageRequest,
) -> ManageResult<Page<Contact>> {
    let search = input::optional_text("search", search, MAX_SEARCH_CHARS)?;
    Ok(store.contacts(&scope.account_id, search.as_deref(), page).await?)
}

pub async fn get(store: &Store, scope: &Scope, id: &str) -> ManageResult<Contact> {
    Ok(store.contact(&scope.account_id, &ContactId::from(id)).await?)
}

/// Adds a contact; a number the account already has is a conflict (`contact_exists`).
pub async fn create(store: &Store, scope: &Scope, new: NewContactInput) -> ManageResult<Contact> {
    let phone = input::phone("phone", &input::required_text("phone", new.phone.as_deref(), 20)?)?;
    let new = NewContact {
        phone,
        name: input::optional_text("name", new.name.as_deref(), input::MAX_NAME_CHARS)?,
        email: new
            .email
            .as_deref()
            .map(|email| input::email("email", email))
            .transpose()?,
    };
    Ok(store.insert_contact(&scope.account_id, new).await?)
}

/// Applies `patch` to the account's contact `id`.
pub async fn update(store: &Store, scope: &Scope, id: &str, patch: ContactPatch) -> ManageResult<Contact> {
    let changes = ContactChanges {
        phone: match patch.phone {
            None => None,
            Some(None) => return Err(ManageError::invalid("phone", "can be changed, not cleared")),
            Some(Some(phone)) => Some(input::phone("phone", &phone)?),
        },
        name: patch
            .name
            .map(|name| input::optional_text("name", name.as_deref(), input::MAX_NAME_CHARS))
            .transpose()?,
        email: patch
            .email
            .map(|email| {
                email
                    .as_deref()
                    .map(|email| input::email("email", email))
                    .transpose()
            })
            .transpose()?,
    };
    Ok(store
        .update_contact(&scope.account_id, &ContactId::from(id), changes)
        .await?)
}

/// A page of the CRM log of the account's contact `id`, the most recent first. Another
/// account's contact is not found, not an empty log.
pub async fn activities(
    store: &Store,
    scope: &Scope,
    id: &str,
    page: &PageRequest,
) -> ManageResult<Page<Activity>> {
    let contact = store.contact(&scope.account_id, &ContactId::from(id)).await?;
    Ok(store
        .contact_activities(&scope.account_id, &contact.id, page)
        .await?)
}
