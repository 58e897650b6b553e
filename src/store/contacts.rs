//! Contacts: the people who call or are booked, one per phone number within an account.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::ids::{AccountId, ContactId};
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
