//! Number menus as stored: a prompt and up to four choices in front of an account's agents,
//! on a number of the account's own (`number_menus`, `number_menu_choices`).
//!
//! A number answers either by a menu or by an agent, never both. Both writes check the other
//! table inside their transaction, after taking the number's lock: on SQLite the write lock
//! (`BEGIN IMMEDIATE`), on PostgreSQL an advisory lock on the number, so two requests giving
//! the same number to a menu and to an agent at once cannot both succeed. What a caller's key
//! or words pick is the `telephony::menu` module's job; this file only keeps the rows.

use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::Store;
use super::connect::Backend;
use super::error::{Constraint, StoreError, StoreResult};
use super::ids::{AccountId, AgentId};
use super::row;
use super::validate;

/// The most choices a menu offers (a caller remembers four).
pub const MAX_MENU_CHOICES: usize = 4;

/// A number's menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberMenu {
    /// The number called (E.164); the menu's key.
    pub phone_number: String,
    pub account_id: AccountId,
    /// What the caller hears first (the choices are said after it).
    pub prompt: String,
    /// By digit.
    pub choices: Vec<MenuChoice>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One choice of a menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuChoice {
    /// The key that picks it, 1 to 9.
    pub digit: u8,
    /// How the choice is said ("sales"); saying it picks the choice too.
    pub label: String,
    /// Other words or phrases that pick it when said.
    pub keywords: Vec<String>,
    pub target: MenuTarget,
}

/// Where a choice sends the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuTarget {
    /// One of the account's agents, answered as a call to it.
    Agent(AgentId),
    /// A person, dialled at this E.164 number.
    Person(String),
}

/// A menu as written: it replaces the number's menu whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMenu {
    pub phone_number: String,
    pub prompt: String,
    pub choices: Vec<MenuChoice>,
}

impl NewMenu {
    fn validate(&self) -> StoreResult<()> {
        validate::e164("phone number", &self.phone_number)?;
        validate::not_blank("prompt", &self.prompt)?;
        if self.choices.is_empty() || self.choices.len() > MAX_MENU_CHOICES {
            return Err(StoreError::invalid(
                "choices",
                format!("a menu has 1 to {MAX_MENU_CHOICES} choices"),
            ));
        }
        let mut digits = Vec::with_capacity(self.choices.len());
        for choice in &self.choices {
            if !(1..=9).contains(&choice.digit) || digits.contains(&choice.digit) {
                return Err(StoreError::invalid(
                    "choices",
                    "each choice has its own digit, 1 to 9",
                ));
            }
            digits.push(choice.digit);
            validate::not_blank("label", &choice.label)?;
            if let MenuTarget::Person(number) = &choice.target {
                validate::e164("dial number", number)?;
            }
        }
        Ok(())
    }
}

macro_rules! menu_columns {
    () => {
        "phone_number, account_id, prompt, created_at, updated_at"
    };
}

