//! The management REST API over real HTTP against a running server, on SQLite and PostgreSQL.

mod accounts;
mod bookings;
mod business;
mod calls;
mod contacts;
mod support;
