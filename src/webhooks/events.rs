//! The events an account's endpoints subscribe to, and the body each delivery carries:
//! `{"id", "type", "created_at", "account_id", "data"}`.
//!
//! An event's id is fixed by what it is about (`evt_` and 32 hex digits of SHA-256 over, say,
//! `booking.created:<booking id>`), so the same change published twice (a retried request,
//! a second instance) is the same event, delivered once per endpoint.

use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::booking::Appointment;
use crate::store::{AccountId, AgentId, BookingStatus, CallDirection, CallRecord};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    BookingCreated,
    BookingRescheduled,
    BookingCancelled,
    CallEnded,
    SmsReceived,
}

impl EventType {
    /// Every event type, in the order they are listed.
    pub const ALL: [EventType; 5] = [
        EventType::BookingCreated,
        EventType::BookingRescheduled,
        EventType::BookingCancelled,
        EventType::CallEnded,
        EventType::SmsReceived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::BookingCreated => "booking.created",
            EventType::BookingRescheduled => "booking.rescheduled",
            EventType::BookingCancelled => "booking.cancelled",
            EventType::CallEnded => "call.ended",
            EventType::SmsReceived => "sms.received",
        }
    }

    /// The type named `name` exactly.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// One event of an account.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub kind: EventType,
    pub account_id: AccountId,
    pub created_at: Timestamp,
    pub data: Value,
}

impl Event {
    /// The event of `kind` about `subject` (a booking's, call's or message's id).
    pub fn new(
        kind: EventType,
        subject: &str,
        account_id: AccountId,
        created_at: Timestamp,
        data: Value,
    ) -> Event {
        Event {
            id: event_id(kind, subject),
            kind,
            account_id,
            created_at,
            data,
        }
    }

    /// The body every delivery of the event sends.
    pub fn payload(&self) -> String {
        json!({
            "id": self.id,
            "type": self.kind.as_str(),
            "created_at": self.created_at.to_string(),
            "account_id": self.account_id.as_str(),
            "data": self.data,
        })
        .to_string()
    }

    /// A booking made (or, `moved`, made in place of another), or cancelled.
    pub fn booking(
        kind: EventType,
        appointment: &Appointment,
        acting_agent: Option<&AgentId>,
        now: Timestamp,
    ) -> Event {
        let booking = &appointment.booking;
        let event_type = &appointment.event_type;
        let data = json!({
            "booking": {
                "id": booking.id.as_str(),
                "reference": booking.reference,
                "status": booking_status(booking.status),
                "start_at": booking.start_at.to_string(),
                "end_at": booking.end_at.to_string(),
                "timezone": booking.timezone,
                "host_id": booking.host_id.as_str(),
                "event_type": {
                    "id": event_type.id.as_str(),
                    "slug": event_type.slug,
                    "name": event_type.name,
                },
                "invitee": {
                    "name": booking.invitee_name,
                    "email": booking.invitee_email,
                    "phone": booking.invitee_phone,
                },
                "notes": booking.notes,
                "contact_id": booking.contact_id.as_ref().map(|id| id.as_str()),
                "rescheduled_from": booking.rescheduled_from.as_ref().map(|id| id.as_str()),
                "created_at": booking.created_at.to_string(),
            },
            "agent_id": acting_agent.map(|id| id.as_str()),
        });
        Event::new(kind, booking.id.as_str(), booking.account_id.clone(), now, data)
    }

    /// A call whose record was written.
    pub fn call_ended(call: &CallRecord, now: Timestamp) -> Event {
        let data = json!({
            "call": {
                "id": call.id.as_str(),
                "agent_id": call.agent_id.as_str(),
                "direction": match call.direction {
                    CallDirection::Inbound => "inbound",
                    CallDirection::Outbound => "outbound",
                },
                "from_number": call.from_number,
                "to_number": call.to_number,
                "started_at": call.started_at.to_string(),
                "ended_at": call.ended_at.map(|at| at.to_string()),
                "end_reason": call.end_reason,
                "duration_secs": call.duration.map(|duration| duration.as_secs()),
                "outcome": call.outcome.map(|outcome| outcome.as_str()),
                "booking_id": call.booking_id.as_ref().map(|id| id.as_str()),
            },
        });
        Event::new(
            EventType::CallEnded,
            call.id.as_str(),
            call.account_id.clone(),
            now,
            data,
        )
    }

    /// A text a caller sent to one of the account's numbers (`message_sid`: Twilio's id).
    pub fn sms_received(
        account_id: AccountId,
        message_sid: &str,
        from: &str,
        to: &str,
        body: &str,
        now: Timestamp,
    ) -> Event {
        let data = json!({
            "message": {
                "sid": message_sid,
                "from": from,
                "to": to,
                "body": body,
            },
        });
        Event::new(EventType::SmsReceived, message_sid, account_id, now, data)
    }
}

fn booking_status(status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Confirmed => "confirmed",
        BookingStatus::Cancelled => "cancelled",
        BookingStatus::Rescheduled => "rescheduled",
    }
}

/// `evt_` and 32 hex digits of SHA-256 over `"{type}:{subject}"`.
fn event_id(kind: EventType, subject: &str) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(format!("{}:{subject}", kind.as_str()));
    let mut id = String::with_capacity(36);
    id.push_str("evt_");
    for byte in &digest[..16] {
        let _ = write!(id, "{byte:02x}");
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_from_its_name_and_no_other_name_reads() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventType::parse("booking.Created"), None);
        assert_eq!(EventType::parse("booking.*"), None);
    }

    #[test]
    fn an_event_id_is_fixed_by_its_type_and_subject() {
        let at: Timestamp = "2026-03-10T14:00:00Z".parse().unwrap();
        let account = AccountId::from("acc");
        let a = Event::new(EventType::BookingCreated, "b1", account.clone(), at, json!({}));
        let again = Event::new(EventType::BookingCreated, "b1", account.clone(), at, json!({}));
        let cancelled = Event::new(EventType::BookingCancelled, "b1", account.clone(), at, json!({}));
        assert_eq!(a.id, again.id);
        assert_ne!(a.id, cancelled.id);
        assert!(a.id.starts_with("evt_") && a.id.len() == 36, "{}", a.id);
        let body: Value = serde_json::from_str(&a.payload()).unwrap();
        assert_eq!(body["type"], "booking.created");
        assert_eq!(body["account_id"], "acc");
        assert_eq!(body["created_at"], "2026-03-10T14:00:00Z");
        assert_eq!(body["id"], a.id.as_str());
    }
}
