//! Email through a real SMTP server (`tests/python/smtp_sink.py`: aiosmtpd, started by the
//! test), on both databases. A booking made through the API and one made by the agent's tool
//! each send exactly one confirmation to the invitee, with an invitation that Python's
//! `icalendar` reads (its UID, its times on the host's clock in New York), and one notice to
//! the host; the same request repeated, and the same change reported again, add no mail; a
//! move sends the update under the same UID with a higher SEQUENCE, a cancellation a CANCEL.
//! A server that answers 451 gets the message once, on the retry after the backoff; one that
//! answers 550 ends the job as failed with its reply. A call is summarised once to the address
//! the account set through `/email-settings`, and not at all without one.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use switchboard::config::{EmailConfig, Secret, SmtpTls};
use switchboard::email::retry::EMAIL_BACKOFF;
use switchboard::email::{Attempted, CallSummaries, Mailer, Sender};
use switchboard::store::testing::{self, TestStore};
use switchboard::store::{CallDirection, CallOutcome, CallTurn, EmailStatus, NewCallRecord, TurnRole};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};
use tokio::sync::Notify;

use crate::business::{Business, CALLER, HOST_ZONE, business};
use crate::python::{Python, python_with_package};
use crate::support::TestApi;

const PATIENCE: Duration = Duration::from_secs(30);
const TOOL_SECRET: &str = "tool-secret-email";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/smtp_sink.py");
const HOST_EMAIL: &str = "maya.chen@harbor.example";
const TRY_LATER: &str = "451 4.3.0 Try again later";

/// The SMTP server and the messages it accepted.
struct Sink {
    python: Python,
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    port: u16,
    _folder: tempfile::TempDir,
}

