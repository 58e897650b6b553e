//! Booking changes in the account's CRM log, on the booking's contact: what was booked, moved or
//! cancelled, in words for the team reading the log, with the booking's ids as detail.

use jiff::tz::TimeZone;
use serde_json::json;

use crate::availability::{date_time_label, utc_label};
use crate::store::{ActivityKind, Booking, NewActivity, Store};

use super::outcome::Appointment;
use super::scope::Scope;

/// What happened to a booking.
pub(super) enum Change<'a> {
    Booked,
    /// Moved here from `from`, the booking it replaces.
    Moved {
        from: &'a Booking,
    },
    Cancelled,
}

/// Records `change` to `appointment`. It runs after the change committed, so a failure here
/// must not turn a made change into an error: it is logged and the change stands.
pub(super) async fn record(store: &Store, scope: &Scope, appointment: &Appointment, change: Change<'_>) {
    let Appointment { booking, event_type } = appointment;
    let name = &event_type.name;
    let (action, summary) = match change {
        Change::Booked => ("booked", format!("Booked {name} for {}", when(booking))),
        Change::Moved { from } => (
            "rescheduled",
            format!("Moved {name} from {} to {}", when(from), when(booking)),
        ),
        Change::Cancelled => ("cancelled", format!("Cancelled {name} on {}", when(booking))),
    };
    let activity = NewActivity {
        contact_id: booking.contact_id.clone(),
        kind: ActivityKind::Booking,
        summary,
        detail: Some(json!({
            "action": action,
            "booking_id": booking.id.as_str(),
            "reference": booking.reference,
            "start_at": utc_label(booking.start_at),
            "agent_id": scope.agent_id.as_ref().map(|agent| agent.as_str()),
        })),
    };
    if let Err(error) = store.insert_activity(&scope.account_id, activity).await {
        tracing::warn!(%error, booking = %booking.id, "booking activity not logged");
    }
}

/// "Tuesday, February 10 at 9:00 AM" on the booking's own (the invitee's) clock.
fn when(booking: &Booking) -> String {
    let timezone = TimeZone::get(&booking.timezone).unwrap_or(TimeZone::UTC);
    date_time_label(booking.start_at, &timezone)
}
