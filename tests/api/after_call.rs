//! After the call, over the whole path with the stand-ins, as a business runs it: the account
//! makes its receptionist through the API (provisioned at the ElevenLabs stand-in, which
//! registers switchboard's workspace webhook and keeps its secret) and gives it one of its
//! Twilio numbers. A caller rings that number through the Twilio stand-in and books a cleaning
//! with the scripted agent; the call's record is written; the stand-in delivers its signed
//! post-call report, then three more times, and it is merged once; the caller gets exactly one
//! text, from the agent's number, with the booking's day and time in the booking's zone, whose
//! delivery Twilio reports back. The caller then texts STOP to the number through the Twilio
//! stand-in, and the next follow-up to them is not sent.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};
use switchboard::audio::{AudioFormat, FixtureDir};
use switchboard::config::Secret;
use switchboard::manage::Keys;
use switchboard::messaging::FollowUps;
use switchboard::sim::agent::{SimAgent, SimAgentConfig, SimMode};
use switchboard::sim::twilio::InboundRing;
use switchboard::store::testing::{self, TestStore, unique_phone_number};
use switchboard::store::{CallDirection, CallOutcome, NewCallRecord, SmsStatus, Store};
use switchboard::tools::seed::seed_demo_business;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::call_record::{AGENT, CALLER, PATIENCE, Recorded, SCRIPT};
use crate::phone_support::{ACCOUNT_SID, AUTH_TOKEN, OWNED, SimServer};
use crate::support::TestApi;

const KEY: &str = "xi-after-call-tests";

/// The ElevenLabs stand-in running the booking script, with its REST API behind `KEY`.
async fn scripted_elevenlabs() -> (SimAgent, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let agent = SimAgent::new(SimAgentConfig {
        mode: SimMode::Script,
        input_format: AudioFormat::Ulaw8000,
        output_format: AudioFormat::Ulaw8000,
        api_key: Some(KEY.into()),
        ..SimAgentConfig::default()
    })
    .unwrap();
    let serving = agent.clone();
    tokio::spawn(async move { serving.serve(listener).await });
    (agent, url)
}

#[tokio::test]
async fn a_booking_call_texts_its_caller_once_however_often_its_report_comes() {
    a_booking_call_is_followed_up(testing::sqlite().await).await;
    if let Some(store) = testing::postgres().await {
        a_booking_call_is_followed_up(store).await;
    }
}

