//! Typed row ids, so an account id can never be passed where a host id belongs.
//!
//! Ids are UUID v7 strings: unique without coordination between instances, and ordered by
//! creation time, which keeps the primary-key indexes append-mostly on both backends.

use std::fmt;

macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// A fresh id (UUID v7).
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

row_id!(
    /// A business using switchboard; every other row belongs to one.
    AccountId
);
row_id!(
    /// An ElevenLabs voice agent answering one phone number.
    AgentId
);
row_id!(
    /// A person (or resource) whose calendar bookings are made on.
    HostId
);
row_id!(
    /// A kind of meeting that can be booked, with its rules.
    EventTypeId
);
row_id!(
    /// One booked meeting.
    BookingId
);
row_id!(
    /// A caller or invitee known to the CRM.
    ContactId
);
row_id!(
    /// One entry of the CRM log.
    ActivityId
);
row_id!(
    /// One phone call handled by the bridge.
    CallId
);
row_id!(
    /// One provisioning run: the vendor requests that create or change an agent or a number.
    ProvisioningRunId
);
row_id!(
    /// A key to the REST API, an account's or the operator's.
    ApiKeyId
);
row_id!(
    /// One entry of a call's timeline.
    CallEventId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_distinct_and_ordered_by_creation() {
        let first = BookingId::generate();
        let second = BookingId::generate();
        assert_ne!(first, second);
        assert!(first < second, "v7 ids sort by creation time");
        assert_eq!(first.as_str().len(), 36);
    }
}
