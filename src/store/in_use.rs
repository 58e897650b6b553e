//! What keeps a row from being deleted: the rows that still refer to it, named so that the
//! refusal can say what to change first.

/// The rows that still use a host or an event type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InUse {
    /// Slugs of the event types booked with the host, in slug order.
    pub event_types: Vec<String>,
    /// Names of the agents that offer the event type, in name order.
    pub agents: Vec<String>,
    /// Bookings of the host or event type, whatever their status: cancelled and past ones are
    /// the account's history and keep pointing at what they were made with.
    pub bookings: u64,
}

impl InUse {
    pub fn is_empty(&self) -> bool {
        self.event_types.is_empty() && self.agents.is_empty() && self.bookings == 0
    }
}

/// What a delete did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    /// Nothing was deleted, because these rows still use it.
    Refused(InUse),
}
