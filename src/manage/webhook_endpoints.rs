//! An account's outgoing webhook endpoints: made (with the signing secret, shown once), listed,
//! read, changed, deleted, their secret rotated, and each one's delivery log.
//!
//! A URL must be `https://`; plain `http://` is taken only for a loopback host and only when
//! the server allows it (`[webhooks] allow_http_loopback`, for tests and local development).
//! Events are named exactly (`booking.created`, …); an unknown one is refused naming its place
//! in the list (`events[1]`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use crate::store::{NewWebhookEndpoint, Page, PageRequest, Store, WebhookDelivery, WebhookEndpoint};
use crate::webhooks::EventType;

use super::Scope;
use super::error::{ManageError, ManageResult};
use super::input;

/// The prefix of every signing secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// The longest URL taken.
pub const MAX_URL_CHARS: usize = 2048;
/// The longest description taken.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// Which URLs are accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Take `http://` to a loopback host (127.0.0.0/8, ::1, `localhost`).
    pub allow_http_loopback: bool,
}

/// An endpoint to make.
#[derive(Debug, Clone, Default)]
pub struct NewEndpointInput {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    /// `true` when left out.
    pub enabled: Option<bool>,
}

/// Changes to an endpoint: a field left out stays as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// Makes an endpoint for the account, with a new signing secret.
pub async fn create(
    store: &Store,
    scope: &Scope,
    policy: UrlPolicy,
    new: NewEndpointInput,
) -> ManageResult<WebhookEndpoint> {
    let url = checked_url(
        policy,
        &input::required_text("url", new.url.as_deref(), MAX_URL_CHARS)?,
    )?;
    let events = checked_events(
        new.events
            .as_deref()
            .ok_or_else(|| ManageError::invalid("events", "is required"))?,
    )?;
    let description = input::optional_text("description", new.description.as_deref(), MAX_DESCRIPTION_CHARS)?;
    let endpoint = NewWebhookEndpoint {
        url,
        description: description.unwrap_or_default(),
        events,
        enabled: new.enabled.unwrap_or(true),
        secret: generate_secret(),
    };
    Ok(store.insert_webhook_endpoint(&scope.account_id, endpoint).await?)
}

/// A page of the account's endpoints, the newest first.
pub async fn list(store: &Store, scope: &Scope, page: &PageRequest) -> ManageResult<Page<WebhookEndpoint>> {
    Ok(store.webhook_endpoints(&scope.account_id, page).await?)
}

/// The account's endpoint `id`.
pub async fn get(store: &Store, scope: &Scope, id: &str) -> ManageResult<WebhookEndpoint> {
    Ok(store.webhook_endpoint(&scope.account_id, id).await?)
}

/// Applies `patch` to the account's endpoint `id`.
pub async fn update(
    store: &Store,
    scope: &Scope,
    policy: UrlPolicy,
    id: &str,
    patch: EndpointPatch,
) -> ManageResult<WebhookEndpoint> {
    let mut endpoint = store.webhook_endpoint(&scope.account_id, id).await?;
    if let Some(url) = patch.url {
        endpoint.url = checked_url(policy, &input::required_text("url", Some(&url), MAX_URL_CHARS)?)?;
    }
    if let Some(events) = patch.events {
        endpoint.events = checked_events(&events)?;
    }
    if let Some(description) = patch.description {
        endpoint.description =
            input::optional_text("description", Some(&description), MAX_DESCRIPTION_CHARS)?
                .unwrap_or_default();
    }
    if let Some(enabled) = patch.enabled {
        endpoint.enabled = enabled;
    }
    Ok(store.update_webhook_endpoint(&endpoint).await?)
}

/// Gives the account's endpoint `id` a new signing secret; the old one signs nothing more.
pub async fn rotate_secret(store: &Store, scope: &Scope, id: &str) -> ManageResult<WebhookEndpoint> {
    let mut endpoint = store.webhook_endpoint(&scope.account_id, id).await?;
    endpoint.secret = generate_secret();
    Ok(store.update_webhook_endpoint(&endpoint).await?)
}

/// Deletes the account's endpoint `id` with its delivery log.
pub async fn delete(store: &Store, scope: &Scope, id: &str) -> ManageResult<()> {
    Ok(store.delete_webhook_endpoint(&scope.account_id, id).await?)
}

