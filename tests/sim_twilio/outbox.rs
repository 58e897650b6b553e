//! The SMS outbox sending through the stand-in, on SQLite and PostgreSQL: a second enqueue is
//! a no-op, a 500 is retried with backoff and texts once, an attempt whose answer never came
//! is looked up and not sent again, 21610 opts the number out for good, and a status Twilio
//! posts before the send is recorded is kept on the job its callback URL names.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use switchboard::config::Secret;
use switchboard::messaging::{Attempted, Sender, TEXT_BACKOFF, delivery};
use switchboard::sim::failures::FailureRule;
use switchboard::store::testing::{on_each_backend, seed_business};
use switchboard::store::{AccountId, NewSms, SmsJob, SmsStatus, Store};
use switchboard::vendor_api::twilio::TwilioClient;

use crate::support::{ACCOUNT_SID, AUTH_TOKEN, Twilio, config};

const OURS: &str = "+14155550100";
const THEM: &str = "+14155550177";
const BODY: &str = "Your cleaning is booked for Tuesday at 10:00.";

fn at(secs: i64) -> Timestamp {
    "2026-03-10T14:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_secs(secs)
}

async fn stand_in(unsubscribed: &[&str]) -> Twilio {
    let mut setup = config();
    setup.numbers = vec![OURS.into()];
    setup.unsubscribed = unsubscribed.iter().map(|n| (*n).to_owned()).collect();
    Twilio::start(setup).await
}

fn sender(store: &Store, twilio: &Twilio) -> Sender {
    let client = TwilioClient::new(
        &twilio.base,
        ACCOUNT_SID,
        Secret::new(AUTH_TOKEN),
        Duration::from_secs(30),
    );
    Sender::new(store.clone(), client, "https://switchboard.example", TEXT_BACKOFF)
}

fn text(account_id: &AccountId, key: &str) -> NewSms {
    NewSms {
        account_id: account_id.clone(),
        idempotency_key: key.into(),
        to_number: THEM.into(),
        from_number: OURS.into(),
        body: BODY.into(),
    }
}

/// The stand-in (with `unsubscribed` numbers), a business, and its first text enqueued at 0.
async fn one_text(store: &Store, unsubscribed: &[&str]) -> (Twilio, AccountId, SmsJob) {
    let twilio = stand_in(unsubscribed).await;
    let account = seed_business(store).await.account.id;
    let (job, created) = store
        .enqueue_sms(text(&account, "follow_up:c1"), at(0))
        .await
        .unwrap();
    assert!(created);
    (twilio, account, job)
}

fn messages_to_them(twilio: &Twilio) -> usize {
    twilio
        .sim
        .state()
        .messages
        .iter()
        .filter(|m| m.to == THEM)
        .count()
}

#[tokio::test]
async fn a_server_error_is_retried_after_its_backoff_and_texts_once() {
    on_each_backend(|store| async move {
        let (twilio, account, job) = one_text(&store, &[]).await;
        // The first send is answered 500.
        twilio.sim.failures().add(
            FailureRule::new(
                Method::POST,
                "/2010-04-01/Accounts/*/Messages.json",
                1,
                StatusCode::INTERNAL_SERVER_ERROR,
            )
            .unwrap(),
        );
        assert!(
            !store
                .enqueue_sms(text(&account, "follow_up:c1"), at(1))
                .await
                .unwrap()
                .1
        );
        let sender = sender(&store, &twilio);

        let first = sender.run_due(at(2)).await.unwrap();
        assert_eq!(first, vec![(job.id.clone(), Attempted::Retrying { at: at(32) })]);
        assert_eq!(messages_to_them(&twilio), 0);
        // Not due before its backoff ends.
        assert!(sender.run_due(at(31)).await.unwrap().is_empty());
        let second = sender.run_due(at(32)).await.unwrap();
        assert!(
            matches!(&second[..], [(_, Attempted::Sent { found: false, .. })]),
            "{second:?}"
        );
        assert!(sender.run_due(at(10_000)).await.unwrap().is_empty());

        assert_eq!(messages_to_them(&twilio), 1);
        let sent = store.sms_job(&job.id).await.unwrap();
        assert_eq!((sent.status, sent.attempts), (SmsStatus::Sent, 2));
        assert_eq!(
            sent.message_sid.as_deref(),
            Some(twilio.sim.state().messages[0].sid.as_str())
        );
    })
    .await;
}

