//! Storage: sqlx with runtime queries on SQLite (default) or PostgreSQL; one portable schema.
//!
//! Everything shared between calls and instances lives here: accounts, agents, hosts and their
//! schedules, event types, bookings, contacts, the CRM log and the call records. Both backends run
//! the same SQL through sqlx's Any driver (see migrations/0001_init.sql for the encodings).
//! Every read of an account's data takes the account id and never returns another account's
//! rows. Double booking is prevented by the database (see `host_tx`), not by process memory.

mod accounts;
mod activities;
mod agent_changes;
mod agent_hours;
mod agent_numbers;
mod agents;
mod analytics;
mod api_keys;
mod backend;
mod bookings;
mod calendar_busy;
mod calendar_sources;
mod calendar_writes;
mod call_admission;
mod call_consent;
mod call_events;
mod call_log;
mod call_outcome;
mod call_progress;
mod call_recordings;
mod call_timeline;
mod call_transcripts;
mod calls;
mod connect;
mod contacts;
mod elevenlabs_audio;
mod elevenlabs_tools;
mod elevenlabs_webhooks;
mod email_outbox;
mod email_settings;
mod email_templates;
mod error;
mod event_types;
mod filters;
mod health;
mod host_feeds;
mod host_tx;
mod hosts;
mod idempotency;
mod ids;
mod in_use;
mod initiation_failures;
mod menus;
mod migrate;
mod number_holds;
mod opening_ranges;
mod page;
mod plans;
mod post_call;
mod post_call_fetches;
mod provisioning;
#[cfg(test)]
mod query_plans;
mod row;
mod schedule;
mod sms_opt_outs;
mod sms_outbox;
mod sms_templates;
mod stream_tokens;
pub mod testing;
mod transfers;
mod twilio_numbers;
mod usage;
mod validate;
mod webhook_deliveries;
mod webhook_endpoints;

pub use accounts::{Account, AccountChange, NewAccount};
pub use activities::{Activity, ActivityKind, NewActivity};
pub use agent_changes::AgentChanges;
pub use agent_hours::{AfterHoursMode, AgentHours};
pub use agent_numbers::{GivenUp, NewAgentNumber};
pub use agents::{Agent, FallbackMode, NewAgent};
pub use analytics::{AgentMinutes, CallFigures, TextFigures};
pub use api_keys::{ApiKey, NewApiKey};
pub use bookings::{
    Booking, BookingFilter, BookingStatus, REFERENCE_ALPHABET, REFERENCE_LEN, normalize_reference,
};
pub use calendar_busy::ExternalBusy;
pub use calendar_sources::{CalendarSource, CalendarSourceKind, FetchRecord, NewCalendarSource};
pub use calendar_writes::{CalendarWrite, NewCalendarWrite, WriteAction, WriteStatus};
pub use call_admission::CallAdmission;
pub use call_events::{CallEvent, CallEventKind, NewCallEvent};
pub use call_log::CallFilter;
pub use call_outcome::{CallOutcome, UnknownOutcome};
pub use call_progress::CallProgress;
pub use call_recordings::{CallRecording, NewCallRecording};
pub use call_timeline::CallTimeline;
pub use call_transcripts::{CallTurn, ToolTurn, TurnRole};
pub use calls::{
    CARRIER_END_REASON, CallDirection, CallRecord, CallUpdate, LOST_END_REASON, LostCalls, NewCallRecord,
};
pub use connect::{Backend, PoolUsage, Store, StoreOptions, redact_url, sqlite_file};
pub use contacts::{Contact, ContactChanges, ContactUpsert, NewContact};
pub use elevenlabs_audio::{ConversationCall, ElevenLabsAudio, NewElevenLabsAudio};
pub use elevenlabs_webhooks::KeptWebhook;
pub use email_outbox::{EmailAttachment, EmailJob, EmailStatus, NewEmail};
pub use email_templates::StoredEmailTemplate;
pub use error::{Constraint, StoreError, StoreResult};
pub use event_types::{EventType, EventTypeUpdate, NewEventType};
pub use host_feeds::{FeedBooking, HostFeed};
pub use host_tx::{HostTx, NewBooking};
pub use hosts::{Host, HostUpdate, NewHost};
pub use idempotency::IdempotentStart;
pub use ids::CallEventId;
pub use ids::{
    AccountId, ActivityId, AgentId, ApiKeyId, BookingId, CallId, ContactId, EventTypeId, HostId,
    ProvisioningRunId,
};
pub use in_use::{Deletion, InUse};
pub use menus::{MAX_MENU_CHOICES, MenuChoice, MenuTarget, NewMenu, NumberMenu};
pub use migrate::latest_version as latest_schema_version;
pub use number_holds::NumberHold;
pub use opening_ranges::{MinuteRange, WeeklyRange};
pub use opening_ranges::{
    RangeProblem, check_day_ranges, check_range, check_weekly_ranges, clock_time, weekday_name,
};
pub use page::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, Page, PageRequest};
pub use plans::{Plan, PlanChange};
pub use post_call::PostCallAnalysis;
pub use post_call_fetches::{MissingReport, MissingReportQuery};
pub use provisioning::{ProvisioningRun, ProvisioningStep, RunState, StepState};
pub use schedule::{Blackout, DateOverride};
pub use sms_opt_outs::OptOutSource;
pub use sms_outbox::{NewSms, SmsJob, SmsStatus};
pub use sms_templates::SmsTemplate;
pub use transfers::TransferRequest;
pub use twilio_numbers::{AgentNumber, NumberHooks};
pub use usage::{Outcome, TOP_OUTCOMES, Usage};
pub(crate) use validate::is_e164;
pub use webhook_deliveries::{DeliveryStatus, NewDelivery, WebhookDelivery};
pub use webhook_endpoints::{NewWebhookEndpoint, WebhookEndpoint};
