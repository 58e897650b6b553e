//! `switchboard admin`: the built binary run against a database, on SQLite and PostgreSQL.

mod accounts;
mod agents;
mod calendar;
mod errors;
mod keys;
mod phone;
mod plans;
mod provisioning;
mod server;
mod support;
