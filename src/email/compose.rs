//! The emails a booking change sends, written from its facts, pure: to the invitee (when the
//! booking has an address) a confirmation, a reschedule or a cancellation with the calendar
//! invitation attached (`invitation`), and to the host (when the host has an address) a
//! notice of the same change.
//!
//! Each email's idempotency key is `booking:<booking id>:<change>:<recipient>`, so the same
//! change reported twice enqueues it once. Invitee emails give the time on the invitee's clock
//! (the booking's zone), host notices on the host's; the invitation is on the host's.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::invitation::{Invitation, Method, Party};
use super::templates::{EmailKind, EmailTemplate};
use crate::booking::ChangeKind;
use crate::store::{AccountId, Booking, EmailAttachment, Host, NewEmail};

/// The attachment's file name.
pub const INVITATION_FILE: &str = "invite.ics";

/// What a booking change's emails are written from.
#[derive(Debug, Clone)]
pub struct BookingFacts<'a> {
    pub account_id: &'a AccountId,
    /// The business's name.
    pub business: &'a str,
    pub change: ChangeKind,
    /// The booking as it is now (for a reschedule, the new one).
    pub booking: &'a Booking,
    /// For a reschedule, the booking it replaced.
    pub previous: Option<&'a Booking>,
    pub meeting_type: &'a str,
    pub host: &'a Host,
    /// The id of the booking the appointment was first made as, and how often it moved.
    pub first_booking_id: &'a str,
    pub moves: u32,
    /// The invitation's organizer: the business's sending address.
    pub organizer: Party,
    /// When the change was made (the invitation's DTSTAMP).
    pub changed_at: Timestamp,
}

/// The emails of `facts`, each from its kind's template as `template` gives it.
pub fn booking_emails(
    facts: &BookingFacts<'_>,
    template: impl Fn(EmailKind) -> EmailTemplate,
) -> Vec<NewEmail> {
    let (invitee_kind, host_kind, word) = match facts.change {
        ChangeKind::Created => (
            EmailKind::InviteeConfirmation,
            EmailKind::HostConfirmation,
            "created",
        ),
        ChangeKind::Rescheduled => (
            EmailKind::InviteeReschedule,
            EmailKind::HostReschedule,
            "rescheduled",
        ),
        ChangeKind::Cancelled => (
            EmailKind::InviteeCancellation,
            EmailKind::HostCancellation,
            "cancelled",
        ),
    };
    let booking = facts.booking;
    let key = |recipient: &str| format!("booking:{}:{word}:{recipient}", booking.id.as_str());
    let mut emails = Vec::new();
    if let Some(address) = booking.invitee_email.as_deref().filter(|a| !a.trim().is_empty()) {
        let values = values(facts, &booking.timezone);
        if let Ok((subject, body)) = template(invitee_kind).render(&values) {
            let invitation = invitation(facts, address, &body);
            emails.push(NewEmail {
                account_id: facts.account_id.clone(),
                idempotency_key: key("invitee"),
                kind: invitee_kind.as_str().to_owned(),
                to_address: address.trim().to_owned(),
                to_name: Some(booking.invitee_name.clone()),
                subject,
                body,
                attachment: Some(EmailAttachment {
                    name: INVITATION_FILE.to_owned(),
                    content_type: format!(
                        "text/calendar; method={}; charset=utf-8",
                        match invitation.method {
                            Method::Request => "REQUEST",
                            Method::Cancel => "CANCEL",
                        }
                    ),
                    content: invitation.to_ics(),
                }),
            });
        }
    }
    if let Some(address) = facts.host.email.as_deref().filter(|a| !a.trim().is_empty()) {
        let values = values(facts, &facts.host.timezone);
        if let Ok((subject, body)) = template(host_kind).render(&values) {
            emails.push(NewEmail {
                account_id: facts.account_id.clone(),
                idempotency_key: key("host"),
                kind: host_kind.as_str().to_owned(),
                to_address: address.trim().to_owned(),
                to_name: Some(facts.host.name.clone()),
                subject,
                body,
                attachment: None,
            });
        }
    }
    emails
}

fn invitation(facts: &BookingFacts<'_>, address: &str, description: &str) -> Invitation {
    let cancelled = facts.change == ChangeKind::Cancelled;
    Invitation {
        method: if cancelled {
            Method::Cancel
        } else {
            Method::Request
        },
        first_booking_id: facts.first_booking_id.to_owned(),
        sequence: facts.moves + u32::from(cancelled),
        start: facts.booking.start_at,
        end: facts.booking.end_at,
        timezone: facts.host.timezone.clone(),
        summary: format!("{} with {}", facts.meeting_type, facts.business),
        description: description.to_owned(),
        organizer: facts.organizer.clone(),
        attendee: Party {
            name: facts.booking.invitee_name.clone(),
            email: address.trim().to_owned(),
        },
        stamp: facts.changed_at,
    }
}

/// Every booking variable, with times on the clock of `zone_name`.
fn values<'a>(facts: &BookingFacts<'_>, zone_name: &str) -> BTreeMap<&'a str, String> {
    let zone = TimeZone::get(zone_name).unwrap_or(TimeZone::UTC);
    let booking = facts.booking;
    let start = booking.start_at.to_zoned(zone.clone());
    let minutes = booking.end_at.duration_since(booking.start_at).as_secs() / 60;
    let or_none = |value: Option<&str>| {
        value
            .filter(|v| !v.trim().is_empty())
            .unwrap_or("none")
            .to_owned()
    };
    let mut values = BTreeMap::from([
        ("business", facts.business.to_owned()),
        ("invitee_name", booking.invitee_name.clone()),
        ("invitee_email", or_none(booking.invitee_email.as_deref())),
        ("invitee_phone", or_none(booking.invitee_phone.as_deref())),
        ("host_name", facts.host.name.clone()),
        ("meeting_type", facts.meeting_type.to_owned()),
        ("date", start.strftime("%A %-d %B %Y").to_string()),
        ("time", start.strftime("%H:%M").to_string()),
        ("timezone", zone_name.to_owned()),
        ("duration_minutes", minutes.to_string()),
        ("reference", booking.reference.clone()),
        ("notes", or_none(booking.notes.as_deref())),
    ]);
    if let Some(previous) = facts.previous {
        let before = previous.start_at.to_zoned(zone);
        values.insert("previous_date", before.strftime("%A %-d %B %Y").to_string());
        values.insert("previous_time", before.strftime("%H:%M").to_string());
    } else {
        values.insert("previous_date", "unknown".to_owned());
        values.insert("previous_time", "unknown".to_owned());
    }
    values
}