/// A page of the deliveries to the account's endpoint `id`, the newest first.
pub async fn deliveries(
    store: &Store,
    scope: &Scope,
    id: &str,
    page: &PageRequest,
) -> ManageResult<Page<WebhookDelivery>> {
    let endpoint = store.webhook_endpoint(&scope.account_id, id).await?;
    Ok(store
        .webhook_deliveries(&scope.account_id, &endpoint.id, page)
        .await?)
}

/// `whsec_` and 43 characters of URL-safe base64 over 32 random bytes.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `text` as an endpoint URL: absolute, `https` (or `http` to a loopback host when `policy`
/// allows it), with a host and no fragment.
pub fn checked_url(policy: UrlPolicy, text: &str) -> ManageResult<String> {
    let url = url::Url::parse(text.trim())
        .map_err(|error| ManageError::invalid("url", format!("is not an absolute URL ({error})")))?;
    let Some(host) = url.host() else {
        return Err(ManageError::invalid("url", "has no host"));
    };
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_http_loopback && is_loopback(&host) => {}
        "http" => {
            return Err(ManageError::invalid(
                "url",
                "must start with https:// (deliveries carry your business's data)",
            ));
        }
        _ => return Err(ManageError::invalid("url", "must start with https://")),
    }
    if url.fragment().is_some() {
        return Err(ManageError::invalid("url", "must not have a #fragment"));
    }
    Ok(url.to_string())
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(address) => address.is_loopback(),
        url::Host::Ipv6(address) => address.is_loopback(),
    }
}

/// The event types named, each known, at least one; kept in the order of [`EventType::ALL`]
/// without repeats.
pub fn checked_events(names: &[String]) -> ManageResult<Vec<String>> {
    if names.is_empty() {
        return Err(ManageError::invalid(
            "events",
            "must name at least one event type",
        ));
    }
    let mut chosen = Vec::with_capacity(names.len());
    for (at, name) in names.iter().enumerate() {
        let Some(kind) = EventType::parse(name.trim()) else {
            let known: Vec<&str> = EventType::ALL.iter().map(|kind| kind.as_str()).collect();
            return Err(ManageError::invalid(
                format!("events[{at}]"),
                format!(
                    "`{name}` is not an event type; the event types are {}",
                    known.join(", ")
                ),
            ));
        };
        chosen.push(kind);
    }
    Ok(EventType::ALL
        .into_iter()
        .filter(|kind| chosen.contains(kind))
        .map(|kind| kind.as_str().to_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(error: ManageError) -> String {
        match error {
            ManageError::Invalid { field, .. } => field,
            other => panic!("not a refusal of a field: {other:?}"),
        }
    }

    #[test]
    fn only_https_urls_are_taken_unless_loopback_http_is_allowed() {
        let strict = UrlPolicy::default();
        let loose = UrlPolicy {
            allow_http_loopback: true,
        };
        assert_eq!(
            checked_url(strict, "https://crm.example.com/hooks?x=1").unwrap(),
            "https://crm.example.com/hooks?x=1"
        );
        assert_eq!(
            field_of(checked_url(strict, "http://127.0.0.1:9000/").unwrap_err()),
            "url"
        );
        assert!(checked_url(loose, "http://127.0.0.1:9000/").is_ok());
        assert!(checked_url(loose, "http://localhost:9000/").is_ok());
        assert!(checked_url(loose, "http://[::1]:9000/").is_ok());
        assert!(checked_url(loose, "http://crm.example.com/").is_err());
        assert!(checked_url(loose, "ftp://crm.example.com/").is_err());
        assert!(checked_url(loose, "crm.example.com/hooks").is_err());
        assert!(checked_url(loose, "https://crm.example.com/#top").is_err());
    }

    #[test]
    fn events_are_named_exactly_and_an_unknown_one_is_refused_by_its_place() {
        let names = |names: &[&str]| names.iter().map(|name| name.to_string()).collect::<Vec<_>>();
        assert_eq!(
            checked_events(&names(&["call.ended", "booking.created", "call.ended"])).unwrap(),
            ["booking.created", "call.ended"]
        );
        assert_eq!(
            field_of(checked_events(&names(&["booking.created", "booking.made"])).unwrap_err()),
            "events[1]"
        );
        assert_eq!(field_of(checked_events(&[]).unwrap_err()), "events");
    }

    #[test]
    fn a_secret_is_prefixed_and_new_each_time() {
        let (a, b) = (generate_secret(), generate_secret());
        assert!(
            a.starts_with(SECRET_PREFIX) && a.len() == SECRET_PREFIX.len() + 43,
            "{a}"
        );
        assert_ne!(a, b);
    }
}
