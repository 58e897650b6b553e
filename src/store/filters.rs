//! A list read's optional filters as SQL: conditions joined by `AND`, each value a numbered
//! parameter (`$1`, `$2`, … which both backends accept), then the keyset page.
//!
//! Only the conditions asked for are written, so each backend plans the query it is given
//! (a `($2 IS NULL OR status = $2)` form would hide the filter from PostgreSQL's generic plans).
//! Column names and operators come from the code, never from input: input is always bound.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe};

use super::ids::AccountId;
use super::page::PageRequest;

/// A value bound to one parameter.
#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Int(i64),
}

/// The `WHERE` of one list read, starting with its account.
#[derive(Debug)]
pub(crate) struct Conditions {
    conditions: Vec<String>,
    values: Vec<Value>,
}

impl Conditions {
    /// `account_id = $1`: every list read is confined to one account.
    pub(crate) fn of_account(account_id: &AccountId) -> Conditions {
        let mut conditions = Conditions {
            conditions: Vec::new(),
            values: Vec::new(),
        };
        let account = conditions.text(account_id.as_str());
        conditions.and(format!("account_id = {account}"));
        conditions
    }

    /// Binds `value` and returns its placeholder.
    pub(crate) fn text(&mut self, value: impl Into<String>) -> String {
        self.values.push(Value::Text(value.into()));
        format!("${}", self.values.len())
    }

    /// Binds `value` and returns its placeholder.
    pub(crate) fn int(&mut self, value: i64) -> String {
        self.values.push(Value::Int(value));
        format!("${}", self.values.len())
    }

    /// Adds a condition written with placeholders from [`Conditions::text`] / [`Conditions::int`].
    pub(crate) fn and(&mut self, condition: String) {
        self.conditions.push(condition);
    }

    /// `column = value`, when a value is given.
    pub(crate) fn text_eq(&mut self, column: &'static str, value: Option<&str>) {
        if let Some(value) = value {
            let param = self.text(value);
            self.and(format!("{column} = {param}"));
        }
    }

    /// `from <= column < to`, for the bounds given.
    pub(crate) fn int_range(&mut self, column: &'static str, from: Option<i64>, to: Option<i64>) {
        if let Some(from) = from {
            let param = self.int(from);
            self.and(format!("{column} >= {param}"));
        }
        if let Some(to) = to {
            let param = self.int(to);
            self.and(format!("{column} < {param}"));
        }
    }

    /// The whole statement: `SELECT columns FROM table WHERE … ORDER BY id DESC LIMIT …`, the
    /// newest rows first (ids are UUID v7: creation order) after the page's cursor, reading one
    /// row more than the page holds (see `Page::from_fetched`).
    pub(crate) fn page_query(
        mut self,
        columns: &str,
        table: &str,
        page: &PageRequest,
    ) -> Query<'static, Any, AnyArguments> {
        if let Some(after) = &page.after {
            let param = self.text(after.as_str());
            self.and(format!("id < {param}"));
        }
        let limit = self.int(page.fetch_limit());
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE {} ORDER BY id DESC LIMIT {limit}",
            self.conditions.join(" AND ")
        );
        self.bind_all(sql)
    }

    /// `SELECT columns FROM table WHERE … rest` with the values bound (`rest` may group or order).
    pub(crate) fn select(self, columns: &str, table: &str, rest: &str) -> Query<'static, Any, AnyArguments> {
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE {} {rest}",
            self.conditions.join(" AND ")
        );
        self.bind_all(sql)
    }

    fn bind_all(self, sql: String) -> Query<'static, Any, AnyArguments> {
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for value in self.values {
            query = match value {
                Value::Text(text) => query.bind(text),
                Value::Int(int) => query.bind(int),
            };
        }
        query
    }
}

/// `text` as a `LIKE` pattern matching it anywhere, its own `%`, `_` and `\` taken literally
/// (with `ESCAPE '\'`).
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("ana"), "%ana%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn only_the_filters_given_are_written_and_values_are_numbered_in_order() {
        let mut conditions = Conditions::of_account(&AccountId::from("acc"));
        conditions.text_eq("status", Some("confirmed"));
        conditions.text_eq("host_id", None);
        conditions.int_range("start_at", None, Some(10));
        assert_eq!(
            conditions.conditions,
            ["account_id = $1", "status = $2", "start_at < $3"]
        );
        assert_eq!(conditions.values.len(), 3);
    }
}
