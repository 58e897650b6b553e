//! Accounts: the businesses using switchboard. Every other row belongs to one.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::ids::AccountId;
use super::page::{Page, PageRequest};
use super::row;
use super::validate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    /// The name of the plan the account is on (`Store::account_plan` reads its limits).
    pub plan: String,
    /// IANA zone in which the account's billing period turns.
    pub timezone: String,
    pub created_at: Timestamp,
    /// The business's online booking page, told to callers the agent cannot take.
    pub booking_url: Option<String>,
    /// The account records its calls: callers are asked for consent first.
    pub record_calls: bool,
    /// Call transcripts older than this many days are deleted; `None` keeps them.
    pub transcript_retention_days: Option<u32>,
    /// Card numbers, emails and phone numbers are replaced before a transcript is stored.
    pub redact_transcripts: bool,
    /// Days its calls' recordings are kept; `None` keeps them.
    pub recording_retention_days: Option<u32>,
    /// Callers get a text after their calls.
    pub sms_follow_ups: bool,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub plan: String,
}

/// A change to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub name: Option<String>,
    pub plan: Option<String>,
    pub timezone: Option<String>,
    /// `Some(None)` removes the booking page.
    pub booking_url: Option<Option<String>>,
    pub record_calls: Option<bool>,
    /// `Some(None)` keeps transcripts for good.
    pub transcript_retention_days: Option<Option<u32>>,
    pub redact_transcripts: Option<bool>,
    /// `Some(None)` keeps recordings for good.
    pub recording_retention_days: Option<Option<u32>>,
    pub sms_follow_ups: Option<bool>,
}

macro_rules! account_columns {
    () => {
        "id, name, plan, timezone, created_at, booking_url, record_calls, transcript_retention_days, \
         redact_transcripts, recording_retention_days, sms_follow_ups"
    };
}

impl Account {
    fn from_row(row: &AnyRow) -> StoreResult<Account> {
        Ok(Account {
            id: row::text(row, "id")?.into(),
            name: row::text(row, "name")?,
            plan: row::text(row, "plan")?,
            timezone: row::text(row, "timezone")?,
            created_at: row::instant(row, "created_at")?,
            booking_url: row::opt_text(row, "booking_url")?,
            record_calls: row::flag(row, "record_calls")?,
            transcript_retention_days: row::opt_count::<u32>(row, "transcript_retention_days")?,
            redact_transcripts: row::flag(row, "redact_transcripts")?,
            recording_retention_days: row::opt_count(row, "recording_retention_days")?,
            sms_follow_ups: row::flag(row, "sms_follow_ups")?,
        })
    }
}

impl Store {
    /// Creates an account in UTC; the plan must exist.
    pub async fn create_account(&self, new: NewAccount) -> StoreResult<Account> {
        self.create_account_in(new, "UTC").await
    }

    pub async fn create_account_in(&self, new: NewAccount, timezone: &str) -> StoreResult<Account> {
        validate::not_blank("account name", &new.name)?;
        validate::timezone(timezone)?;
        self.known_plan(&new.plan).await?;
        let account = Account {
            id: AccountId::generate(),
            name: new.name,
            plan: new.plan,
            timezone: timezone.to_owned(),
            created_at: row::now(),
            booking_url: None,
            record_calls: false,
            transcript_retention_days: None,
            redact_transcripts: false,
            recording_retention_days: None,
            sms_follow_ups: false,
        };
        sqlx::query(
            "INSERT INTO accounts (id, name, plan, timezone, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(account.id.as_str())
        .bind(&account.name)
        .bind(&account.plan)
        .bind(&account.timezone)
        .bind(row::millis(account.created_at))
        .execute(&self.pool)
        .await?;
        Ok(account)
    }

    pub async fn account(&self, id: &AccountId) -> StoreResult<Account> {
        let row = sqlx::query(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "account", Account::from_row)
    }

    /// Every account, oldest first.
    pub async fn accounts(&self, page: &PageRequest) -> StoreResult<Page<Account>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(page.after.as_deref().unwrap_or(""))
        .bind(page.fetch_limit())
        .fetch_all(&self.pool)
        .await?;
        let accounts = row::all(rows, Account::from_row)?;
        Ok(Page::from_fetched(accounts, page, |account| account.id.as_str()))
    }

    pub async fn update_account(&self, id: &AccountId, change: AccountChange) -> StoreResult<Account> {
        let mut account = self.account(id).await?;
        if let Some(name) = change.name {
            validate::not_blank("account name", &name)?;
            account.name = name;
        }
        if let Some(plan) = change.plan {
            self.known_plan(&plan).await?;
            account.plan = plan;
        }
        if let Some(timezone) = change.timezone {
            validate::timezone(&timezone)?;
            account.timezone = timezone;
        }
        if let Some(booking_url) = change.booking_url {
            account.booking_url = booking_url;
        }
        if let Some(record_calls) = change.record_calls {
            account.record_calls = record_calls;
        }
        if let Some(days) = change.transcript_retention_days {
            if days == Some(0) {
                return Err(StoreError::invalid(
                    "transcript_retention_days",
                    "must be at least 1 day (or null to keep transcripts)",
                ));
            }
            account.transcript_retention_days = days;
        }
        if let Some(redact) = change.redact_transcripts {
            account.redact_transcripts = redact;
        }
        if let Some(days) = change.recording_retention_days {
            if days == Some(0) {
                return Err(StoreError::invalid(
                    "recording_retention_days",
                    "must be at least 1 day (or null to keep recordings)",
                ));
            }
            account.recording_retention_days = days;
        }
        if let Some(on) = change.sms_follow_ups {
            account.sms_follow_ups = on;
        }
        sqlx::query(
            "UPDATE accounts SET name = $2, plan = $3, timezone = $4, booking_url = $5, \
             record_calls = $6, transcript_retention_days = $7, redact_transcripts = $8, \
             recording_retention_days = $9, sms_follow_ups = $10 WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(&account.name)
        .bind(&account.plan)
        .bind(&account.timezone)
        .bind(account.booking_url.as_deref())
        .bind(i64::from(account.record_calls))
        .bind(account.transcript_retention_days.map(i64::from))
        .bind(i64::from(account.redact_transcripts))
        .bind(account.recording_retention_days.map(i64::from))
        .bind(i64::from(account.sms_follow_ups))
        .execute(&self.pool)
        .await?;
        // The call path keeps each line's account (its booking page, its zone) with its agent.
        self.agents_changed();
        Ok(account)
    }

    async fn known_plan(&self, name: &str) -> StoreResult<()> {
        match self.plan(name).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound { .. }) => {
                let known: Vec<String> = self.plans().await?.into_iter().map(|plan| plan.name).collect();
                Err(StoreError::invalid(
                    "plan",
                    format!("{name:?} is not a plan; the plans are {}", known.join(", ")),
                ))
            }
            Err(other) => Err(other),
        }
    }
}
