//! `GET /feeds/hosts/{token}.ics`: a host's booking feed for calendar apps. No API key: the token
//! in the path is the credential (`manage::host_feeds`), and any token that opens no feed is a
//! plain 404. The answer carries a strong ETag and Last-Modified; a matching `If-None-Match`
//! gets 304 with no body, so a subscriber polling every few minutes costs one database read.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::manage::host_feeds;
use crate::store::Store;

/// What the feed's handler needs.
#[derive(Clone)]
pub struct FeedState {
    pub store: Store,
    /// The server's public base URL, for the links to calls in the events.
    pub public_url: Arc<str>,
}

/// The feed's route with its state, for any app state.
pub fn routes<S>(state: FeedState) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(&format!("{}{{file}}", host_feeds::FEED_PATH), get(host_feed))
        .with_state(state)
}

async fn host_feed(State(state): State<FeedState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return not_found();
    };
    let feed = match host_feeds::read(&state.store, token, &state.public_url, jiff::Timestamp::now()).await {
        Ok(Some(feed)) => feed,
        Ok(None) => return not_found(),
        Err(error) => {
            tracing::warn!(%error, "a booking feed could not be read");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "60")],
                "The feed cannot be read right now; try again shortly.\n",
            )
                .into_response();
        }
    };
    let mut validators = vec![(header::ETAG, value(&feed.etag))];
    if let Some(changed) = feed.last_modified {
        validators.push((
            header::LAST_MODIFIED,
            value(&changed.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()),
        ));
    }
    // Subscribers may keep a copy but must ask before using it; the URL is a secret, so no
    // shared cache keeps it.
    validators.push((
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    ));
    if matches_etag(&headers, &feed.etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().extend(validators);
        return response;
    }
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/calendar; charset=utf-8"),
        )],
        feed.body,
    )
        .into_response();
    response.headers_mut().extend(validators);
    response
}

/// Whether `If-None-Match` names `etag` (or is `*`), by the weak comparison RFC 9110 §13.1.2
/// asks for.
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).expect("an ETag and a date are header-safe")
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "No such feed.\n").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn if_none_match_is_compared_weakly_across_lists_and_headers() {
        let etag = "\"abc\"";
        assert!(matches_etag(&asking(&["\"abc\""]), etag));
        assert!(matches_etag(&asking(&["W/\"abc\""]), etag));
        assert!(matches_etag(&asking(&["\"x\", \"abc\""]), etag));
        assert!(matches_etag(&asking(&["\"x\"", "\"abc\""]), etag));
        assert!(matches_etag(&asking(&["*"]), etag));
        assert!(!matches_etag(&asking(&["\"abcd\""]), etag));
        assert!(!matches_etag(&asking(&["abc"]), etag));
        assert!(!matches_etag(&HeaderMap::new(), etag));
    }
}
