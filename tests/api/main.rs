//! The management REST API over real HTTP against a running server, on SQLite and PostgreSQL.

mod accounts;
mod agents;
mod calendar;
mod calendar_agent;
mod calendar_refusals;
mod support;
