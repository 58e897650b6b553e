//! The CRM log: what happened with a contact (calls, bookings, messages, notes), newest last.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::filters::Conditions;
use super::ids::{AccountId, ActivityId, ContactId};
use super::page::{Page, PageRequest};
use super::row;
use super::validate;

/// What an activity records. Kinds this build does not know are kept as they are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityKind {
    Call,
    Booking,
    Sms,
    Note,
    Other(String),
}

impl ActivityKind {
    pub fn as_str(&self) -> &str {
        match self {
            ActivityKind::Call => "call",
            ActivityKind::Booking => "booking",
            ActivityKind::Sms => "sms",
            ActivityKind::Note => "note",
            ActivityKind::Other(kind) => kind,
        }
    }

    fn from_stored(kind: String) -> ActivityKind {
        match kind.as_str() {
            "call" => ActivityKind::Call,
            "booking" => ActivityKind::Booking,
            "sms" => ActivityKind::Sms,
            "note" => ActivityKind::Note,
            _ => ActivityKind::Other(kind),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: ActivityId,
    pub account_id: AccountId,
    pub contact_id: Option<ContactId>,
    pub kind: ActivityKind,
    /// One line for a list view.
    pub summary: String,
    /// Structured detail (a call's transcript summary, a booking's id), stored as JSON text.
    pub detail: Option<serde_json::Value>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewActivity {
    pub contact_id: Option<ContactId>,
    pub kind: ActivityKind,
    pub summary: String,
    pub detail: Option<serde_json::Value>,
}

macro_rules! activity_columns {
    () => {
        "id, account_id, contact_id, kind, summary, detail, created_at"
    };
}

impl Activity {
    fn from_row(row: &AnyRow) -> StoreResult<Activity> {
        let detail = row::opt_text(row, "detail")?
            .map(|json| {
                serde_json::from_str(&json)
                    .map_err(|e| StoreError::invalid("detail", format!("not JSON: {e}")))
            })
            .transpose()?;
        Ok(Activity {
            id: row::text(row, "id")?.into(),
            account_id: row::text(row, "account_id")?.into(),
            contact_id: row::opt_text(row, "contact_id")?.map(ContactId::from),
            kind: ActivityKind::from_stored(row::text(row, "kind")?),
            summary: row::text(row, "summary")?,
            detail,
            created_at: row::instant(row, "created_at")?,
        })
    }
}

impl Store {
    /// Appends to the log. A contact of another account is refused with `Conflict(ForeignKey)`.
    pub async fn insert_activity(&self, account_id: &AccountId, new: NewActivity) -> StoreResult<Activity> {
        insert_activity_with(&self.pool, account_id, new).await
    }

    /// The contact's most recent `limit` activities, oldest first.
    pub async fn activities_for_contact(
        &self,
        account_id: &AccountId,
        contact_id: &ContactId,
        limit: u32,
    ) -> StoreResult<Vec<Activity>> {
        // Ids are time-ordered (UUID v7), so they break ties between equal timestamps.
        let rows = sqlx::query(concat!(
            "SELECT ",
            activity_columns!(),
            " FROM activities WHERE account_id = $1 AND contact_id = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(account_id.as_str())
        .bind(contact_id.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut activities = row::all(rows, Activity::from_row)?;
        activities.reverse();
        Ok(activities)
    }

    /// A page of the contact's activities, the most recent first.
    pub async fn contact_activities(
        &self,
        account_id: &AccountId,
        contact_id: &ContactId,
        page: &PageRequest,
    ) -> StoreResult<Page<Activity>> {
        let mut conditions = Conditions::of_account(account_id);
        conditions.text_eq("contact_id", Some(contact_id.as_str()));
        let rows = conditions
            .page_query(activity_columns!(), "activities", page)
            .fetch_all(&self.pool)
            .await?;
        let activities = row::all(rows, Activity::from_row)?;
        Ok(Page::from_fetched(activities, page, |activity| {
            activity.id.as_str()
        }))
    }
}

/// Appends to the log through `executor`: the pool, or a transaction that writes more.
pub(super) async fn insert_activity_with<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account_id: &AccountId,
    new: NewActivity,
) -> StoreResult<Activity> {
    validate::not_blank("activity kind", new.kind.as_str())?;
    let activity = Activity {
        id: ActivityId::generate(),
        account_id: account_id.clone(),
        contact_id: new.contact_id,
        kind: new.kind,
        summary: new.summary,
        detail: new.detail,
        created_at: row::now(),
    };
    let detail = activity.detail.as_ref().map(serde_json::Value::to_string);
    sqlx::query(concat!(
        "INSERT INTO activities (",
        activity_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(activity.id.as_str())
    .bind(activity.account_id.as_str())
    .bind(activity.contact_id.as_ref().map(ContactId::as_str))
    .bind(activity.kind.as_str())
    .bind(&activity.summary)
    .bind(detail)
    .bind(row::millis(activity.created_at))
    .execute(executor)
    .await?;
    Ok(activity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_including_unknown_ones() {
        for kind in [
            ActivityKind::Call,
            ActivityKind::Booking,
            ActivityKind::Sms,
            ActivityKind::Note,
        ] {
            assert_eq!(ActivityKind::from_stored(kind.as_str().to_owned()), kind);
        }
        let unknown = ActivityKind::from_stored("email".to_owned());
        assert_eq!(unknown, ActivityKind::Other("email".to_owned()));
        assert_eq!(unknown.as_str(), "email");
    }
}
