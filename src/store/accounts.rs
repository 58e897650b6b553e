//! Accounts: the businesses using switchboard. Every other row belongs to one.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::ids::AccountId;
use super::row;
use super::validate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    /// The plan name; its limits are the metering layer's business.
    pub plan: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub plan: String,
}

impl Account {
    fn from_row(row: &AnyRow) -> StoreResult<Account> {
        Ok(Account {
            id: row::text(row, "id")?.into(),
            name: row::text(row, "name")?,
            plan: row::text(row, "plan")?,
            created_at: row::instant(row, "created_at")?,
        })
    }
}

impl Store {
    pub async fn create_account(&self, new: NewAccount) -> StoreResult<Account> {
        validate::not_blank("account name", &new.name)?;
        validate::not_blank("plan", &new.plan)?;
        let account = Account {
            id: AccountId::generate(),
            name: new.name,
            plan: new.plan,
            created_at: row::now(),
        };
        sqlx::query("INSERT INTO accounts (id, name, plan, created_at) VALUES ($1, $2, $3, $4)")
            .bind(account.id.as_str())
            .bind(&account.name)
            .bind(&account.plan)
            .bind(row::millis(account.created_at))
            .execute(&self.pool)
            .await?;
        Ok(account)
    }

    pub async fn account(&self, id: &AccountId) -> StoreResult<Account> {
        let row = sqlx::query("SELECT id, name, plan, created_at FROM accounts WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row::required(row, "account", Account::from_row)
    }
}
