//! The write-back's IO: the booking listener that enqueues one job per writable CalDAV source
//! of the booking's host (`calendar_writes`), and the worker's round that claims the due jobs
//! and sends each one's request by `writeback`'s rules, with the source's opened password as
//! Basic auth (never logged), a timeout, and no redirect followed.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use jiff::{SignedDuration, Timestamp};
use reqwest::header::{CONTENT_TYPE, ETAG, IF_MATCH, IF_NONE_MATCH};
use tokio::sync::Notify;

use super::secrets::Secrets;
use super::writeback::{self, Answer, Condition, Request, Verdict};
use crate::backoff::Backoff;
use crate::booking::{AfterBooking, BookingChange, ChangeKind};
use crate::ics::booking_feed::{self, EntryStatus, FeedEntry, FeedHost};
use crate::store::{Booking, CalendarWrite, NewCalendarWrite, Store, StoreError, StoreResult, WriteAction};

/// Jobs claimed per round.
const ROUND_SIZE: u32 = 20;
/// Moves followed back to find where an appointment began.
const MAX_CHAIN: usize = 1000;

/// What one job's attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Done { status: u16, note: Option<String> },
    Retrying { at: Timestamp, reason: String },
    Failed { reason: String },
}

/// Writes booking changes to the hosts' writable calendars. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CalendarWriter {
    store: Store,
    secrets: Secrets,
    http: reqwest::Client,
    backoff: Backoff,
    lease: Duration,
    due: Arc<Notify>,
}

impl CalendarWriter {
    /// A writer whose requests each take at most `timeout`.
    pub fn new(store: Store, secrets: Secrets, backoff: Backoff, timeout: Duration) -> CalendarWriter {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("switchboard-calendars/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with default TLS settings builds");
        CalendarWriter {
            store,
            secrets,
            http,
            backoff,
            lease: timeout * 2 + Duration::from_secs(60),
            due: Arc::new(Notify::new()),
        }
    }

    /// Notified after an enqueue: the worker waits on it to write at once.
    pub fn due(&self) -> Arc<Notify> {
        self.due.clone()
    }

    /// Enqueues the jobs of `change` for each writable source of its host, at `now`; how many
    /// were new.
    pub async fn enqueue(&self, change: &BookingChange<'_>, now: Timestamp) -> StoreResult<usize> {
        let booking = &change.appointment.booking;
        let sources = self
            .store
            .writable_calendar_sources(&booking.account_id, &booking.host_id)
            .await?;
        if sources.is_empty() {
            return Ok(0);
        }
        let (first_id, moves) = self.chain_start(booking).await?;
        let uid = booking_feed::uid(&first_id);
        let (word, action, body) = match change.kind {
            ChangeKind::Cancelled => ("cancelled", WriteAction::Delete, None),
            kind => {
                let host = self.store.host(&booking.account_id, &booking.host_id).await?;
                let host = FeedHost {
                    name: host.name,
                    timezone: host.timezone,
                };
                let entry = entry(booking, &change.appointment.event_type.name, first_id, moves);
                let body = booking_feed::calendar_object(&host, &entry)
                    .map_err(|error| StoreError::invalid("host time zone", error.to_string()))?;
                let word = if kind == ChangeKind::Created {
                    "created"
                } else {
                    "rescheduled"
                };
                (word, WriteAction::Put, Some(body))
            }
        };
        let writes: Vec<NewCalendarWrite> = sources
            .iter()
            .map(|source| NewCalendarWrite {
                account_id: booking.account_id.clone(),
                source_id: source.id.clone(),
                booking_id: booking.id.as_str().to_owned(),
                change: word,
                action,
                href: writeback::event_href(&source.url, &uid),
                body: body.clone(),
            })
            .collect();
        let written = self.store.enqueue_calendar_writes(&writes, now).await?;
        if written > 0 {
            self.due.notify_one();
        }
        Ok(written)
    }

    /// The booking the appointment was first made as, and how many moves since.
    async fn chain_start(&self, booking: &Booking) -> StoreResult<(String, u32)> {
        let mut current = booking.clone();
        let mut moves = 0;
        while let Some(previous) = current.rescheduled_from.clone() {
            if moves as usize >= MAX_CHAIN {
                break;
            }
            current = self.store.booking(&booking.account_id, &previous).await?;
            moves += 1;
        }
        Ok((current.id.into_string(), moves))
    }

    /// One round at `now`: every claimed job attempted once, with what came of it.
    pub async fn run_due(&self, now: Timestamp) -> StoreResult<Vec<(String, Written)>> {
        let lease = SignedDuration::try_from(self.lease).unwrap_or_default();
        let lease_until = now.saturating_add(lease).unwrap_or(now);
        let jobs = self
            .store
            .claim_due_calendar_writes(now, lease_until, ROUND_SIZE)
            .await?;
        let mut done = Vec::with_capacity(jobs.len());
        for job in jobs {
            let written = self.attempt(&job, now).await?;
            done.push((job.id, written));
        }
        Ok(done)
    }

