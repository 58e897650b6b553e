//! One fetch of a calendar source over HTTP, the only IO of reading a calendar.
//!
//! An ICS address is fetched by a conditional GET (`If-None-Match` with the last ETag,
//! `If-Modified-Since` with the last `Last-Modified`): `304 Not Modified` keeps the cached copy.
//! A CalDAV collection is asked first for its change markers (one small `PROPFIND`); only when
//! they differ from the last ones is the calendar-query `REPORT` for the window sent. Every
//! request has the configured timeout and every body a size cap. Errors are sentences for the
//! source's `last_error`; they never carry the password.

use std::time::Duration;

use jiff::Timestamp;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::{Method, StatusCode};

use super::caldav;
use crate::store::{CalendarSource, CalendarSourceKind};

/// The largest answer read from a calendar.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// What a fetch found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The calendar is as it was at the last fetch.
    Unchanged,
    /// The calendar's iCalendar objects, with the validators to send next time.
    Calendar {
        objects: Vec<String>,
        etag: Option<String>,
        last_modified: Option<String>,
        ctag: Option<String>,
        sync_token: Option<String>,
    },
}

/// Fetches `source` (its password opened as `password`) for the events of `[from, to)`.
pub async fn fetch(
    client: &reqwest::Client,
    source: &CalendarSource,
    password: &str,
    timeout: Duration,
    (from, to): (Timestamp, Timestamp),
) -> Result<Fetched, String> {
    match source.kind {
        CalendarSourceKind::Ics => fetch_ics(client, source, password, timeout).await,
        CalendarSourceKind::Caldav => fetch_caldav(client, source, password, timeout, from, to).await,
    }
}

fn request(
    client: &reqwest::Client,
    method: Method,
    source: &CalendarSource,
    password: &str,
    timeout: Duration,
) -> reqwest::RequestBuilder {
    let request = client.request(method, &source.url).timeout(timeout);
    if source.username.is_empty() {
        request
    } else {
        request.basic_auth(&source.username, Some(password))
    }
}

async fn fetch_ics(
    client: &reqwest::Client,
    source: &CalendarSource,
    password: &str,
    timeout: Duration,
) -> Result<Fetched, String> {
    let mut request = request(client, Method::GET, source, password, timeout);
    if let Some(etag) = &source.etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    if let Some(modified) = &source.last_modified {
        request = request.header(IF_MODIFIED_SINCE, modified);
    }
    let response = request.send().await.map_err(|e| sent_error(e, timeout))?;
    if response.status() == StatusCode::NOT_MODIFIED {
        return Ok(Fetched::Unchanged);
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|value: &reqwest::header::HeaderValue| value.to_str().ok())
            .map(str::to_owned)
    };
    let (etag, last_modified) = (header(ETAG), header(LAST_MODIFIED));
    let body = success_body(response, timeout).await?;
    Ok(Fetched::Calendar {
        objects: vec![body],
        etag,
        last_modified,
        ctag: None,
        sync_token: None,
    })
}

async fn fetch_caldav(
    client: &reqwest::Client,
    source: &CalendarSource,
    password: &str,
    timeout: Duration,
    from: Timestamp,
    to: Timestamp,
) -> Result<Fetched, String> {
    let propfind = Method::from_bytes(b"PROPFIND").expect("a valid method");
    let answer = request(client, propfind, source, password, timeout)
        .header("Depth", "0")
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(caldav::PROPFIND_MARKERS)
        .send()
        .await
        .map_err(|e| sent_error(e, timeout))?;
    let markers = caldav::markers(&success_body(answer, timeout).await?).map_err(|e| e.to_string())?;
    if markers.unchanged_since(source.ctag.as_deref(), source.sync_token.as_deref()) {
        return Ok(Fetched::Unchanged);
    }
    let report = Method::from_bytes(b"REPORT").expect("a valid method");
    let answer = request(client, report, source, password, timeout)
        .header("Depth", "1")
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(caldav::calendar_query(from, to))
        .send()
        .await
        .map_err(|e| sent_error(e, timeout))?;
    let objects = caldav::calendar_data(&success_body(answer, timeout).await?).map_err(|e| e.to_string())?;
    Ok(Fetched::Calendar {
        objects,
        etag: None,
        last_modified: None,
        ctag: markers.ctag,
        sync_token: markers.sync_token,
    })
}

/// The text of a 2xx answer, at most [`MAX_BODY_BYTES`]; any other status is an error naming it.
async fn success_body(mut response: reqwest::Response, timeout: Duration) -> Result<String, String> {
    let status = response.status();
    if !status.is_success() {
        return Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                format!("the calendar refused the credentials (HTTP {})", status.as_u16())
            }
            StatusCode::NOT_FOUND => "the calendar address was not found (HTTP 404)".to_owned(),
            _ => format!("the calendar answered HTTP {}", status.as_u16()),
        });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| sent_error(e, timeout))? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(format!(
                "the calendar is larger than {} MiB",
                MAX_BODY_BYTES / 1024 / 1024
            ));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| "the calendar is not UTF-8 text".to_owned())
}

/// A transport error in words, without the URL (which may hold a secret address's token).
fn sent_error(error: reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        format!("the calendar did not answer within {} s", timeout.as_secs())
    } else if error.is_connect() {
        "the calendar's server could not be reached".to_owned()
    } else {
        format!("the calendar could not be read: {}", error.without_url())
    }
}
