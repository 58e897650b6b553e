//! A host's calendar sources: added, listed, read, changed, deleted, and synced at once on
//! request; each answered with its status (when it was last read, whether availability is using
//! a stale copy, and the last error).
//!
//! A URL must be `https://` (`webcal://` is read as `https://`); plain `http://` is taken only
//! for a loopback host when the server allows it (`[calendars] allow_http_loopback`). Only a
//! CalDAV source may be writable. The password is sealed before it is stored and never given
//! back.

use jiff::Timestamp;

use crate::calendar_sources::CalendarSources;
use crate::calendar_sources::status::{Freshness, freshness};
use crate::store::{CalendarSource, CalendarSourceKind, HostId, NewCalendarSource, Page, PageRequest, Store};

use super::Scope;
use super::error::{ManageError, ManageResult};
use super::input;

/// The longest URL taken.
pub const MAX_URL_CHARS: usize = 2048;
/// The longest name, username or password taken.
pub const MAX_FIELD_CHARS: usize = 200;

/// A source to add.
#[derive(Debug, Clone, Default)]
pub struct NewSourceInput {
    pub kind: Option<String>,
    pub url: Option<String>,
    pub name: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub writable: Option<bool>,
}

/// Changes to a source: a field left out stays as it is (an empty password removes it).
#[derive(Debug, Clone, Default)]
pub struct SourcePatch {
    pub url: Option<String>,
    pub name: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub writable: Option<bool>,
}

/// A source with how its copy stands.
#[derive(Debug, Clone)]
pub struct SourceView {
    pub source: CalendarSource,
    pub freshness: Freshness,
}

fn view(sources: &CalendarSources, source: CalendarSource, now: Timestamp) -> SourceView {
    let freshness = freshness(
        source.last_success_at,
        source.consecutive_failures,
        sources.settings().poll_every,
        now,
    );
    SourceView { source, freshness }
}

/// Adds a source to the account's host `host_id`; it is read by the next round of the poller.
pub async fn create(
    store: &Store,
    sources: &CalendarSources,
    scope: &Scope,
    host_id: &str,
    new: NewSourceInput,
) -> ManageResult<SourceView> {
    let host = store.host(&scope.account_id, &HostId::from(host_id)).await?;
    let kind_text = input::required_text("kind", new.kind.as_deref(), 16)?;
    let kind = CalendarSourceKind::parse(&kind_text)
        .ok_or_else(|| ManageError::invalid("kind", "must be `ics` or `caldav`"))?;
    let url = checked_url(
        sources,
        &input::required_text("url", new.url.as_deref(), MAX_URL_CHARS)?,
    )?;
    let writable = checked_writable(kind, new.writable.unwrap_or(false))?;
    let password =
        input::optional_text("password", new.password.as_deref(), MAX_FIELD_CHARS)?.unwrap_or_default();
    let new = NewCalendarSource {
        host_id: host.id,
        kind,
        name: input::optional_text("name", new.name.as_deref(), MAX_FIELD_CHARS)?.unwrap_or_default(),
        url,
        username: input::optional_text("username", new.username.as_deref(), MAX_FIELD_CHARS)?
            .unwrap_or_default(),
        password_sealed: seal(sources, &password).await?,
        writable,
    };
    let source = store.insert_calendar_source(&scope.account_id, new).await?;
    Ok(view(sources, source, Timestamp::now()))
}

/// A page of the host's sources, the newest first.
pub async fn list(
    store: &Store,
    sources: &CalendarSources,
    scope: &Scope,
    host_id: &str,
    page: &PageRequest,
) -> ManageResult<Page<SourceView>> {
    let host = store.host(&scope.account_id, &HostId::from(host_id)).await?;
    let page = store.calendar_sources(&scope.account_id, &host.id, page).await?;
    let now = Timestamp::now();
    Ok(page.map(|source| view(sources, source, now)))
}

/// The host's source `id`.
pub async fn get(
    store: &Store,
    sources: &CalendarSources,
    scope: &Scope,
    host_id: &str,
    id: &str,
) -> ManageResult<SourceView> {
    let source = host_source(store, scope, host_id, id).await?;
    Ok(view(sources, source, Timestamp::now()))
}

