//! The booking tools an ElevenLabs voice agent calls during a phone call: meeting types, open
//! times, bookings, contacts and the CRM log of the call, run in-process against the store.
//!
//! [`Toolbox`] implements the call layer's [`ToolRegistry`]: it dispatches a `client_tool_call`
//! by name and answers with JSON text, or with an error sentence the agent can say to the
//! caller; it never panics on bad input. Each tool reads the parameters in the forgiving forms
//! an LLM sends (`params`), runs a use case of [`crate::booking`] (or the store directly, for
//! contacts and the CRM log) and says what came back: the reply types below, or a sentence for
//! a refusal (`refusals`). Every tool is scoped to the call's account and agent; which meeting
//! types an agent may list, book and move is the booking module's rule. The same tools are
//! served over HTTP for ElevenLabs webhook tools by `http::tools`; [`schema`] describes them for
//! both.
//!
//! Each tool's module holds its `Definition` beside the tool: its name, its description and its
//! parameter type, from which schemars derives the JSON schema (`definition`); `?` marks the
//! parameters that may be left out.
//!
//! | tool | module | parameters | use case | reply |
//! |---|---|---|---|---|
//! | `list_event_types` | [`catalog`] | — | [`Scope::offered_event_types`](crate::booking::Scope::offered_event_types) | [`catalog::EventTypeList`] |
//! | `get_available_slots` | [`slots`] | `event_type_slug`, `date` or `date_from`+`date_to`, `timezone?` | [`booking::open_starts()`](crate::booking::open_starts()) | see [`slots`] |
//! | `create_booking` | [`book`] | `event_type_slug`, `start_time`, `invitee_name`, `invitee_email?`, `invitee_phone?`, `timezone?`, `notes?` | [`booking::create()`](crate::booking::create()) | [`book::Confirmation`] |
//! | `update_booking` | [`changes`] | `booking_id`, `start_time?`, `cancel?`, `timezone?` | [`booking::reschedule()`](crate::booking::reschedule()), [`booking::cancel()`](crate::booking::cancel()) | [`book::Confirmation`] or [`changes::Cancellation`] |
//! | `get_booking_details` | [`changes`] | `booking_id` | [`booking::find_by_reference()`](crate::booking::find_by_reference()) | [`changes::Details`] |
//! | `upsert_contact` | [`crm`] | `phone`, `name?`, `email?` | the store | [`crm::ContactView`] |
//! | `log_call` | [`crm`] | `disposition`, `summary?` | the store | [`crm::CallLogged`] |
//! | `record_consent` | [`consent`] | `consented` | the store (the call's row and timeline) | [`consent::ConsentRecorded`] |
//! | `transfer_call` | [`transfer`] | `reason`, `summary?` | the call's timeline; the session ends the stream as `transferred` | [`transfer::TransferStarted`] |
//!
//! `transfer_call` is a client tool only (like the session's `end_call`): it ends the stream.

pub mod book;
pub mod catalog;
pub mod changes;
mod clock;
pub mod consent;
pub mod crm;
mod definition;
mod error;
mod params;
mod refusals;
pub mod schema;
mod scope;
pub mod seed;
pub mod slots;
pub mod transfer;
pub mod view;

use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;
use jiff::Timestamp;
use serde::Serialize;

use crate::booking::BookingListeners;
use crate::call::tools::TRANSFER_CALL;
use crate::call::{CallControl, ToolCall, ToolContext, ToolOutcome, ToolRegistry};
use crate::store::Store;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{ToolError, ToolResult};
pub use schema::{ToolName, ToolSpec, elevenlabs_tools, tool_specs};
pub use seed::{DemoBusiness, seed_demo_business};

/// The booking tools over one store. Cheap to clone; one per process is enough.
#[derive(Clone)]
pub struct Toolbox {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Box<dyn Clock>,
    booking_listeners: BookingListeners,
}

impl std::fmt::Debug for Toolbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Toolbox")
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

impl Toolbox {
    /// Tools on the system clock.
    pub fn new(store: Store) -> Self {
        Toolbox::with_clock(store, SystemClock)
    }