    async fn attempt(&self, job: &CalendarWrite, now: Timestamp) -> StoreResult<Written> {
        let source = match self.store.calendar_source(&job.account_id, &job.source_id).await {
            Ok(source) if source.writable => source,
            Ok(_) => {
                return self
                    .fail(job, None, "the calendar source is no longer writable", now)
                    .await;
            }
            Err(StoreError::NotFound { .. }) => {
                return self.fail(job, None, "the calendar source was deleted", now).await;
            }
            Err(error) => return Err(error),
        };
        let password = match self.secrets.open(&source.password_sealed).await {
            Ok(password) => password,
            Err(error) => return self.fail(job, None, &error.to_string(), now).await,
        };
        let known_etag = match job.action {
            WriteAction::Put => {
                self.store
                    .last_calendar_write_etag(&job.source_id, &job.href, &job.id)
                    .await?
            }
            WriteAction::Delete => None,
        };
        let credentials = (source.username.as_str(), password.as_str());
        let first = writeback::request(job.action, job.change == "created", known_etag.as_deref());
        let (mut answer, mut etag) = self.send(job, &first, credentials).await;
        let mut verdict = writeback::verdict(&first, &answer, job.attempts, &self.backoff, now);
        let mut note = None;
        if verdict == Verdict::Overwrite {
            note = Some(match first.condition {
                Condition::Absent => "the event was already there; written over it",
                _ => "the event was changed in the calendar; written over it",
            });
            let again = Request {
                action: job.action,
                condition: Condition::Whatever,
            };
            (answer, etag) = self.send(job, &again, credentials).await;
            verdict = writeback::verdict(&again, &answer, job.attempts, &self.backoff, now);
        }
        let status = answer.status_code();
        match verdict {
            Verdict::Done => {
                let status = status.unwrap_or(200);
                self.store
                    .mark_calendar_write_done(&job.id, status, etag.as_deref(), note, now)
                    .await?;
                Ok(Written::Done {
                    status,
                    note: note.map(str::to_owned),
                })
            }
            Verdict::RetryAt(at, reason) => {
                self.store
                    .retry_calendar_write_at(&job.id, at, status, &reason, now)
                    .await?;
                Ok(Written::Retrying { at, reason })
            }
            Verdict::Failed(reason) => self.fail(job, status, &reason, now).await,
            // An unconditional write cannot fail its condition; said plainly should it happen.
            Verdict::Overwrite => {
                self.fail(job, status, "the calendar refused an unconditional write", now)
                    .await
            }
        }
    }

    /// Sends `request` for `job`: the answer, and the ETag it gave.
    async fn send(
        &self,
        job: &CalendarWrite,
        request: &Request,
        (user, password): (&str, &str),
    ) -> (Answer, Option<String>) {
        let method = match request.action {
            WriteAction::Put => reqwest::Method::PUT,
            WriteAction::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.http.request(method, &job.href);
        if !user.is_empty() {
            builder = builder.basic_auth(user, Some(password));
        }
        builder = match &request.condition {
            Condition::Absent => builder.header(IF_NONE_MATCH, "*"),
            Condition::Unchanged(etag) => builder.header(IF_MATCH, etag),
            Condition::Whatever => builder,
        };
        if let (WriteAction::Put, Some(body)) = (request.action, &job.body) {
            builder = builder
                .header(CONTENT_TYPE, "text/calendar; charset=utf-8")
                .body(body.clone());
        }
        match builder.send().await {
            Ok(response) => {
                let etag = response
                    .headers()
                    .get(ETAG)
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned);
                (Answer::Status(response.status().as_u16()), etag)
            }
            Err(error) => (Answer::NoAnswer(describe(error)), None),
        }
    }

    async fn fail(
        &self,
        job: &CalendarWrite,
        status: Option<u16>,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<Written> {
        self.store
            .fail_calendar_write(&job.id, status, reason, now)
            .await?;
        Ok(Written::Failed {
            reason: reason.to_owned(),
        })
    }
}

/// The booking as the calendar shows it.
fn entry(booking: &Booking, meeting_type: &str, first_booking_id: String, reschedules: u32) -> FeedEntry {
    FeedEntry {
        status: EntryStatus::Confirmed,
        first_booking_id,
        reschedules,
        reference: booking.reference.clone(),
        start: booking.start_at,
        end: booking.end_at,
        changed_at: booking.updated_at,
        meeting_type: meeting_type.to_owned(),
        invitee_name: booking.invitee_name.clone(),
        invitee_email: booking.invitee_email.clone(),
        invitee_phone: booking.invitee_phone.clone(),
        notes: booking.notes.clone(),
        call: None,
    }
}

/// A failed request in words, without its URL.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        error.to_string()
    }
}

/// The booking listener: enqueues each change's writes, logging (never returning) a failure.
#[derive(Debug, Clone)]
pub struct WriteBookingChanges(pub CalendarWriter);

impl AfterBooking for WriteBookingChanges {
    fn booking_changed<'a>(&'a self, change: &'a BookingChange<'a>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(error) = self.0.enqueue(change, Timestamp::now()).await {
                let booking = &change.appointment.booking;
                tracing::warn!(booking = %booking.id.as_str(), %error, "a calendar write-back could not be enqueued");
            }
        })
    }
}