impl Sink {
    /// A sink that answers the first `refuse` messages with `reply`.
    async fn start(python: &Python, refuse: u32, reply: &str) -> Sink {
        let folder = tempfile::tempdir().unwrap();
        let mut child = python
            .tokio_command()
            .args([
                SCRIPT,
                "serve",
                folder.path().to_str().unwrap(),
                "--refuse",
                &refuse.to_string(),
                "--reply",
                reply,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python runs");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(PATIENCE, lines.next_line())
            .await
            .expect("the sink starts")
            .unwrap()
            .expect("a READY line");
        let port = ready.strip_prefix("READY ").expect(&ready).parse().unwrap();
        Sink {
            python: python.clone(),
            child,
            lines,
            port,
            _folder: folder,
        }
    }

    /// The next message the sink accepted, as `smtp_sink.py read` gives it. The sink writes
    /// the file before it answers 250, so after a send is `Sent` its line is there.
    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(PATIENCE, self.lines.next_line())
            .await
            .expect("a message")
            .unwrap()
            .expect("the sink is running");
        let path = PathBuf::from(line.strip_prefix("RECEIVED ").expect(&line));
        let out = self
            .python
            .tokio_command()
            .args([SCRIPT, "read", path.to_str().unwrap()])
            .output()
            .await
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The messages accepted since the last look, once `sent` sends are known done.
    async fn take(&mut self, sent: usize) -> Vec<Value> {
        let mut got = Vec::new();
        for _ in 0..sent {
            got.push(self.next().await);
        }
        got
    }

    fn config(&self) -> EmailConfig {
        EmailConfig {
            host: Some("127.0.0.1".into()),
            port: self.port,
            tls: SmtpTls::None,
            allow_plain_loopback: true,
            username: None,
            password: Some(Secret::new("never-shown")),
            from: Some("Harbor Dental <bookings@harbor.example>".into()),
            reply_to: Some("front-desk@harbor.example".into()),
            // The test drives the rounds with explicit instants.
            send_every_secs: 0,
            ..EmailConfig::default()
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

async fn start(store: TestStore, email: EmailConfig) -> TestApi {
    TestApi::start_with(store, move |config| {
        config.email = email;
        config.tool_secret = Some(Secret::new(TOOL_SECRET));
    })
    .await
}

async fn on_each_database(refuse: u32, reply: &str, scenario: impl AsyncFn(TestApi, Sink, Sender)) {
    let Some(python) = python_with_package("email_through_a_real_smtp_server", "aiosmtpd") else {
        return;
    };
    let mut stores = vec![testing::sqlite().await];
    stores.extend(testing::postgres().await);
    for store in stores {
        let sink = Sink::start(&python, refuse, reply).await;
        let config = sink.config();
        let sender = Sender::new(
            store.store(),
            Mailer::from_config(&config).unwrap(),
            EMAIL_BACKOFF,
        );
        scenario(start(store, config).await, sink, sender).await;
    }
}

/// Whole milliseconds, as the store keeps instants.
fn now() -> Timestamp {
    Timestamp::from_millisecond(Timestamp::now().as_millisecond()).unwrap()
}

/// The host gets an address, so it gets notices.
async fn host_with_email(api: &TestApi, business: &Business) {
    api.patch(
        &format!("/hosts/{}", business.demo.host_id),
        &business.key,
        json!({"email": HOST_EMAIL}),
    )
    .await
    .expect(200);
}

fn sent(attempted: &[(switchboard::store::EmailJob, Attempted)]) -> usize {
    attempted.iter().filter(|(_, a)| *a == Attempted::Sent).count()
}

/// The message in `got` sent to `address`; fails unless there is exactly one.
fn to<'a>(got: &'a [Value], address: &str) -> &'a Value {
    let mine: Vec<&Value> = got
        .iter()
        .filter(|m| m["to"].as_str().unwrap().contains(address))
        .collect();
    assert_eq!(mine.len(), 1, "one message to {address}: {got:#?}");
    mine[0]
}

/// The invitation a message carries: its calendar as `icalendar` read it.
fn invitation(message: &Value) -> &Value {
    let attachments = message["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{message:#}");
    assert_eq!(attachments[0]["filename"], "invite.ics");
    assert_eq!(attachments[0]["content_type"], "text/calendar");
    &attachments[0]["calendar"]
}

/// `start` (RFC 3339 with offset) on New York's wall clock, as `icalendar` writes it.
fn new_york_local(start: &str) -> String {
    let at: Timestamp = start.parse().unwrap();
    at.to_zoned(jiff::tz::TimeZone::get(HOST_ZONE).unwrap())
        .datetime()
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

#[tokio::test]
async fn each_booking_change_mails_the_invitee_once_with_an_invitation_and_notifies_the_host() {
    on_each_database(0, TRY_LATER, async |api, mut sink, sender| {
        let business = business(&api).await;
        host_with_email(&api, &business).await;
        let starts = business.free_cleanings(&api).await;
        let cleaning_id = business.demo.cleaning_id.to_string();

        // Made through the API, the request then repeated with its key: one booking.
        let request = json!({"event_type_id": cleaning_id, "start": starts[0],
            "invitee_name": "Ada Lovelace", "invitee_email": "ada@example.com"});
        let made = api
            .send(
                api.request(reqwest::Method::POST, "/bookings", &business.key)
                    .header("Idempotency-Key", "mail-1")
                    .json(&request),
            )
            .await
            .expect(201);
        let again = api
            .send(
                api.request(reqwest::Method::POST, "/bookings", &business.key)
                    .header("Idempotency-Key", "mail-1")
                    .json(&request),
            )
            .await
            .expect(201);
        assert_eq!(again["id"], made["id"]);
        let attempted = sender.run_due(now()).await.unwrap();
        assert_eq!(sent(&attempted), 2, "{attempted:?}");
        let got = sink.take(2).await;
        let confirmation = to(&got, "ada@example.com");
        assert!(
            confirmation["from"]
                .as_str()
                .unwrap()
                .contains("bookings@harbor.example")
        );
        assert_eq!(confirmation["reply_to"], "front-desk@harbor.example");
        assert!(
            confirmation["subject"]
                .as_str()
                .unwrap()
                .starts_with("Confirmed: Cleaning with "),
            "{confirmation:#}"
        );
        let text = confirmation["text"].as_str().unwrap();
        assert!(text.contains(made["reference"].as_str().unwrap()), "{text}");
        let calendar = invitation(confirmation);
        assert_eq!(calendar["method"], "REQUEST");
        assert_eq!(calendar["timezones"], json!([HOST_ZONE]));
        let event = &calendar["events"][0];
        let first_uid = format!("{}@switchboard", made["id"].as_str().unwrap());
        assert_eq!(event["uid"], first_uid.as_str());
        assert_eq!(event["sequence"], 0);
        assert_eq!(event["start_tzid"], HOST_ZONE);
        assert_eq!(event["start_local"], new_york_local(&starts[0]).as_str());
        let start_utc: Timestamp = starts[0].parse().unwrap();
        let read_utc: Timestamp = event["start_utc"].as_str().unwrap().parse().unwrap();
        assert_eq!(read_utc, start_utc);
        assert!(event["attendee"].as_str().unwrap().contains("ada@example.com"));
        assert!(
            event["organizer"]
                .as_str()
                .unwrap()
                .contains("bookings@harbor.example")
        );
        let notice = to(&got, HOST_EMAIL);
        assert!(
            notice["subject"]
                .as_str()
                .unwrap()
                .starts_with("New booking: Ada Lovelace")
        );
        assert!(notice["attachments"].as_array().unwrap().is_empty());

        // The change reported again (a redelivered event) enqueues nothing more.
        let store = api.store.store();
        let jobs = store.email_jobs(&business.demo.account_id).await.unwrap();
        assert_eq!(jobs.len(), 2);
        for job in &jobs {
            let (_, written) = store
                .enqueue_email(
                    switchboard::store::NewEmail {
                        account_id: job.account_id.clone(),
                        idempotency_key: job.idempotency_key.clone(),
                        kind: job.kind.clone(),
                        to_address: job.to_address.clone(),
                        to_name: job.to_name.clone(),
                        subject: job.subject.clone(),
                        body: job.body.clone(),
                        attachment: job.attachment.clone(),
                    },
                    now(),
                )
                .await
                .unwrap();
            assert!(!written, "{}", job.idempotency_key);
        }
        assert!(sender.run_due(now()).await.unwrap().is_empty());

        // Moved through the API: the update under the same UID, one sequence on.
        let moved = api
            .post(
                &format!("/bookings/{}/reschedule", made["id"].as_str().unwrap()),
                &business.key,
                json!({"start": starts[3]}),
            )
            .await
            .expect(201);
        assert_eq!(sent(&sender.run_due(now()).await.unwrap()), 2);
        let got = sink.take(2).await;
        let update = to(&got, "ada@example.com");
        assert!(update["subject"].as_str().unwrap().starts_with("Moved: "));
        let calendar = invitation(update);
        assert_eq!(calendar["method"], "REQUEST");
        assert_eq!(calendar["events"][0]["uid"], first_uid.as_str());
        assert_eq!(calendar["events"][0]["sequence"], 1);
        assert_eq!(
            calendar["events"][0]["start_local"],
            new_york_local(&starts[3]).as_str()
        );
        assert!(
            to(&got, HOST_EMAIL)["subject"]
                .as_str()
                .unwrap()
                .starts_with("Booking moved")
        );

        // Cancelled by the agent's tool, over the tools' HTTP endpoint of the same server.
        let cancelled = reqwest::Client::new()
            .post(format!("{}/tools/update_booking", api.base_url))
            .header("X-Voice-Secret", TOOL_SECRET)
            .json(
                &json!({"agent_id": business.demo.agent_id.to_string(), "caller_number": CALLER,
                          "booking_id": moved["reference"], "cancel": true}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(cancelled.status().as_u16(), 200);
        assert_eq!(sent(&sender.run_due(now()).await.unwrap()), 2);
        let got = sink.take(2).await;
        let cancellation = to(&got, "ada@example.com");
        let calendar = invitation(cancellation);
        assert_eq!(calendar["method"], "CANCEL");
        assert_eq!(calendar["events"][0]["uid"], first_uid.as_str());
        assert_eq!(calendar["events"][0]["sequence"], 2);
        assert_eq!(calendar["events"][0]["status"], "CANCELLED");
        assert!(
            to(&got, HOST_EMAIL)["subject"]
                .as_str()
                .unwrap()
                .starts_with("Booking cancelled")
        );

        // Booked by the agent's tool on a call: one confirmation, one notice.
        let booked = reqwest::Client::new()
            .post(format!("{}/tools/create_booking", api.base_url))
            .header("X-Voice-Secret", TOOL_SECRET)
            .json(
                &json!({"agent_id": business.demo.agent_id.to_string(), "caller_number": CALLER,
                          "event_type_slug": "cleaning", "start_time": starts[5],
                          "invitee_name": "Grace Hopper", "invitee_email": "grace@example.com"}),
            )
            .send()
            .await
            .unwrap();
        let status = booked.status().as_u16();
        let reply: Value = booked.json().await.unwrap();
        assert_eq!(status, 200, "{reply}");
        assert_eq!(sent(&sender.run_due(now()).await.unwrap()), 2);
        let got = sink.take(2).await;
        let calendar = invitation(to(&got, "grace@example.com"));
        assert_eq!(
            calendar["events"][0]["start_local"],
            new_york_local(&starts[5]).as_str()
        );
        assert!(
            to(&got, HOST_EMAIL)["text"]
                .as_str()
                .unwrap()
                .contains("Grace Hopper")
        );

        let jobs = store.email_jobs(&business.demo.account_id).await.unwrap();
        assert_eq!(jobs.len(), 8);
        assert!(jobs.iter().all(|job| job.status == EmailStatus::Sent), "{jobs:?}");
    })
    .await;
}

#[tokio::test]
async fn a_451_is_retried_after_the_backoff_and_the_message_arrives_once() {
    on_each_database(1, TRY_LATER, async |api, mut sink, sender| {
        let business = business(&api).await;
        let starts = business.free_cleanings(&api).await;
        api.post(
            "/bookings",
            &business.key,
            json!({"event_type_id": business.demo.cleaning_id.to_string(), "start": starts[1],
                   "invitee_name": "Ada Lovelace", "invitee_email": "ada@example.com"}),
        )
        .await
        .expect(201);
        let t0 = now();
        let at = |secs: i64| t0 + SignedDuration::from_secs(secs);
        let first = sender.run_due(at(0)).await.unwrap();
        assert_eq!(first.len(), 1, "the host has no address: only the invitee's");
        assert!(
            matches!(&first[0].1, Attempted::Retrying { at: next, reason } if *next == at(30) && reason.contains("451")),
            "{first:?}"
        );
        assert!(sender.run_due(at(29)).await.unwrap().is_empty(), "not due yet");
        let second = sender.run_due(at(30)).await.unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].1, Attempted::Sent);
        let got = sink.take(1).await;
        assert_eq!(invitation(to(&got, "ada@example.com"))["method"], "REQUEST");
        let job = api
            .store
            .store()
            .email_job(&second[0].0.id)
            .await
            .unwrap();
        assert_eq!((job.status, job.attempts), (EmailStatus::Sent, 2));
        assert_eq!(job.smtp_code, Some(451), "the last failure is kept");
        assert!(sender.run_due(at(100_000)).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_550_ends_the_job_as_failed_with_the_servers_reply() {
    on_each_database(1, "550 5.1.1 No such mailbox", async |api, mut sink, sender| {
        let business = business(&api).await;
        let starts = business.free_cleanings(&api).await;
        let booking_for = |name: &str, address: &str, start: &str| {
            json!({"event_type_id": business.demo.cleaning_id.to_string(), "start": start,
                   "invitee_name": name, "invitee_email": address})
        };
        api.post(
            "/bookings",
            &business.key,
            booking_for("Nobody", "nobody@example.com", &starts[0]),
        )
        .await
        .expect(201);
        let t0 = now();
        let first = sender.run_due(t0).await.unwrap();
        assert_eq!(first.len(), 1);
        assert!(
            matches!(&first[0].1, Attempted::Failed { reason } if reason.contains("No such mailbox")),
            "{first:?}"
        );
        let job = api.store.store().email_job(&first[0].0.id).await.unwrap();
        assert_eq!(
            (job.status, job.attempts, job.smtp_code),
            (EmailStatus::Failed, 1, Some(550))
        );
        assert!(job.last_error.unwrap().contains("No such mailbox"));
        assert!(
            sender
                .run_due(t0 + SignedDuration::from_secs(100_000))
                .await
                .unwrap()
                .is_empty()
        );

        // The next message is accepted: the sink refused only the first.
        api.post(
            "/bookings",
            &business.key,
            booking_for("Ada", "ada@example.com", &starts[4]),
        )
        .await
        .expect(201);
        assert_eq!(sent(&sender.run_due(now()).await.unwrap()), 1);
        let got = sink.take(1).await;
        to(&got, "ada@example.com");
    })
    .await;
}

#[tokio::test]
async fn a_call_is_summarised_once_to_the_accounts_summary_address() {
    on_each_database(0, TRY_LATER, async |api, mut sink, sender| {
        let business = business(&api).await;
        let store = api.store.store();
        let account_id = business.demo.account_id.clone();
        let call = store
            .insert_call(
                &account_id,
                NewCallRecord {
                    agent_id: business.demo.agent_id.clone(),
                    call_sid: format!("CA{}", uuid::Uuid::new_v4().simple()),
                    direction: CallDirection::Inbound,
                    from_number: CALLER.into(),
                    to_number: business.ctx.called_number.clone().unwrap(),
                    started_at: now(),
                },
            )
            .await
            .unwrap()
            .unwrap();
        store
            .set_call_outcome(&account_id, &call.id, CallOutcome::InfoProvided, None)
            .await
            .unwrap();
        let call = store.call_by_sid(&call.call_sid).await.unwrap().unwrap();
        let transcript = [
            CallTurn::Said {
                role: TurnRole::Agent,
                text: "Harbor Dental, this is Ava.".into(),
                at_ms: 0,
            },
            CallTurn::Said {
                role: TurnRole::Caller,
                text: "Are you open on Saturdays?".into(),
                at_ms: 2_000,
            },
        ];
        let summaries = CallSummaries::new(store.clone(), Arc::new(Notify::new()));
        let summarise = async || {
            summaries
                .call_ended(&call, "Asked about Saturday hours.", &transcript, None, now())
                .await
                .unwrap()
        };
        assert!(!summarise().await, "no summary address: nothing is enqueued");

        let refused = api
            .put(
                "/email-settings",
                &business.key,
                json!({"summary_to": "front desk"}),
            )
            .await
            .error(422);
        assert_eq!(refused["field"], "summary_to", "{refused}");
        let settings = api
            .put(
                "/email-settings",
                &business.key,
                json!({"summary_to": "owner@harbor.example"}),
            )
            .await
            .expect(200);
        assert_eq!(settings["summary_to"], "owner@harbor.example");
        assert_eq!(
            api.get("/email-settings", &business.key).await.expect(200),
            settings
        );

        assert!(summarise().await);
        assert!(!summarise().await, "the same call again enqueues nothing");
        assert_eq!(sent(&sender.run_due(now()).await.unwrap()), 1);
        let got = sink.take(1).await;
        let summary = to(&got, "owner@harbor.example");
        assert_eq!(summary["subject"], format!("Call from {CALLER}: info_provided"));
        let text = summary["text"].as_str().unwrap();
        assert!(text.contains("Asked about Saturday hours."), "{text}");
        assert!(text.contains("Caller: Are you open on Saturdays?"), "{text}");
        assert!(text.contains("to Ava"), "{text}");
        assert!(sender.run_due(now()).await.unwrap().is_empty());

        api.put("/email-settings", &business.key, json!({"summary_to": null}))
            .await
            .expect(200);
        assert_eq!(
            api.get("/email-settings", &business.key).await.expect(200)["summary_to"],
            Value::Null
        );
    })
    .await;
}

#[tokio::test]
async fn the_worker_sends_at_once_after_an_enqueue() {
    let Some(python) = python_with_package("the_worker_sends_at_once_after_an_enqueue", "aiosmtpd") else {
        return;
    };
    let mut sink = Sink::start(&python, 0, TRY_LATER).await;
    // A round an hour apart: only the wake-up after the enqueue sends in time.
    let email = EmailConfig {
        send_every_secs: 3600,
        ..sink.config()
    };
    let api = start(testing::sqlite().await, email).await;
    let business = business(&api).await;
    // The worker's first round runs at start, before anything is enqueued; the booking below
    // is sent by the wake-up.
    let start = business.free_cleanings(&api).await.remove(0);
    api.post(
        "/bookings",
        &business.key,
        json!({"event_type_id": business.demo.cleaning_id.to_string(), "start": start,
               "invitee_name": "Ada Lovelace", "invitee_email": "ada@example.com"}),
    )
    .await
    .expect(201);
    let got = sink.take(1).await;
    assert_eq!(invitation(to(&got, "ada@example.com"))["method"], "REQUEST");
}
