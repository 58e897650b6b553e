//! Shared setup for the booking tool tests: the demo business on a fresh store, a toolbox on a
//! fixed clock, and helpers that call a tool and insist on success or on an error sentence.

#![allow(dead_code)]

use jiff::Timestamp;
use serde_json::{Value, json};
use switchboard::call::{ToolCall, ToolContext, ToolOutcome, ToolRegistry};
use switchboard::store::testing::unique_phone_number;
use switchboard::store::{Booking, Store};
use switchboard::tools::{DemoBusiness, FixedClock, Toolbox, seed_demo_business};

/// Monday, February 9, 2026, 7:00 AM in New York.
pub const NOW: &str = "2026-02-09T12:00:00Z";
pub const HOST_ZONE: &str = "America/New_York";
pub const CALLER: &str = "+14155550123";

pub fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The demo business and a toolbox acting as its agent on a call.
pub struct Demo {
    pub store: Store,
    pub business: DemoBusiness,
    pub toolbox: Toolbox,
    pub ctx: ToolContext,
}

pub async fn demo(store: &Store) -> Demo {
    demo_at(store, NOW).await
}

pub async fn demo_at(store: &Store, now: &str) -> Demo {
    let phone_number = unique_phone_number();
    let business = seed_demo_business(store, &phone_number, "agent_demo", HOST_ZONE)
        .await
        .expect("seed the demo business");
    let ctx = ToolContext {
        account_id: business.account_id.to_string(),
        agent_id: business.agent_id.to_string(),
        call_sid: "CA00000000000000000000000000000001".into(),
        caller_number: Some(CALLER.into()),
        called_number: Some(phone_number),
    };
    Demo {
        store: store.clone(),
        toolbox: Toolbox::with_clock(store.clone(), FixedClock(at(now))),
        business,
        ctx,
    }
}

/// `create_booking` parameters for a cleaning at `start_time` for Ana Diaz.
pub fn cleaning_at(start_time: &str) -> Value {
    json!({
        "event_type_slug": "cleaning",
        "start_time": start_time,
        "invitee_name": "Ana Diaz",
        "invitee_email": "ana@example.com",
    })
}

pub fn call(name: &str, parameters: Value) -> ToolCall {
    call_with_id(&uuid::Uuid::new_v4().to_string(), name, parameters)
}

pub fn call_with_id(id: &str, name: &str, parameters: Value) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: name.into(),
        parameters,
    }
}

impl Demo {
    /// The same store and clock on another call: another agent, account or caller.
    pub fn on_call(&self, ctx: ToolContext) -> Demo {
        Demo {
            store: self.store.clone(),
            business: self.business.clone(),
            toolbox: self.toolbox.clone(),
            ctx,
        }
    }

    pub async fn outcome(&self, call: ToolCall) -> ToolOutcome {
        self.toolbox.call(&self.ctx, call).await
    }

    /// Runs the tool and returns its JSON reply; fails the test on an error outcome.
    pub async fn ok(&self, name: &str, parameters: Value) -> Value {
        self.ok_call(call(name, parameters)).await
    }

    pub async fn ok_call(&self, call: ToolCall) -> Value {
        let name = call.name.clone();
        let outcome = self.outcome(call).await;
        assert!(!outcome.is_error, "{name} failed: {}", outcome.result);
        assert!(!outcome.end_call);
        serde_json::from_str(&outcome.result)
            .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {}", outcome.result))
    }

    /// Runs the tool and returns its error sentence; fails the test if it succeeded.
    pub async fn err(&self, name: &str, parameters: Value) -> String {
        let outcome = self.outcome(call(name, parameters)).await;
        assert!(outcome.is_error, "{name} should have failed: {}", outcome.result);
        outcome.result
    }

    pub async fn booking(&self, reference: &str) -> Booking {
        self.store
            .booking_by_reference(&self.business.account_id, reference)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no booking {reference}"))
    }

    /// Confirmed bookings of the host in `[from, to)`.
    pub async fn confirmed(&self, from: &str, to: &str) -> Vec<Booking> {
        self.store
            .confirmed_bookings_overlapping(
                &self.business.account_id,
                &self.business.host_id,
                at(from),
                at(to),
            )
            .await
            .unwrap()
    }
}
