//! The management REST API over real HTTP against a running server, on SQLite and PostgreSQL.

mod accounts;
mod after_call;
mod agents;
mod analytics;
mod bookings;
mod business;
mod calendar;
mod calendar_agent;
mod calendar_radicale;
mod calendar_refusals;
mod calendar_sources;
mod calendar_writeback;
mod call_record;
mod calls;
mod consent;
mod contacts;
mod email;
mod email_templates;
mod error_shape;
mod host_feeds;
mod isolation;
mod menus;
mod openapi;
mod phone;
mod phone_failures;
mod phone_support;
mod post_call_audio;
mod post_call_reconciler;
mod post_call_webhooks;
mod provisioned_call;
mod provisioning;
#[path = "../sdk/python.rs"]
#[allow(dead_code)] // the SDK checks' finders are used by the sdk binary
mod python;
mod python_ics_feed;
mod python_signed_webhooks;
mod recordings;
mod sms_templates;
mod support;
mod texts_in;
mod transfer;
mod webhooks;
mod workspace_webhook;
