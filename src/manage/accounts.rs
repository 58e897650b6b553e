//! Accounts and plans, the operator's side: an account made with its first key, its plan
//! changed, a plan's limits edited. And the account's own view: its plan and billing period.

use jiff::Timestamp;

use super::billing::{BillingPeriod, billing_period};
use super::error::{ManageError, ManageResult};
use super::keys::{IssuedKey, Keys};
use crate::store::{
    Account, AccountChange, AccountId, NewAccount, Page, PageRequest, Plan, PlanChange, Store,
};

const MAX_ACCOUNT_NAME_CHARS: usize = 100;
/// Long enough for any booking page's address, short enough to read out.
const MAX_BOOKING_URL_CHARS: usize = 500;
/// A hundred years: the longest transcript retention taken (null keeps them for good).
const MAX_TRANSCRIPT_RETENTION_DAYS: u32 = 36_500;

/// A new account, as the operator asks for it.
#[derive(Debug, Clone)]
pub struct AccountRequest {
    pub name: String,
    pub plan: String,
    pub timezone: String,
    /// The name of the account's first API key.
    pub key_name: String,
}

/// An account with what it is on now.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub account: Account,
    pub plan: Plan,
    pub period: BillingPeriod,
}

#[derive(Clone)]
pub struct Accounts {
    store: Store,
    keys: Keys,
}

impl Accounts {
    pub fn new(store: Store) -> Accounts {
        Accounts {
            keys: Keys::new(store.clone()),
            store,
        }
    }

    /// Makes an account and its first key (shown once).
    pub async fn create(&self, request: AccountRequest) -> ManageResult<(Account, IssuedKey)> {
        check_name(&request.name)?;
        // Checked before the account is made, so a bad key name leaves no account behind.
        super::keys::checked_name(&request.key_name, "key_name")?;
        let account = self
            .store
            .create_account_in(
                NewAccount {
                    name: request.name.trim().to_owned(),
                    plan: request.plan,
                },
                &request.timezone,
            )
            .await?;
        let key = self.keys.issue(Some(&account.id), &request.key_name).await?;
        Ok((account, key))
    }

    pub async fn list(&self, page: &PageRequest) -> ManageResult<Page<Account>> {
        Ok(self.store.accounts(page).await?)
    }

    pub async fn get(&self, id: &AccountId, now: Timestamp) -> ManageResult<AccountView> {
        let account = self.store.account(id).await?;
        let plan = self.store.account_plan(id).await?;
        let period = period_of(&account, now)?;
        Ok(AccountView {
            account,
            plan,
            period,
        })
    }

    pub async fn update(&self, id: &AccountId, change: AccountChange) -> ManageResult<Account> {
        if let Some(name) = &change.name {
            check_name(name)?;
        }
        if let Some(Some(url)) = &change.booking_url {
            check_booking_url(url)?;
        }
        if let Some(Some(days)) = change.transcript_retention_days
            && !(1..=MAX_TRANSCRIPT_RETENTION_DAYS).contains(&days)
        {
            return Err(ManageError::invalid(
                "transcript_retention_days",
                format!("must be 1 to {MAX_TRANSCRIPT_RETENTION_DAYS} days, or null to keep transcripts"),
            ));
        }
        Ok(self.store.update_account(id, change).await?)
    }

    pub async fn plans(&self) -> ManageResult<Vec<Plan>> {
        Ok(self.store.plans().await?)
    }

    pub async fn update_plan(&self, name: &str, change: PlanChange) -> ManageResult<Plan> {
        Ok(self.store.update_plan(name, change).await?)
    }
}

/// The account's billing period that contains `now`.
pub fn period_of(account: &Account, now: Timestamp) -> ManageResult<BillingPeriod> {
    let zone = crate::timezone::zone(&account.timezone)
        .map_err(|refused| ManageError::invalid("timezone", refused.to_string()))?;
    Ok(billing_period(account.created_at, &zone, now))
}

/// A booking page callers can be sent to: an absolute `http` or `https` address.
fn check_booking_url(url: &str) -> ManageResult<()> {
    let invalid = |message: &str| ManageError::invalid("booking_url", message.to_owned());
    if url.chars().count() > MAX_BOOKING_URL_CHARS {
        return Err(invalid(&format!(
            "must be at most {MAX_BOOKING_URL_CHARS} characters"
        )));
    }
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => Ok(()),
        _ => Err(invalid(
            "must be an absolute http or https address, like https://example.com/book",
        )),
    }
}

fn check_name(name: &str) -> ManageResult<()> {
    let chars = name.trim().chars().count();
    if chars == 0 || chars > MAX_ACCOUNT_NAME_CHARS {
        return Err(ManageError::invalid(
            "name",
            format!("must be 1 to {MAX_ACCOUNT_NAME_CHARS} characters"),
        ));
    }
    Ok(())
}
