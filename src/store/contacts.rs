//! Contacts: the people who call or are booked, one per phone number within an account.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::filters::{Conditions, contains_pattern};
use super::ids::{AccountId, ContactId};
use super::page::{Page, PageRequest};
use super::row;
use super::validate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: ContactId,
    pub account_id: AccountId,
    pub name: Option<String>,
    /// E.164; unique within the account.
    pub phone: String,
    pub email: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What is known about a contact now. `None` fields leave a stored value alone, so a caller who
/// gives only their name does not erase the email a previous call recorded.
#[derive(Debug, Clone)]
pub struct ContactUpsert {
    pub phone: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// A new contact, as given: its phone must not be another contact's in the account.
#[derive(Debug, Clone)]
pub struct NewContact {
    pub phone: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// Changes to a contact: `None` leaves a field alone; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct ContactChanges {
    pub phone: Option<String>,
    pub name: Option<Option<String>>,
    pub email: Option<Option<String>>,
}

macro_rules! contact_columns {
    () => {
        "id, account_id, name, phone, email, created_at, updated_at"
    };
}

impl Contact {
    fn from_row(row: &AnyRow) -> StoreResult<Contact> {
        Ok(Contact {
            id: row::text(row, "id")?.into(),
            account_id: row::text(row, "account_id")?.into(),
            name: row::opt_text(row, "name")?,
            phone: row::text(row, "phone")?,
            email: row::opt_text(row, "email")?,
            created_at: row::instant(row, "created_at")?,
            updated_at: row::instant(row, "updated_at")?,
        })
    }
}

impl Store {
    /// Creates the account's contact for this phone number, or updates the existing one, in one
    /// statement (safe when two calls from the same number race); returns the stored row.
    pub async fn upsert_contact(
        &self,
        account_id: &AccountId,
        upsert: ContactUpsert,
    ) -> StoreResult<Contact> {
        validate::e164("contact phone", &upsert.phone)?;
        let now = row::millis(row::now());
        let row = sqlx::query(concat!(
            "INSERT INTO contacts (",
            contact_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (account_id, phone) DO UPDATE SET \
               name = COALESCE(excluded.name, contacts.name), \
               email = COALESCE(excluded.email, contacts.email), \
               updated_at = excluded.updated_at \
             RETURNING ",
            contact_columns!()
        ))
        .bind(ContactId::generate().as_str())
        .bind(account_id.as_str())
        .bind(upsert.name.as_deref())
        .bind(&upsert.phone)
        .bind(upsert.email.as_deref())
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Contact::from_row(&row)
    }

    pub async fn contact(&self, account_id: &AccountId, id: &ContactId) -> StoreResult<Contact> {
        let row = sqlx::query(concat!(
            "SELECT ",
            contact_columns!(),
            " FROM contacts WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "contact", Contact::from_row)
    }

    /// The account's contact for a caller's number, if known.
    pub async fn contact_by_phone(
        &self,
        account_id: &AccountId,
        phone: &str,
    ) -> StoreResult<Option<Contact>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            contact_columns!(),
            " FROM contacts WHERE account_id = $1 AND phone = $2"
        ))
        .bind(account_id.as_str())
        .bind(phone)
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, Contact::from_row)
    }
}

impl Store {
    /// Adds a contact; a phone number the account already has is `Conflict(ContactPhone)`.
    pub async fn insert_contact(&self, account_id: &AccountId, new: NewContact) -> StoreResult<Contact> {
        validate::e164("phone", &new.phone)?;
        let now = row::millis(row::now());
        let row = sqlx::query(concat!(
            "INSERT INTO contacts (",
            contact_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING ",
            contact_columns!()
        ))
        .bind(ContactId::generate().as_str())
        .bind(account_id.as_str())
        .bind(new.name.as_deref())
        .bind(&new.phone)
        .bind(new.email.as_deref())
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Contact::from_row(&row)
    }

    /// Applies `changes` to the account's contact `id` and returns it as stored. A phone number
    /// another contact of the account has is `Conflict(ContactPhone)`.
    pub async fn update_contact(
        &self,
        account_id: &AccountId,
        id: &ContactId,
        changes: ContactChanges,
    ) -> StoreResult<Contact> {
        if let Some(phone) = &changes.phone {
            validate::e164("phone", phone)?;
        }
        // A flag per optional field says whether to write it, so NULL can be written on purpose.
        let row = sqlx::query(concat!(
            "UPDATE contacts SET phone = COALESCE($3, phone), \
               name = CASE WHEN $4 = 1 THEN $5 ELSE name END, \
               email = CASE WHEN $6 = 1 THEN $7 ELSE email END, \
               updated_at = $8 \
             WHERE account_id = $1 AND id = $2 RETURNING ",
            contact_columns!()
        ))
        .bind(account_id.as_str())
        .bind(id.as_str())
        .bind(changes.phone.as_deref())
        .bind(i64::from(changes.name.is_some()))
        .bind(changes.name.flatten())
        .bind(i64::from(changes.email.is_some()))
        .bind(changes.email.flatten())
        .bind(row::millis(row::now()))
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "contact", Contact::from_row)
    }

    /// A page of the account's contacts, the most recently added first; with `search`, only
    /// those whose name contains it (in any case; SQLite folds ASCII letters only) or, for a
    /// search written like a number, whose number contains its digits.
    pub async fn contacts(
        &self,
        account_id: &AccountId,
        search: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<Contact>> {
        let mut conditions = Conditions::of_account(account_id);
        if let Some(search) = search.map(str::trim).filter(|search| !search.is_empty()) {
            let name = conditions.text(contains_pattern(&search.to_lowercase()));
            let mut matches = vec![format!("LOWER(COALESCE(name, '')) LIKE {name} ESCAPE '\\'")];
            // A search written like a phone number ("+49 30 12") also matches numbers by digits.
            let phone_like = search
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '(' | ')'));
            let digits: String = search.chars().filter(char::is_ascii_digit).collect();
            if phone_like && !digits.is_empty() {
                let phone = conditions.text(contains_pattern(&digits));
                matches.push(format!("phone LIKE {phone} ESCAPE '\\'"));
            }
            conditions.and(format!("({})", matches.join(" OR ")));
        }
        let rows = conditions
            .page_query(contact_columns!(), "contacts", page)
            .fetch_all(&self.pool)
            .await?;
        let contacts = row::all(rows, Contact::from_row)?;
        Ok(Page::from_fetched(contacts, page, |contact| contact.id.as_str()))
    }
}
