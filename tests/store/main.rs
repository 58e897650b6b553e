//! Storage on SQLite and on PostgreSQL: the schema and its setup, connections, the booking
//! transaction under concurrent writers, the CRM log, and the queries on a call's path.

mod agents;
mod booking_tx;
mod calendar;
mod calendar_writes;
mod call_admission;
mod call_path;
mod call_records;
mod call_transcripts;
mod connect;
mod crm;
mod health;
mod menus;
mod metering;
mod numbers;
mod post_call_reports;
mod records;
mod setup;
mod sms;
mod transfers;
