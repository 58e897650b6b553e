//! After the call, over the whole path with the stand-ins: a caller books a cleaning with the
//! scripted agent through switchboard; the call's record is written; ElevenLabs' signed
//! post-call report arrives three times and is merged once; and the caller gets exactly one
//! text, from the agent's number through Twilio's stand-in, with the booking's day and time
//! in the booking's zone, whose delivery Twilio reports back. The caller then texts STOP, and
//! the next follow-up to that number is not sent.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::json;
use switchboard::audio::FixtureDir;
use switchboard::config::Secret;
use switchboard::manage::Keys;
use switchboard::messaging::FollowUps;
use switchboard::sim::caller::{CallerConfig, place_call};
use switchboard::store::testing::{self, TestStore};
use switchboard::store::{CallDirection, CallOutcome, NewCallRecord, SmsStatus, Store};
use switchboard::tools::seed::seed_demo_business;
use switchboard::wire::elevenlabs::webhook_signature::sign;
use switchboard::wire::signature::RequestValidator;
use tokio::sync::mpsc;

use crate::call_record::{AGENT, CALLER, PATIENCE, Recorded, SCRIPT, scripted_agent};
use crate::phone_support::{ACCOUNT_SID, AUTH_TOKEN, OWNED, SimServer};
use crate::support::TestApi;

const WEBHOOK_SECRET: &str = "wsec_after_call_tests";

#[tokio::test]
async fn a_booking_call_texts_its_caller_once_however_often_its_report_comes() {
    a_booking_call_is_followed_up(testing::sqlite().await).await;
    if let Some(store) = testing::postgres().await {
        a_booking_call_is_followed_up(store).await;
    }
}