    /// Tools whose "now" comes from `clock` (tests fix it).
    pub fn with_clock(store: Store, clock: impl Clock) -> Self {
        Toolbox {
            inner: Arc::new(Inner {
                store,
                clock: Box::new(clock),
                booking_listeners: BookingListeners::default(),
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// Who hears of the bookings the tools make, move and cancel.
    pub fn booking_listeners(&self) -> &BookingListeners {
        &self.inner.booking_listeners
    }

    /// Runs one booking tool and returns its reply as JSON text. `end_call` is not a booking
    /// tool: it is the call session's, see [`Toolbox::outcome`].
    pub async fn run(&self, ctx: &ToolContext, call: &ToolCall) -> ToolResult<String> {
        let tool = ToolName::parse(&call.name).ok_or_else(|| ToolError::UnknownTool(call.name.clone()))?;
        let scope = scope::of(ctx)?;
        let store = &self.inner.store;
        let parameters = &call.parameters;
        if !(parameters.is_object() || parameters.is_null()) {
            return Err(ToolError::BadInput(
                "The tool parameters must be an object of named values.".into(),
            ));
        }
        let now = self.now();
        match tool {
            ToolName::ListEventTypes => json(catalog::list_event_types(store, &scope).await?),
            ToolName::GetAvailableSlots => {
                json(slots::get_available_slots(store, &scope, parameters, now).await?)
            }
            ToolName::CreateBooking => {
                let caller = ctx.caller_number.as_deref();
                json(
                    book::create_booking(
                        store,
                        &self.inner.booking_listeners,
                        &scope,
                        parameters,
                        &call.id,
                        caller,
                        now,
                    )
                    .await?,
                )
            }
            ToolName::UpdateBooking => {
                match changes::update_booking(
                    store,
                    &self.inner.booking_listeners,
                    &scope,
                    parameters,
                    &call.id,
                    now,
                )
                .await?
                {
                    changes::Update::Cancelled(cancellation) => json(cancellation),
                    changes::Update::Rescheduled(confirmation) => json(confirmation),
                }
            }
            ToolName::GetBookingDetails => {
                json(changes::get_booking_details(store, &scope, parameters).await?)
            }
            ToolName::UpsertContact => json(crm::upsert_contact(store, &scope, parameters).await?),
            ToolName::LogCall => json(crm::log_call(store, &scope, ctx, parameters).await?),
            ToolName::RecordConsent => {
                json(consent::record_consent(store, &scope, ctx, parameters, now).await?)
            }
        }
    }

    /// The answer to send the agent: `end_call` as the call session defines it, every other
    /// tool through [`Toolbox::run`], errors as sentences.
    pub async fn outcome(&self, ctx: &ToolContext, call: &ToolCall) -> ToolOutcome {
        if let Some(outcome) = CallControl::outcome(call) {
            return outcome;
        }
        if call.name == TRANSFER_CALL {
            return transfer::outcome(&self.inner.store, ctx, call, self.now()).await;
        }
        let started = Instant::now();
        let result = self.run(ctx, call).await;
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        match result {
            Ok(reply) => {
                tracing::debug!(tool = %call.name, elapsed_ms, "tool answered");
                ToolOutcome::ok(reply)
            }
            Err(ToolError::UnknownTool(_)) => CallControl::unknown(call),
            Err(error) => {
                if error.is_internal() {
                    tracing::warn!(tool = %call.name, %error, elapsed_ms, "tool failed");
                } else {
                    tracing::debug!(tool = %call.name, %error, elapsed_ms, "tool refused");
                }
                ToolOutcome::error(error.sentence())
            }
        }
    }
}

impl ToolRegistry for Toolbox {
    fn call(&self, ctx: &ToolContext, call: ToolCall) -> BoxFuture<'static, ToolOutcome> {
        let toolbox = self.clone();
        let ctx = ctx.clone();
        Box::pin(async move { toolbox.outcome(&ctx, &call).await })
    }
}

fn json(reply: impl Serialize) -> ToolResult<String> {
    serde_json::to_string(&reply)
        .map_err(|error| ToolError::Internal(format!("reply not serializable: {error}")))
}
