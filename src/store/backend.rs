//! Which database a store talks to; the few places that differ by backend branch on it
//! (opening, locking, a migration's SQLite text).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}
