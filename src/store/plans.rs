//! Plans: named sets of limits an account is on (agents, monthly minutes, numbers, concurrent
//! calls), seeded with free, pro and business and editable by the operator.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::ids::AccountId;
use super::row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub name: String,
    /// Agents an account on this plan may have.
    pub max_agents: u32,
    /// Connected minutes per billing period; `None` for unlimited.
    pub monthly_minutes: Option<u32>,
    /// Whether the account's agents may have dedicated phone numbers.
    pub phone_numbers: bool,
    /// Calls of the account up at once.
    pub max_concurrent_calls: u32,
    pub updated_at: Timestamp,
}

/// A change to a plan's limits; `None` leaves a limit as it is.
#[derive(Debug, Clone, Default)]
pub struct PlanChange {
    pub max_agents: Option<u32>,
    /// `Some(None)` makes the minutes unlimited.
    pub monthly_minutes: Option<Option<u32>>,
    pub phone_numbers: Option<bool>,
    pub max_concurrent_calls: Option<u32>,
}

macro_rules! plan_columns {
    () => {
        "name, max_agents, monthly_minutes, phone_numbers, max_concurrent_calls, updated_at"
    };
}

impl Plan {
    fn from_row(row: &AnyRow) -> StoreResult<Plan> {
        Ok(Plan {
            name: row::text(row, "name")?,
            max_agents: row::count(row, "max_agents")?,
            monthly_minutes: row::opt_count(row, "monthly_minutes")?,
            phone_numbers: row::flag(row, "phone_numbers")?,
            max_concurrent_calls: row::count(row, "max_concurrent_calls")?,
            updated_at: row::instant(row, "updated_at")?,
        })
    }
}

impl Store {
    pub async fn plans(&self) -> StoreResult<Vec<Plan>> {
        let rows = sqlx::query(concat!("SELECT ", plan_columns!(), " FROM plans ORDER BY name"))
            .fetch_all(&self.pool)
            .await?;
        row::all(rows, Plan::from_row)
    }

    pub async fn plan(&self, name: &str) -> StoreResult<Plan> {
        let row = sqlx::query(concat!("SELECT ", plan_columns!(), " FROM plans WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row::required(row, "plan", Plan::from_row)
    }

    /// The plan the account is on. An account whose plan name has no row (a plan removed by
    /// hand) is an error naming it, rather than an account without limits.
    pub async fn account_plan(&self, account_id: &AccountId) -> StoreResult<Plan> {
        let row = sqlx::query(
            "SELECT p.name, p.max_agents, p.monthly_minutes, p.phone_numbers, p.max_concurrent_calls, \
             p.updated_at FROM plans p JOIN accounts a ON a.plan = p.name WHERE a.id = $1",
        )
        .bind(account_id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        match row::optional(row, Plan::from_row)? {
            Some(plan) => Ok(plan),
            None => {
                let account = self.account(account_id).await?;
                Err(StoreError::invalid(
                    "plan",
                    format!("the account's plan {:?} does not exist", account.plan),
                ))
            }
        }
    }

    pub async fn update_plan(&self, name: &str, change: PlanChange) -> StoreResult<Plan> {
        let mut plan = self.plan(name).await?;
        if let Some(max_agents) = change.max_agents {
            plan.max_agents = max_agents;
        }
        if let Some(minutes) = change.monthly_minutes {
            plan.monthly_minutes = minutes;
        }
        if let Some(numbers) = change.phone_numbers {
            plan.phone_numbers = numbers;
        }
        if let Some(calls) = change.max_concurrent_calls {
            plan.max_concurrent_calls = calls;
        }
        plan.updated_at = row::now();
        sqlx::query(
            "UPDATE plans SET max_agents = $2, monthly_minutes = $3, phone_numbers = $4, \
             max_concurrent_calls = $5, updated_at = $6 WHERE name = $1",
        )
        .bind(name)
        .bind(i64::from(plan.max_agents))
        .bind(plan.monthly_minutes.map(i64::from))
        .bind(i64::from(plan.phone_numbers))
        .bind(i64::from(plan.max_concurrent_calls))
        .bind(row::millis(plan.updated_at))
        .execute(&self.pool)
        .await?;
        Ok(plan)
    }
}