async fn a_booking_call_is_followed_up(store: TestStore) {
    let agent_url = scripted_agent().await;
    let twilio = SimServer::start().await;
    let twilio_base = twilio.base.clone();
    let api = TestApi::start_with(store, move |config| {
        config.elevenlabs.api_base = agent_url;
        config.elevenlabs.webhook_secret = Some(Secret::new(WEBHOOK_SECRET));
        config.twilio.account_sid = Some(ACCOUNT_SID.into());
        config.twilio.auth_token = Secret::new(AUTH_TOKEN);
        config.twilio.api_base = twilio_base;
    })
    .await;
    // The agent answers one of the Twilio account's own numbers, which its texts come from.
    let number = OWNED[0];
    let business = seed_demo_business(&api.store.store(), number, AGENT, "America/New_York")
        .await
        .unwrap();
    let key = Keys::new(api.store.store())
        .issue(Some(&business.account_id), "after-call")
        .await
        .unwrap()
        .secret;
    let turned_on = api
        .patch("/account", &key, json!({"sms_follow_ups": true}))
        .await
        .expect(200);
    assert_eq!(turned_on["sms_follow_ups"], true);
    let (recorded, mut records) = mpsc::unbounded_channel();
    api.server
        .app
        .recorder
        .after_call()
        .register(Arc::new(Recorded(recorded)));

    let fixtures = FixtureDir::bundled();
    let mut caller = CallerConfig::new(format!("{}/twilio/voice", api.base_url), AUTH_TOKEN, number);
    caller.from = CALLER.into();
    caller.max_duration = Duration::from_secs(150);
    for clip in SCRIPT {
        caller.utterances.push(fixtures.caller(clip).unwrap());
    }
    tokio::time::timeout(PATIENCE, place_call(&caller, None))
        .await
        .expect("the call ends")
        .expect("the call is answered");
    let heard = tokio::time::timeout(PATIENCE, records.recv())
        .await
        .expect("the call's record is written")
        .expect("a recorded call");
    let call = heard.call;
    let conversation_id = call.conversation_id.clone().expect("the agent's conversation");

    // ElevenLabs' report, delivered three times, as a webhook without retries may be resent.
    let report = json!({
        "type": "post_call_transcription",
        "event_timestamp": Timestamp::now().as_second(),
        "data": {
            "agent_id": "agent_el_demo",
            "conversation_id": conversation_id,
            "status": "done",
            "transcript": [],
            "metadata": {"start_time_unix_secs": call.started_at.as_second(), "call_duration_secs": 40, "cost": 120},
            "analysis": {"call_successful": "success", "transcript_summary": "Jane Doe booked a cleaning."}
        }
    })
    .to_string();
    for _ in 0..3 {
        let delivered = reqwest::Client::new()
            .post(format!("{}/webhooks/elevenlabs", api.base_url))
            .header("content-type", "application/json")
            .header(
                "ElevenLabs-Signature",
                sign(
                    WEBHOOK_SECRET.as_bytes(),
                    Timestamp::now().as_second(),
                    report.as_bytes(),
                ),
            )
            .body(report.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(delivered.status(), 200);
    }
    let read = api.get(&format!("/calls/{}", call.id), &key).await.expect(200);
    assert_eq!(read["call"]["outcome"], "booking_created", "{read:#}");
    assert_eq!(
        read["analysis"]["transcript_summary"],
        "Jane Doe booked a cleaning."
    );

    // The text: one job for the call, sent once, to the caller from the agent's number.
    let store = api.store.store();
    let job = sent_follow_up(&store, &format!("follow_up:{}", call.id)).await;
    assert_eq!(
        (job.to_number.as_str(), job.from_number.as_str()),
        (CALLER, number)
    );
    assert_eq!(store.sms_jobs(&business.account_id).await.unwrap().len(), 1);
    let texts: Vec<_> = twilio
        .sim
        .state()
        .messages
        .into_iter()
        .filter(|message| message.to == CALLER)
        .collect();
    assert_eq!(texts.len(), 1, "{texts:#?}");
    let text = &texts[0];
    assert_eq!(text.from.as_deref(), Some(number));
    assert_eq!(text.body, job.body);
    assert!(text.body.contains("Cleaning"), "{}", text.body);
    assert!(
        text.body.contains("America/New_York"),
        "the booking's zone: {}",
        text.body
    );
    // Twilio's delivery report, signed, comes back to `/twilio/sms-status`.
    let delivered = job_where(&store, &job.idempotency_key, |job| {
        job.message_status.as_deref() == Some("delivered")
    })
    .await;
    assert_eq!(delivered.message_sid, job.message_sid);

    // STOP from the caller: a forged one changes nothing, Twilio's signed one opts them out.
    let stop = [
        ("From", CALLER),
        ("To", number),
        ("Body", " Stop "),
        ("AccountSid", ACCOUNT_SID),
    ];
    assert_eq!(text_in(&api, &stop, "forged").await, 403);
    assert!(!store.is_opted_out(&business.account_id, CALLER).await.unwrap());
    let url = format!("{}/twilio/sms", api.base_url);
    let signature = RequestValidator::new(AUTH_TOKEN).sign(&url, &stop);
    assert_eq!(text_in(&api, &stop, &signature).await, 200);
    assert!(store.is_opted_out(&business.account_id, CALLER).await.unwrap());

    // The caller's next call earns a follow-up, which is not sent.
    let next = store
        .insert_call(
            &business.account_id,
            NewCallRecord {
                agent_id: call.agent_id.clone(),
                call_sid: format!("{}_next", call.call_sid),
                direction: CallDirection::Inbound,
                from_number: CALLER.into(),
                to_number: number.into(),
                started_at: Timestamp::now(),
            },
        )
        .await
        .unwrap()
        .unwrap();
    store
        .set_call_outcome(
            &business.account_id,
            &next.id,
            CallOutcome::BookingCreated,
            call.booking_id.as_ref(),
        )
        .await
        .unwrap();
    let next = store.call_by_sid(&next.call_sid).await.unwrap().unwrap();
    FollowUps::new(store.clone())
        .call_ended(&next)
        .await
        .unwrap()
        .expect("a booking earns a follow-up");
    let skipped = job_where(&store, &format!("follow_up:{}", next.id), |job| {
        job.status != SmsStatus::Pending && job.status != SmsStatus::Sending
    })
    .await;
    assert_eq!(skipped.status, SmsStatus::Skipped, "{skipped:#?}");
    assert_eq!(skipped.last_error.as_deref(), Some("the recipient opted out"));
    let texts = twilio
        .sim
        .state()
        .messages
        .into_iter()
        .filter(|m| m.to == CALLER)
        .count();
    assert_eq!(texts, 1, "no second text after STOP");
}

/// Posts an incoming text's form to `/twilio/sms` with `signature`; the status.
async fn text_in(api: &TestApi, form: &[(&str, &str)], signature: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/twilio/sms", api.base_url))
        .header("X-Twilio-Signature", signature)
        .form(form)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The job with `key` once `ready` holds for it.
async fn job_where(
    store: &Store,
    key: &str,
    ready: impl Fn(&switchboard::store::SmsJob) -> bool,
) -> switchboard::store::SmsJob {
    let found = async {
        loop {
            if let Ok(job) = store.sms_job_by_key(key).await
                && ready(&job)
            {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(PATIENCE, found)
        .await
        .expect("the job gets there")
}

/// The follow-up job with `key` once the outbox's worker has sent it.
async fn sent_follow_up(store: &Store, key: &str) -> switchboard::store::SmsJob {
    let sent = async {
        loop {
            // The job appears once the call's record is written, and is sent by the outbox's
            // worker, woken by the enqueue: this waits for both, however slow the machine.
            if let Ok(job) = store.sms_job_by_key(key).await {
                match job.status {
                    SmsStatus::Sent => return job,
                    SmsStatus::Failed | SmsStatus::Skipped => panic!("the follow-up was not sent: {job:#?}"),
                    SmsStatus::Pending | SmsStatus::Sending => {}
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(PATIENCE, sent)
        .await
        .expect("the follow-up is sent")
}
