//! What an admin command prints on stdout: with `--json`, exactly one JSON document (the REST
//! API's body for the same thing); without it, aligned tables and `key: value` lines for people.
//!
//! Text for people has its control characters escaped, so a name stored through the API cannot
//! move the operator's cursor or recolour the terminal.

use std::io::Write;

use serde::Serialize;

/// Where and how a command's result goes.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `body` as JSON, or what `human` makes of it.
    pub fn emit<T: Serialize>(&self, body: &T, human: impl FnOnce(&T) -> String) -> anyhow::Result<()> {
        let text = if self.json {
            let mut text = serde_json::to_string_pretty(body)?;
            text.push('\n');
            text
        } else {
            human(body)
        };
        let mut stdout = std::io::stdout().lock();
        match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
            // A reader that stopped early (`| head`) is not a failure of the command.
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => Ok(other?),
        }
    }
}

/// What a `delete` prints (the API answers 204 with no body): the id, and that it is gone.
#[derive(Debug, Serialize)]
pub struct Deleted {
    pub id: String,
    pub deleted: bool,
}

impl Deleted {
    pub fn emit(out: Output, what: &str, id: String) -> anyhow::Result<()> {
        let deleted = Deleted { id, deleted: true };
        out.emit(&deleted, |deleted| format!("deleted {what} {}\n", deleted.id))
    }
}

/// `label: value` lines, the values aligned.
pub fn fields<L: AsRef<str>>(pairs: &[(L, String)]) -> String {
    let width = pairs
        .iter()
        .map(|(label, _)| label.as_ref().chars().count())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (label, value) in pairs {
        let label = label.as_ref();
        let pad = width - label.chars().count();
        text.push_str(&format!("{label}:{:pad$} {}\n", "", clean(value)));
    }
    text
}

/// A table: a header row and one row per item, columns aligned; `none` when there are no rows.
pub fn table(headers: &[&str], rows: &[Vec<String>], none: &str) -> String {
    if rows.is_empty() {
        return format!("{none}\n");
    }
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| clean(cell)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|header| header.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let header_cells: Vec<String> = headers.iter().map(|header| header.to_string()).collect();
    for row in std::iter::once(&header_cells).chain(&rows) {
        let mut line = String::new();
        for (index, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if index + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = width - cell.chars().count();
                line.push_str(&format!("{cell}{:pad$}  ", ""));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// A value that may be absent, as a person reads it.
pub fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}

/// Control characters escaped (`\u{1b}`), the rest as it is.
fn clean(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_their_columns_and_escape_control_characters() {
        let text = table(
            &["ID", "NAME", "PLAN"],
            &[
                vec!["1".into(), "Harbor Dental".into(), "pro".into()],
                vec!["22".into(), "Évora\u{1b}[31m".into(), "free".into()],
            ],
            "no accounts",
        );
        assert_eq!(
            text,
            "ID  NAME             PLAN\n\
             1   Harbor Dental    pro\n\
             22  Évora\\u{1b}[31m  free\n"
        );
        assert_eq!(table(&["ID"], &[], "no accounts"), "no accounts\n");
    }

    #[test]
    fn fields_align_their_values() {
        let text = fields(&[("id", "a1".into()), ("timezone", "UTC".into())]);
        assert_eq!(text, "id:       a1\ntimezone: UTC\n");
    }
}