#[tokio::test]
async fn a_message_that_landed_before_its_answer_was_lost_is_not_sent_again() {
    on_each_backend(|store| async move {
        let (twilio, _, job) = one_text(&store, &[]).await;
        // The first attempt reached Twilio, but its answer never came back.
        let (status, landed) = twilio
            .post("Messages.json", &[("To", THEM), ("From", OURS), ("Body", BODY)])
            .await;
        assert_eq!(status, 201);
        assert_eq!(store.claim_due_sms(at(1), at(121), 10).await.unwrap().len(), 1);
        store
            .retry_sms_at(&job.id, at(31), true, "could not reach Twilio: timed out", at(1))
            .await
            .unwrap();

        let round = sender(&store, &twilio).run_due(at(31)).await.unwrap();
        let landed_sid = landed["sid"].as_str().unwrap().to_owned();
        assert_eq!(
            round,
            vec![(
                job.id.clone(),
                Attempted::Sent {
                    message_sid: landed_sid.clone(),
                    found: true
                }
            )]
        );
        assert_eq!(messages_to_them(&twilio), 1);
        assert_eq!(
            store.sms_job(&job.id).await.unwrap().message_sid,
            Some(landed_sid)
        );
    })
    .await;
}

#[tokio::test]
async fn twilios_21610_opts_the_number_out_and_is_never_retried() {
    on_each_backend(|store| async move {
        let (twilio, account, job) = one_text(&store, &[THEM]).await;
        let sender = sender(&store, &twilio);
        assert_eq!(
            sender.run_due(at(1)).await.unwrap(),
            vec![(job.id.clone(), Attempted::OptedOut)]
        );
        let failed = store.sms_job(&job.id).await.unwrap();
        assert_eq!(failed.status, SmsStatus::Failed);
        assert_eq!(failed.error_code.as_deref(), Some("21610"));
        assert!(store.is_opted_out(&account, THEM).await.unwrap());
        assert!(sender.run_due(at(100_000)).await.unwrap().is_empty());

        // The next text to that number is skipped without asking Twilio.
        let requests_before = twilio.sim.requests().all().len();
        let (next, _) = store
            .enqueue_sms(text(&account, "follow_up:c2"), at(2))
            .await
            .unwrap();
        assert_eq!(
            sender.run_due(at(3)).await.unwrap(),
            vec![(next.id.clone(), Attempted::OptedOut)]
        );
        let skipped = store.sms_job(&next.id).await.unwrap();
        assert_eq!(skipped.status, SmsStatus::Skipped);
        assert_eq!(skipped.last_error.as_deref(), Some("the recipient opted out"));
        assert_eq!(twilio.sim.requests().all().len(), requests_before);
        assert_eq!(messages_to_them(&twilio), 0);
    })
    .await;
}

#[tokio::test]
async fn a_status_posted_before_the_send_is_recorded_is_kept_on_its_job() {
    on_each_backend(|store| async move {
        let (twilio, account, job) = one_text(&store, &[]).await;
        let sender = sender(&store, &twilio);
        let round = sender.run_due(at(1)).await.unwrap();
        let Attempted::Sent { message_sid, .. } = &round[0].1 else {
            panic!("{round:?}");
        };
        // The message asks Twilio to post its statuses to a URL naming the job.
        let callback = twilio.sim.state().messages[0].status_callback.clone();
        assert_eq!(
            callback.as_deref(),
            Some(format!("https://switchboard.example/twilio/sms-status?job={}", job.id).as_str())
        );

        // A second job whose `delivered` comes in while the answer to its send is still on
        // its way: kept, and recording the send afterwards does not undo it.
        let (early, _) = store
            .enqueue_sms(text(&account, "follow_up:c2"), at(2))
            .await
            .unwrap();
        let sid = "SM0123456789abcdef0123456789abcdef";
        assert!(
            delivery::status_reported(&store, Some(&early.id), sid, "delivered", None)
                .await
                .unwrap()
        );
        store
            .mark_sms_sent(&early.id, sid, "queued", at(3))
            .await
            .unwrap();
        let kept = store.sms_job(&early.id).await.unwrap();
        assert_eq!(
            (kept.message_sid.as_deref(), kept.message_status.as_deref()),
            (Some(sid), Some("delivered"))
        );

        // A status for another message than the one a job kept is not that job's.
        let stray = "SMffffffffffffffffffffffffffffffff";
        assert!(
            !delivery::status_reported(&store, Some(&job.id), stray, "failed", None)
                .await
                .unwrap()
        );
        // Nor is one naming a job that does not exist; an old URL without the job still
        // finds its job by the message's sid.
        assert!(
            !delivery::status_reported(&store, Some("no-such-job"), message_sid, "read", None)
                .await
                .unwrap()
        );
        assert!(
            delivery::status_reported(&store, None, message_sid, "read", None)
                .await
                .unwrap()
        );
        assert_eq!(
            store.sms_job(&job.id).await.unwrap().message_status.as_deref(),
            Some("read")
        );
    })
    .await;
}
