//! A host's booking feed: the token that is its address (made, shown once, replaced, revoked,
//! within the scope's account) and the feed read by that token alone.
//!
//! The token is the feed's only credential (a calendar app subscribes to a bare URL), so it is
//! kept as API keys are (`keys`): `sbf_` and 43 characters of URL-safe base64 over 32 random
//! bytes, its first 12 characters after the prefix the public lookup part, the SHA-256 of the
//! whole token stored and compared in constant time. A token that is malformed, unknown, wrong
//! or revoked reads the same: no feed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use rand::RngCore;
use subtle::ConstantTimeEq;

use super::Scope;
use super::error::{ManageError, ManageResult};
use super::keys::hash_of;
use crate::ics::booking_feed::{self, BookingFeed, EntryStatus, FeedCall, FeedEntry, FeedHost};
use crate::store::{BookingStatus, FeedBooking, HostId, Store};

/// What every feed token starts with, so a leaked one is easy to recognise.
pub const FEED_TOKEN_PREFIX: &str = "sbf_";
const SECRET_BYTES: usize = 32;
const TOKEN_BODY_LEN: usize = 43;
const LOOKUP_LEN: usize = 12;
/// Where the REST API shows a call, before its id (what `http::api` serves).
const CALL_PATH: &str = "/api/v1/calls/";
/// Where feeds are served, before the token.
pub const FEED_PATH: &str = "/feeds/hosts/";

/// A feed token just made: the only time its URL exists outside the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedFeed {
    pub host_id: String,
    /// The whole address, token included, to be shown once.
    pub url: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// Gives the host a new feed address; the one it had stops working.
pub async fn issue(
    store: &Store,
    scope: &Scope,
    host_id: &str,
    public_url: &str,
    now: Timestamp,
) -> ManageResult<IssuedFeed> {
    let token = new_token();
    let lookup = lookup_of(&token).expect("a made token has a lookup part");
    let feed = store
        .put_host_feed(
            &scope.account_id,
            &HostId::from(host_id),
            lookup,
            &hash_of(&token),
            now,
        )
        .await?;
    Ok(IssuedFeed {
        host_id: feed.host_id.into_string(),
        url: feed_url(public_url, &token),
        created_at: feed.created_at.to_string(),
    })
}

/// Stops the host's feed address working. A host without one (or not the account's) is not
/// found.
pub async fn revoke(store: &Store, scope: &Scope, host_id: &str) -> ManageResult<()> {
    // A host of another account is not found, and so is a feed its host does not have.
    store.host(&scope.account_id, &HostId::from(host_id)).await?;
    if store
        .delete_host_feed(&scope.account_id, &HostId::from(host_id))
        .await?
    {
        Ok(())
    } else {
        Err(ManageError::NotFound { what: "feed" })
    }
}

/// The feed the token opens, or `None` when it opens none.
pub async fn read(
    store: &Store,
    token: &str,
    public_url: &str,
    now: Timestamp,
) -> ManageResult<Option<BookingFeed>> {
    let Some(lookup) = lookup_of(token) else {
        return Ok(None);
    };
    let Some(feed) = store.host_feed_by_lookup(lookup).await? else {
        return Ok(None);
    };
    if !bool::from(hash_of(token).as_bytes().ct_eq(feed.secret_hash.as_bytes())) {
        return Ok(None);
    }
    let host = store.host(&feed.account_id, &feed.host_id).await?;
    let (from, to) = booking_feed::window(now);
    let bookings = store
        .feed_bookings(&feed.account_id, &feed.host_id, from, to)
        .await?;
    let entries: Vec<FeedEntry> = bookings
        .into_iter()
        .map(|booking| entry(booking, public_url))
        .collect();
    let host = FeedHost {
        name: host.name,
        timezone: host.timezone,
    };
    booking_feed::build(&host, &entries, now)
        .map(Some)
        .map_err(|error| ManageError::Internal(error.to_string()))
}

/// `{public_url}/feeds/hosts/{token}.ics`.
pub fn feed_url(public_url: &str, token: &str) -> String {
    format!("{}{FEED_PATH}{token}.ics", public_url.trim_end_matches('/'))
}

fn entry(feed_booking: FeedBooking, public_url: &str) -> FeedEntry {
    let FeedBooking {
        booking,
        event_type_name,
        call_id,
        first_booking_id,
        reschedules,
    } = feed_booking;
    FeedEntry {
        status: match booking.status {
            BookingStatus::Confirmed => EntryStatus::Confirmed,
            BookingStatus::Cancelled => EntryStatus::Cancelled,
            BookingStatus::Rescheduled => EntryStatus::Replaced,
        },
        first_booking_id: first_booking_id.into_string(),
        reschedules,
        reference: booking.reference,
        start: booking.start_at,
        end: booking.end_at,
        changed_at: booking.updated_at,
        meeting_type: event_type_name,
        invitee_name: booking.invitee_name,
        invitee_email: booking.invitee_email,
        invitee_phone: booking.invitee_phone,
        notes: booking.notes,
        call: call_id.map(|id| FeedCall {
            url: format!("{}{CALL_PATH}{}", public_url.trim_end_matches('/'), id.as_str()),
            id: id.into_string(),
        }),
    }
}

fn new_token() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    format!("{FEED_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The public part of a well-formed token; `None` for anything else.
fn lookup_of(token: &str) -> Option<&str> {
    let body = token.strip_prefix(FEED_TOKEN_PREFIX)?;
    let well_formed = body.len() == TOKEN_BODY_LEN
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| &body[..LOOKUP_LEN])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_well_formed_distinct_and_not_keys() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), FEED_TOKEN_PREFIX.len() + TOKEN_BODY_LEN);
        assert_eq!(lookup_of(&a), Some(&a[4..16]));
        assert_eq!(lookup_of(&a.replace("sbf_", "sbk_")), None);
        assert_eq!(lookup_of(&a[..a.len() - 1]), None);
        assert_eq!(lookup_of(&format!("{}.", &a[..a.len() - 1])), None);
    }

    #[test]
    fn the_url_is_the_public_one_with_the_token() {
        assert_eq!(
            feed_url("https://sb.example.com/", "sbf_abc"),
            "https://sb.example.com/feeds/hosts/sbf_abc.ics"
        );
    }
}
