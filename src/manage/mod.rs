//! Running a business without SQL: the application layer that the REST API (`http::api`) and
//! the operator's CLI (`cli::admin`) share. Each file is one resource's use cases: its input
//! checked (a clear error naming the field), the account's plan applied, the store called.
//!
//! Every use case takes a [`Scope`], the account a key belongs to, and never reads or writes
//! another account's rows: a row of another account is simply not found. Rules with time in them
//! take `now` as an argument.

pub mod accounts;
pub mod agent_fields;
mod agent_hours;
pub mod agent_provisioning;
#[cfg(test)]
mod agent_tests;
pub mod agents;
pub mod analytics;
pub mod availability;
pub mod billing;
pub mod bookings;
mod calendar_input;
pub mod calendar_sources;
pub mod calls;
pub mod contacts;
pub mod email_settings;
pub mod email_templates;
mod error;
pub mod event_types;
pub mod host_feeds;
pub mod hosts;
pub mod idempotency;
pub mod input;
pub mod keys;
pub mod menus;
pub mod phone;
pub mod schedules;
pub mod sms_templates;
pub mod transcript_retention;
pub mod usage;
pub mod webhook_endpoints;

pub use accounts::{AccountRequest, AccountView, Accounts};
pub use agent_fields::AgentAllowance;
pub use agent_hours::{HoursPatch, active_hours, read_back as read_active_hours, set_active_hours};
pub use agents::Agents;
pub use billing::{BillingPeriod, billing_period};
pub use error::{ManageError, ManageResult};
pub use keys::{Caller, IssuedKey, Keys, Rejection};

use crate::store::AccountId;

/// The account a request acts for: every read and write is confined to its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account_id: AccountId,
}

impl Scope {
    pub fn new(account_id: AccountId) -> Scope {
        Scope { account_id }
    }
}
