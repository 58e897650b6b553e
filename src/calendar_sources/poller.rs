//! The calendar sources' background reader: every round, each due source is claimed (so one
//! instance fetches it), fetched (`fetch`), read as busy time over the horizon (`expand`) and
//! its copy replaced, or its error kept with the last good copy left in place and the next
//! attempt backed off (`status`). Availability and bookings only ever read the cached copy.

use std::time::Duration;

use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};

use super::expand::{ExpandLimits, busy_intervals};
use super::fetch::{Fetched, fetch};
use super::secrets::{KeySource, Secrets};
use super::status::next_attempt;
use super::writeback::is_written_back;
use crate::config::CalendarsConfig;
use crate::shutdown::Shutdown;
use crate::store::{CalendarSource, FetchRecord, Store, StoreResult};

/// Sources fetched at once in one round.
const PARALLEL_FETCHES: usize = 8;
/// Sources taken per round.
const PER_ROUND: u32 = 100;
/// How far before now busy time is kept (a meeting under way still blocks).
const KEPT_BEFORE_NOW: SignedDuration = SignedDuration::from_hours(24);
/// At most this many of a copy's problems are named in the source's `last_error`.
const PROBLEMS_NAMED: usize = 3;
/// The key file used when none is configured.
pub const DEFAULT_KEY_FILE: &str = "switchboard-secrets.key";

/// How sources are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub allow_http_loopback: bool,
    pub poll_every: Duration,
    pub fetch_timeout: Duration,
    pub horizon: SignedDuration,
}

/// The calendar sources' reading service, shared by the poller and the API's "sync now".
#[derive(Clone, Debug)]
pub struct CalendarSources {
    store: Store,
    secrets: Secrets,
    settings: Settings,
    http: reqwest::Client,
}

impl CalendarSources {
    pub fn new(store: Store, config: &CalendarsConfig) -> CalendarSources {
        crate::tls::install_crypto_provider();
        let key = match (&config.secrets_key, &config.secrets_key_file) {
            (Some(key), _) => KeySource::Configured(key.expose().to_owned()),
            (None, Some(path)) => KeySource::File(path.clone()),
            (None, None) => KeySource::File(DEFAULT_KEY_FILE.into()),
        };
        let http = reqwest::Client::builder()
            .connect_timeout(config.fetch_timeout())
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("switchboard-calendars/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with default TLS settings builds");
        CalendarSources {
            store,
            secrets: Secrets::new(key),
            settings: Settings {
                allow_http_loopback: config.allow_http_loopback,
                poll_every: config.poll_every(),
                fetch_timeout: config.fetch_timeout(),
                horizon: SignedDuration::from_hours(24 * i64::from(config.horizon_days.max(1))),
            },
            http,
        }
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// One round at `now`: the due sources fetched, a few at a time. The number fetched.
    pub async fn round(&self, now: Timestamp) -> StoreResult<usize> {
        let due = self.store.due_calendar_sources(now, PER_ROUND).await?;
        let lease = SignedDuration::try_from(self.settings.fetch_timeout * 3 + Duration::from_secs(60))
            .unwrap_or(SignedDuration::from_hours(1));
        let mut claimed = Vec::new();
        for source in due {
            if self
                .store
                .claim_calendar_source(&source, now, now + lease)
                .await?
            {
                claimed.push(source);
            }
        }
        let count = claimed.len();
        let results: Vec<StoreResult<()>> = futures::stream::iter(claimed)
            .map(|source| async move { self.sync(&source, now).await })
            .buffer_unordered(PARALLEL_FETCHES)
            .collect()
            .await;
        results.into_iter().collect::<StoreResult<Vec<()>>>()?;
        Ok(count)
    }

    /// Fetches `source` now and keeps what came of it.
    pub async fn sync(&self, source: &CalendarSource, now: Timestamp) -> StoreResult<()> {
        let record = self.read(source, now).await?;
        let failures = match &record {
            FetchRecord::Failed { error } => {
                tracing::info!(source = %source.id, host = %source.host_id, %error, "calendar source not read");
                source.consecutive_failures.saturating_add(1)
            }
            _ => 0,
        };
        let next = next_attempt(now, failures, self.settings.poll_every);
        self.store.record_calendar_fetch(source, record, now, next).await
    }

    async fn read(&self, source: &CalendarSource, now: Timestamp) -> StoreResult<FetchRecord> {
        let password = match self.secrets.open(&source.password_sealed).await {
            Ok(password) => password,
            Err(error) => {
                return Ok(FetchRecord::Failed {
                    error: format!("calendar source {}: {error}", source.id),
                });
            }
        };
        let host = self.store.host(&source.account_id, &source.host_id).await?;
        let Ok(zone) = jiff::tz::TimeZone::get(&host.timezone) else {
            return Ok(FetchRecord::Failed {
                error: format!("the host's time zone {:?} is unknown", host.timezone),
            });
        };
        let window = (now - KEPT_BEFORE_NOW, now + self.settings.horizon);
        let fetched = fetch(&self.http, source, &password, self.settings.fetch_timeout, window).await;
        Ok(match fetched {
            Err(error) => FetchRecord::Failed { error },
            Ok(Fetched::Unchanged) => FetchRecord::Unchanged,
            Ok(Fetched::Calendar {
                objects,
                etag,
                last_modified,
                ctag,
                sync_token,
            }) => {
                let mut busy = Vec::new();
                let mut problems = Vec::new();
                for object in &objects {
                    match busy_intervals(
                        object,
                        &zone,
                        window.0,
                        window.1,
                        ExpandLimits::default(),
                        &is_written_back,
                    ) {
                        Ok(expanded) => {
                            busy.extend(expanded.busy.iter().map(|b| (b.start, b.end)));
                            problems.extend(expanded.problems.into_iter().map(|p| match p.uid {
                                Some(uid) => format!("event {uid}: {}", p.reason),
                                None => p.reason,
                            }));
                        }
                        // One unreadable answer is the whole fetch's failure: the old copy stays.
                        Err(error) => {
                            return Ok(FetchRecord::Failed {
                                error: error.to_string(),
                            });
                        }
                    }
                }
                busy.sort_unstable();
                busy.dedup();
                FetchRecord::Fetched {
                    busy,
                    etag,
                    last_modified,
                    ctag,
                    sync_token,
                    problems: describe_problems(&problems),
                }
            }
        })
    }
}

fn describe_problems(problems: &[String]) -> Option<String> {
    if problems.is_empty() {
        return None;
    }
    let named: Vec<&str> = problems.iter().take(PROBLEMS_NAMED).map(String::as_str).collect();
    let more = problems.len().saturating_sub(PROBLEMS_NAMED);
    let tail = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    Some(format!(
        "{} event(s) left out: {}{tail}",
        problems.len(),
        named.join("; ")
    ))
}

/// Starts the poller: a round every `[calendars] check_every_secs` (none when 0).
pub fn start(sources: CalendarSources, config: &CalendarsConfig, workers: &Shutdown) {
    let Some(every) = config.check_every() else {
        return;
    };
    workers.spawn_every(every, move || {
        let sources = sources.clone();
        async move {
            if let Err(error) = sources.round(Timestamp::now()).await {
                tracing::warn!(%error, "calendar sources round failed");
            }
        }
    });
}
