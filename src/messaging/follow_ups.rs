//! The follow-up text a call earns: chosen by its outcome, written from the account's template
//! (or the built-in one) and enqueued once per call.
//!
//! `FollowUps::call_ended` is the entry point the rest of the app calls at a call's end. The
//! text goes from the agent's number (an inbound call's `to_number`) to the caller (its
//! `from_number`). A booking's date and time are written in the booking's own time zone (the
//! invitee's), and its reschedule link is the account's booking page; an account without one
//! gets the number to call back instead. The job's idempotency key is `follow_up:<call id>`,
//! so calling this again for the same call (a retry, a redelivered webhook, two instances)
//! enqueues nothing more. Whether the caller opted out is checked at each send, so a job
//! written before a STOP is still skipped, and says why.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::templates::{FollowUpKind, Template};
use crate::store::{CallDirection, CallRecord, NewSms, SmsJob, Store, StoreError, StoreResult};

/// The follow-up texts of every account.
#[derive(Debug, Clone)]
pub struct FollowUps {
    store: Store,
}

/// A booking's details as a confirmation shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingFacts<'a> {
    pub event_type: &'a str,
    pub start_at: Timestamp,
    /// The booking's (the invitee's) IANA zone.
    pub timezone: &'a str,
    pub reference: &'a str,
}

/// The values of a booking confirmation: the start written in the booking's zone.
pub fn booking_values(
    business_name: &str,
    booking: &BookingFacts<'_>,
    reschedule_url: &str,
) -> Result<BTreeMap<&'static str, String>, jiff::Error> {
    let zone = TimeZone::get(booking.timezone)?;
    let start = booking.start_at.to_zoned(zone);
    Ok(BTreeMap::from([
        ("business_name", business_name.to_owned()),
        ("event_type", booking.event_type.to_owned()),
        ("date", start.strftime("%A %-d %B %Y").to_string()),
        ("time", start.strftime("%H:%M").to_string()),
        ("time_zone", booking.timezone.to_owned()),
        ("reference", booking.reference.to_owned()),
        ("reschedule_url", reschedule_url.to_owned()),
    ]))
}

/// Values a template of `kind` is rendered with when it is saved and previewed: the account's
/// own name and booking page, and a booking whose date is as long as a date is written
/// ("Wednesday 30 September 2026") in a long zone name, so a template that fits with these
/// fits with nearly any real booking.
pub fn sample_values(
    kind: FollowUpKind,
    business_name: &str,
    booking_page: &str,
) -> BTreeMap<&'static str, String> {
    match kind {
        FollowUpKind::BookingConfirmation => {
            let facts = BookingFacts {
                event_type: "Initial consultation",
                start_at: Timestamp::constant(1_790_785_800, 0),
                timezone: "America/Los_Angeles",
                reference: "ABC234",
            };
            booking_values(business_name, &facts, booking_page).expect("the sample booking's zone is known")
        }
        FollowUpKind::InfoRecap | FollowUpKind::FollowUpNeeded => BTreeMap::from([
            ("business_name", business_name.to_owned()),
            ("booking_url", booking_page.to_owned()),
        ]),
    }
}

impl FollowUps {
    pub fn new(store: Store) -> FollowUps {
        FollowUps { store }
    }

    /// Enqueues the call's follow-up text, at most once per call; the job, or `None` when the
    /// call earns none (no outcome yet, a failed call, the account's texts switched off).
    pub async fn call_ended(&self, call: &CallRecord) -> StoreResult<Option<SmsJob>> {
        let Some(kind) = call.outcome.and_then(FollowUpKind::for_outcome) else {
            return Ok(None);
        };
        if !self.store.sms_follow_ups(&call.account_id).await? {
            return Ok(None);
        }
        let (ours, theirs) = match call.direction {
            CallDirection::Inbound => (&call.to_number, &call.from_number),
            _ => (&call.from_number, &call.to_number),
        };
        let account = self.store.account(&call.account_id).await?;
        let template = self.template(call, kind).await?;
        let booking_page = account.booking_url.clone().unwrap_or_else(|| ours.clone());
        let values = match (kind, &call.booking_id) {
            (FollowUpKind::BookingConfirmation, Some(booking_id)) => {
                let booking = self.store.booking(&call.account_id, booking_id).await?;
                let event_type = self
                    .store
                    .event_type(&call.account_id, &booking.event_type_id)
                    .await?;
                let facts = BookingFacts {
                    event_type: &event_type.name,
                    start_at: booking.start_at,
                    timezone: &booking.timezone,
                    reference: &booking.reference,
                };
                booking_values(&account.name, &facts, &booking_page)
                    .map_err(|e| StoreError::invalid("booking timezone", e.to_string()))?
            }
            // A confirmation without its booking says nothing wrong: no text.
            (FollowUpKind::BookingConfirmation, None) => return Ok(None),
            _ => BTreeMap::from([
                ("business_name", account.name.clone()),
                ("booking_url", booking_page),
            ]),
        };
        let body = template
            .render(&values)
            .map_err(|e| StoreError::invalid("sms template", e.to_string()))?;
        let new = NewSms {
            account_id: call.account_id.clone(),
            idempotency_key: format!("follow_up:{}", call.id.as_str()),
            to_number: theirs.clone(),
            from_number: ours.clone(),
            body,
        };
        let (job, _) = self.store.enqueue_sms(new, Timestamp::now()).await?;
        Ok(Some(job))
    }

    /// The account's template of `kind`, or the built-in one.
    async fn template(&self, call: &CallRecord, kind: FollowUpKind) -> StoreResult<Template> {
        let saved = self.store.sms_templates(&call.account_id).await?;
        match saved.into_iter().find(|t| t.kind == kind.as_str()) {
            Some(saved) => Template::parse(kind, &saved.body)
                .map_err(|e| StoreError::invalid("sms template", e.to_string())),
            None => Ok(Template::default_for(kind)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bookings_start_is_written_in_the_invitees_zone() {
        let facts = BookingFacts {
            event_type: "Cleaning",
            start_at: "2026-03-10T09:30:00Z".parse().unwrap(),
            timezone: "America/New_York",
            reference: "ABC234",
        };
        let values = booking_values("Praxis Adler", &facts, "https://book.example/adler").unwrap();
        assert_eq!(values["date"], "Tuesday 10 March 2026");
        assert_eq!(values["time"], "05:30");
        let text = Template::default_for(FollowUpKind::BookingConfirmation)
            .render(&values)
            .unwrap();
        assert!(
            text.contains("Cleaning is booked for Tuesday 10 March 2026 at 05:30 (America/New_York)"),
            "{text}"
        );
        assert!(text.contains("https://book.example/adler"), "{text}");
    }

    #[test]
    fn sample_values_fill_every_variable_of_each_kind() {
        for kind in FollowUpKind::ALL {
            let values = sample_values(kind, "Acme", "https://acme.example/book");
            let names: Vec<&str> = values.keys().copied().collect();
            let mut expected = kind.variables().to_vec();
            expected.sort_unstable();
            assert_eq!(names, expected, "{kind}");
        }
        let values = sample_values(FollowUpKind::BookingConfirmation, "Acme", "x");
        assert_eq!(values["date"], "Wednesday 30 September 2026");
    }

    #[test]
    fn an_unknown_zone_is_an_error() {
        let facts = BookingFacts {
            event_type: "Cleaning",
            start_at: "2026-03-10T09:30:00Z".parse().unwrap(),
            timezone: "Mars/Olympus",
            reference: "ABC234",
        };
        assert!(booking_values("x", &facts, "y").is_err());
    }
}