async fn a_booking_call_is_followed_up(store: TestStore) {
    let (elevenlabs, elevenlabs_url) = scripted_elevenlabs().await;
    let twilio = SimServer::start().await;
    let twilio_base = twilio.base.clone();
    let api = TestApi::start_with(store, move |config| {
        config.elevenlabs.api_base = elevenlabs_url;
        config.elevenlabs.api_key = Some(Secret::new(KEY));
        config.elevenlabs.provisioning.provision_agents = true;
        config.elevenlabs.provisioning.reconcile_every_secs = 0;
        config.twilio.account_sid = Some(ACCOUNT_SID.into());
        config.twilio.auth_token = Secret::new(AUTH_TOKEN);
        config.twilio.api_base = twilio_base;
    })
    .await;
    // The business's calendar (a host, hours, the cleaning) comes from the demo's seed.
    let business = seed_demo_business(
        &api.store.store(),
        &unique_phone_number(),
        AGENT,
        "America/New_York",
    )
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

    // The receptionist the business makes itself, offering its meeting types, answering (and
    // texting from) one of the Twilio account's numbers.
    let number = OWNED[0];
    let made = api
        .post(
            "/agents",
            &key,
            json!({"name": "Ava", "timezone": "America/New_York"}),
        )
        .await
        .expect(201);
    let agent_id = made["id"].as_str().unwrap();
    let event_types: Vec<Value> = api.get("/event-types", &key).await.expect(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event_type| event_type["id"].clone())
        .collect();
    api.put(
        &format!("/agents/{agent_id}/event-types"),
        &key,
        json!({ "event_type_ids": event_types }),
    )
    .await
    .expect(200);
    api.post(
        &format!("/agents/{agent_id}/phone"),
        &key,
        json!({ "phone_number": number }),
    )
    .await
    .expect(201);
    let webhook = elevenlabs
        .workspace()
        .webhooks()
        .list()
        .into_iter()
        .find(|webhook| webhook.webhook_url == format!("{}/webhooks/elevenlabs", api.base_url))
        .expect("provisioning registered switchboard's workspace webhook");

    let (recorded, mut records) = mpsc::unbounded_channel();
    api.server
        .app
        .recorder
        .after_call()
        .register(Arc::new(Recorded(recorded)));
    let fixtures = FixtureDir::bundled();
    let mut ring = InboundRing::new(number, CALLER);
    ring.caller.max_duration = Duration::from_secs(150);
    for clip in SCRIPT {
        ring.caller.utterances.push(fixtures.caller(clip).unwrap());
    }
    tokio::time::timeout(PATIENCE, twilio.sim.ring(ring))
        .await
        .expect("the call ends")
        .expect("the call is answered");
    let heard = tokio::time::timeout(PATIENCE, records.recv())
        .await
        .expect("the call's record is written")
        .expect("a recorded call");
    let call = heard.call;
    assert_eq!(call.agent_id.as_str(), agent_id);
    let conversation_id = call.conversation_id.clone().expect("the agent's conversation");

    // The stand-in's report as the conversation ended, then three redeliveries (ElevenLabs
    // sends none by itself; a receiver must still expect them).
    delivered(&elevenlabs, &webhook.webhook_id, 1).await;
    let again = reqwest::Client::new()
        .post(format!(
            "{}/sim/conversations/{conversation_id}/deliver-webhook",
            api.server.app.config.elevenlabs.api_base
        ))
        .json(&json!({"count": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 202);
    delivered(&elevenlabs, &webhook.webhook_id, 4).await;
    let store = api.store.store();
    assert_eq!(store.post_call_analysis_count(&conversation_id).await.unwrap(), 1);
    let read = api.get(&format!("/calls/{}", call.id), &key).await.expect(200);
    assert_eq!(read["call"]["outcome"], "booking_created", "{read:#}");
    assert_eq!(read["analysis"]["call_successful"], "success", "{read:#}");

    // The text: one job for the call, sent once, to the caller from the agent's number.
    let job = sent_follow_up(&store, &format!("follow_up:{}", call.id)).await;
    assert_eq!(
        (job.to_number.as_str(), job.from_number.as_str()),
        (CALLER, number)
    );
    assert_eq!(store.sms_jobs(&business.account_id).await.unwrap().len(), 1);
    let texts = texts_to_caller(&twilio);
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

    // A forged STOP changes nothing; the caller's own, through Twilio, opts them out.
    let stop = [
        ("From", CALLER),
        ("To", number),
        ("Body", "STOP"),
        ("AccountSid", ACCOUNT_SID),
    ];
    assert_eq!(forged_text_in(&api, &stop).await, 403);
    assert!(!store.is_opted_out(&business.account_id, CALLER).await.unwrap());
    let stopped = reqwest::Client::new()
        .post(format!("{}/sim/messages/inbound", twilio.base))
        .json(&json!({"from": CALLER, "to": number, "body": " Stop "}))
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status().as_u16(), 200);
    let stopped: Value = stopped.json().await.unwrap();
    assert_eq!(stopped["webhook_status"], 200, "{stopped}");
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
    assert_eq!(texts_to_caller(&twilio).len(), 1, "no second text after STOP");
}

/// The messages from the account's numbers to the caller (Twilio's own keyword replies aside).
fn texts_to_caller(twilio: &SimServer) -> Vec<switchboard::sim::twilio::Message> {
    twilio
        .sim
        .state()
        .messages
        .into_iter()
        .filter(|message| message.to == CALLER && message.direction == "outbound-api")
        .collect()
}

/// Waits until the stand-in counts `count` deliveries its receiver took on `webhook_id`.
async fn delivered(elevenlabs: &SimAgent, webhook_id: &str, count: u64) {
    let taken = async {
        while elevenlabs
            .workspace()
            .webhooks()
            .get(webhook_id)
            .is_none_or(|webhook| webhook.delivered < count)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(PATIENCE, taken)
        .await
        .unwrap_or_else(|_| panic!("{count} post-call deliveries are taken"));
}

/// Posts an incoming text's form to `/twilio/sms` with a signature Twilio never made.
async fn forged_text_in(api: &TestApi, form: &[(&str, &str)]) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/twilio/sms", api.base_url))
        .header("X-Twilio-Signature", "forged")
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