impl Store {
    /// Sets the number's menu (replacing the one it had): the menu and whether it is new.
    /// `Conflict(AgentPhoneNumber)` when an agent answers the number, `Conflict(MenuPhoneNumber)`
    /// when another account's menu does; `NotFound` for a target agent that is not the
    /// account's (or is deleted).
    pub async fn put_menu(&self, account_id: &AccountId, menu: NewMenu) -> StoreResult<(NumberMenu, bool)> {
        menu.validate()?;
        let mut tx = self.begin_write().await?;
        lock_number(&mut tx, self.backend(), &menu.phone_number).await?;
        let agent_has_it: Option<String> =
            sqlx::query_scalar("SELECT id FROM agents WHERE phone_number = $1 AND deleted_at IS NULL")
                .bind(&menu.phone_number)
                .fetch_optional(&mut *tx)
                .await?;
        if agent_has_it.is_some() {
            return Err(StoreError::Conflict {
                constraint: Constraint::AgentPhoneNumber,
            });
        }
        for choice in &menu.choices {
            if let MenuTarget::Agent(agent_id) = &choice.target {
                let live: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM agents WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL",
                )
                .bind(account_id.as_str())
                .bind(agent_id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                if live.is_none() {
                    return Err(StoreError::NotFound { what: "agent" });
                }
            }
        }
        let before = sqlx::query(concat!(
            "SELECT ",
            menu_columns!(),
            " FROM number_menus WHERE phone_number = $1"
        ))
        .bind(&menu.phone_number)
        .fetch_optional(&mut *tx)
        .await?;
        let now = row::now();
        let created_at = match &before {
            Some(before) if row::text(before, "account_id")? != account_id.as_str() => {
                return Err(StoreError::Conflict {
                    constraint: Constraint::MenuPhoneNumber,
                });
            }
            Some(before) => Some(row::instant(before, "created_at")?),
            None => None,
        };
        match created_at {
            Some(_) => {
                sqlx::query("UPDATE number_menus SET prompt = $2, updated_at = $3 WHERE phone_number = $1")
                    .bind(&menu.phone_number)
                    .bind(&menu.prompt)
                    .bind(row::millis(now))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM number_menu_choices WHERE phone_number = $1")
                    .bind(&menu.phone_number)
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO number_menus (phone_number, account_id, prompt, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4)",
                )
                .bind(&menu.phone_number)
                .bind(account_id.as_str())
                .bind(&menu.prompt)
                .bind(row::millis(now))
                .execute(&mut *tx)
                .await?;
            }
        }
        let mut choices = menu.choices;
        choices.sort_by_key(|choice| choice.digit);
        for choice in &choices {
            let (agent_id, dial_number) = match &choice.target {
                MenuTarget::Agent(id) => (Some(id.as_str()), None),
                MenuTarget::Person(number) => (None, Some(number.as_str())),
            };
            sqlx::query(
                "INSERT INTO number_menu_choices \
                 (phone_number, account_id, digit, label, keywords, agent_id, dial_number) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&menu.phone_number)
            .bind(account_id.as_str())
            .bind(i64::from(choice.digit))
            .bind(&choice.label)
            .bind(keywords_text(&choice.keywords))
            .bind(agent_id)
            .bind(dial_number)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let stored = NumberMenu {
            phone_number: menu.phone_number,
            account_id: account_id.clone(),
            prompt: menu.prompt,
            choices,
            created_at: created_at.unwrap_or(now),
            updated_at: now,
        };
        Ok((stored, created_at.is_none()))
    }

    /// The account's menu on `phone_number`: `NotFound` when it has none there.
    pub async fn menu(&self, account_id: &AccountId, phone_number: &str) -> StoreResult<NumberMenu> {
        match self.menu_by_number(phone_number).await? {
            Some(menu) if &menu.account_id == account_id => Ok(menu),
            _ => Err(StoreError::NotFound { what: "menu" }),
        }
    }

    /// The account's menus, by number.
    pub async fn menus(&self, account_id: &AccountId) -> StoreResult<Vec<NumberMenu>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            menu_columns!(),
            " FROM number_menus WHERE account_id = $1 ORDER BY phone_number"
        ))
        .bind(account_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut menus = Vec::with_capacity(rows.len());
        for menu in &rows {
            menus.push(self.with_choices(menu).await?);
        }
        Ok(menus)
    }

    /// Removes the account's menu on `phone_number`: `NotFound` when it has none there.
    pub async fn delete_menu(&self, account_id: &AccountId, phone_number: &str) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let owned: Option<String> = sqlx::query_scalar(
            "SELECT phone_number FROM number_menus WHERE phone_number = $1 AND account_id = $2",
        )
        .bind(phone_number)
        .bind(account_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound { what: "menu" });
        }
        sqlx::query("DELETE FROM number_menu_choices WHERE phone_number = $1")
            .bind(phone_number)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM number_menus WHERE phone_number = $1")
            .bind(phone_number)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The menu a call to `phone_number` hears, in whichever account it is (the call path).
    pub async fn menu_by_number(&self, phone_number: &str) -> StoreResult<Option<NumberMenu>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            menu_columns!(),
            " FROM number_menus WHERE phone_number = $1"
        ))
        .bind(phone_number)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(menu) => Ok(Some(self.with_choices(&menu).await?)),
            None => Ok(None),
        }
    }

    async fn with_choices(&self, menu: &AnyRow) -> StoreResult<NumberMenu> {
        let phone_number = row::text(menu, "phone_number")?;
        let rows = sqlx::query(
            "SELECT digit, label, keywords, agent_id, dial_number FROM number_menu_choices \
             WHERE phone_number = $1 ORDER BY digit",
        )
        .bind(&phone_number)
        .fetch_all(&self.pool)
        .await?;
        Ok(NumberMenu {
            phone_number,
            account_id: AccountId::from(row::text(menu, "account_id")?),
            prompt: row::text(menu, "prompt")?,
            choices: row::all(rows, choice_from_row)?,
            created_at: row::instant(menu, "created_at")?,
            updated_at: row::instant(menu, "updated_at")?,
        })
    }
}

fn choice_from_row(choice: &AnyRow) -> StoreResult<MenuChoice> {
    let target = match (
        row::opt_text(choice, "agent_id")?,
        row::opt_text(choice, "dial_number")?,
    ) {
        (Some(agent_id), None) => MenuTarget::Agent(AgentId::from(agent_id)),
        (None, Some(number)) => MenuTarget::Person(number),
        _ => return Err(StoreError::invalid("number_menu_choices", "not one target")),
    };
    let keywords = row::text(choice, "keywords")?;
    Ok(MenuChoice {
        digit: row::count(choice, "digit")?,
        label: row::text(choice, "label")?,
        keywords: serde_json::from_str(&keywords)
            .map_err(|e| StoreError::invalid("number_menu_choices.keywords", e.to_string()))?,
        target,
    })
}

fn keywords_text(keywords: &[String]) -> String {
    serde_json::to_string(keywords).unwrap_or_else(|_| "[]".into())
}

/// Takes the number's lock for the rest of the transaction: a menu and an agent given the
/// same number at once are written one after the other (SQLite's write lock already does it).
async fn lock_number(conn: &mut AnyConnection, backend: Backend, phone_number: &str) -> StoreResult<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('number_menus:' || $1))::text")
            .bind(phone_number)
            .fetch_one(conn)
            .await?;
    }
    Ok(())
}

/// Inside an agent's write: `Conflict(MenuPhoneNumber)` when `phone_number` has a menu.
pub(super) async fn refuse_menu_number(
    conn: &mut AnyConnection,
    backend: Backend,
    phone_number: &str,
) -> StoreResult<()> {
    lock_number(conn, backend, phone_number).await?;
    let menu: Option<String> =
        sqlx::query_scalar("SELECT phone_number FROM number_menus WHERE phone_number = $1")
            .bind(phone_number)
            .fetch_optional(conn)
            .await?;
    match menu {
        Some(_) => Err(StoreError::Conflict {
            constraint: Constraint::MenuPhoneNumber,
        }),
        None => Ok(()),
    }
}