/// Applies `patch` to the host's source `id`; it is read again by the next round.
pub async fn update(
    store: &Store,
    sources: &CalendarSources,
    scope: &Scope,
    host_id: &str,
    id: &str,
    patch: SourcePatch,
) -> ManageResult<SourceView> {
    let mut source = host_source(store, scope, host_id, id).await?;
    if let Some(url) = patch.url {
        source.url = checked_url(sources, &input::required_text("url", Some(&url), MAX_URL_CHARS)?)?;
    }
    if let Some(name) = patch.name {
        source.name = input::optional_text("name", Some(&name), MAX_FIELD_CHARS)?.unwrap_or_default();
    }
    if let Some(username) = patch.username {
        source.username =
            input::optional_text("username", Some(&username), MAX_FIELD_CHARS)?.unwrap_or_default();
    }
    if let Some(password) = patch.password {
        let password =
            input::optional_text("password", Some(&password), MAX_FIELD_CHARS)?.unwrap_or_default();
        source.password_sealed = seal(sources, &password).await?;
    }
    if let Some(writable) = patch.writable {
        source.writable = checked_writable(source.kind, writable)?;
    }
    let source = store.update_calendar_source(&source).await?;
    Ok(view(sources, source, Timestamp::now()))
}

/// Deletes the host's source `id` and its cached busy time.
pub async fn delete(store: &Store, scope: &Scope, host_id: &str, id: &str) -> ManageResult<()> {
    let source = host_source(store, scope, host_id, id).await?;
    Ok(store
        .delete_calendar_source(&scope.account_id, &source.id)
        .await?)
}

/// Reads the host's source `id` now (not waiting for the poller) and answers how it stands.
pub async fn sync_now(
    store: &Store,
    sources: &CalendarSources,
    scope: &Scope,
    host_id: &str,
    id: &str,
) -> ManageResult<SourceView> {
    let source = host_source(store, scope, host_id, id).await?;
    let now = Timestamp::now();
    sources.sync(&source, now).await?;
    let source = store.calendar_source(&scope.account_id, &source.id).await?;
    Ok(view(sources, source, now))
}

async fn host_source(store: &Store, scope: &Scope, host_id: &str, id: &str) -> ManageResult<CalendarSource> {
    let source = store.calendar_source(&scope.account_id, id).await?;
    if source.host_id.as_str() != host_id {
        return Err(ManageError::NotFound {
            what: "calendar source",
        });
    }
    Ok(source)
}

async fn seal(sources: &CalendarSources, password: &str) -> ManageResult<String> {
    sources
        .secrets()
        .seal(password)
        .await
        .map_err(|error| ManageError::NotConfigured {
            message: format!("calendar passwords cannot be stored: {error}"),
        })
}

fn checked_writable(kind: CalendarSourceKind, writable: bool) -> ManageResult<bool> {
    if writable && kind != CalendarSourceKind::Caldav {
        return Err(ManageError::invalid(
            "writable",
            "only a CalDAV calendar can be written to",
        ));
    }
    Ok(writable)
}

/// `text` as a calendar URL: absolute, `https` (`webcal` read as `https`), or `http` to a
/// loopback host when the server allows it; with a host and no fragment.
pub fn checked_url(sources: &CalendarSources, text: &str) -> ManageResult<String> {
    let text = text.trim();
    let text = match text.strip_prefix("webcal://") {
        Some(rest) => format!("https://{rest}"),
        None => text.to_owned(),
    };
    let url = url::Url::parse(&text)
        .map_err(|error| ManageError::invalid("url", format!("is not an absolute URL ({error})")))?;
    let Some(host) = url.host() else {
        return Err(ManageError::invalid("url", "has no host"));
    };
    let loopback = match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(address) => address.is_loopback(),
        url::Host::Ipv6(address) => address.is_loopback(),
    };
    match url.scheme() {
        "https" => {}
        "http" if sources.settings().allow_http_loopback && loopback => {}
        _ => {
            return Err(ManageError::invalid(
                "url",
                "must start with https:// (calendars carry credentials and private events)",
            ));
        }
    }
    if url.fragment().is_some() {
        return Err(ManageError::invalid("url", "must not have a #fragment"));
    }
    Ok(url.to_string())
}
