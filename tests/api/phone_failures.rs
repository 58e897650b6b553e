//! A number's provisioning when Twilio or the store fails, against `switchboard sim twilio`
//! on SQLite and PostgreSQL: a failure injected at each step leaves nothing behind (no number
//! bought, the business's URLs as they were, no row), a row the store refuses undoes the
//! steps before it, an undo that fails is finished by the runs' recovery, and a crash in the
//! middle of a purchase is recovered by the number's marker.

use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::json;
use switchboard::provision::numbers::{NumberError, NumberSource, RELEASE_MARKED, TwilioNumbers};
use switchboard::provision::{Provisioner, Step, Undo, Undoers, recovery};
use switchboard::sim::failures::FailureRule;
use switchboard::store::{AccountId, AgentChanges, AgentId};
use switchboard::vendor_api::twilio::AvailableSearch;

use super::phone_support::{BUSINESS_VOICE_URL, OWNED, SimServer, agent, agents_number, on_each_backend};
use super::support::{TestAccount, TestApi};

/// The runs' recovery sees a run as abandoned once it is this old.
const LATER: SignedDuration = SignedDuration::from_secs(10 * 60);

fn fail(twilio: &SimServer, method: Method, path: &str, times: u32, status: u16) {
    twilio.sim.failures().add(
        FailureRule::new(
            method,
            &format!("/2010-04-01/Accounts/*/{path}"),
            times,
            StatusCode::from_u16(status).unwrap(),
        )
        .unwrap(),
    );
}

async fn provisioning_failed(
    api: &TestApi,
    twilio: &SimServer,
    account: &TestAccount,
    agent: &str,
    body: serde_json::Value,
) -> String {
    let error = api
        .post(&format!("/agents/{agent}/phone"), &account.key, body)
        .await
        .error(502);
    assert!(twilio.sim.failures().pending() == 0, "the failure was met");
    assert_eq!(error["code"], "provisioning_failed", "{error}");
    error["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_failure_at_each_step_at_twilio_leaves_nothing_behind() {
    on_each_backend(|api, twilio| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let ava = agent(&api, &account, "ava").await;
        let owned = twilio.numbers();
        let attach = json!({"phone_number": OWNED[0]});
        let buy = json!({"buy": {"country": "US", "area_code": "415"}});
        let untouched = |twilio: &SimServer| {
            assert_eq!(twilio.numbers(), owned, "no number bought or released");
            for number in OWNED {
                assert_eq!(
                    twilio.owned(number).unwrap().voice_url,
                    BUSINESS_VOICE_URL,
                    "URLs as they were"
                );
            }
        };

        fail(&twilio, Method::GET, "IncomingPhoneNumbers.json", 1, 500);
        let message = provisioning_failed(&api, &twilio, &account, &ava, attach.clone()).await;
        assert!(
            message.contains("could not find the number +14155550111"),
            "{message}"
        );
        untouched(&twilio);

        fail(&twilio, Method::POST, "IncomingPhoneNumbers/*", 1, 500);
        let message = provisioning_failed(&api, &twilio, &account, &ava, attach.clone()).await;
        assert!(
            message.contains("could not point the calls of +14155550111 at switchboard"),
            "{message}"
        );
        assert!(message.contains("20500"), "Twilio's code is said: {message}");
        assert!(message.contains("nothing was left behind"), "{message}");
        untouched(&twilio);

        fail(&twilio, Method::GET, "AvailablePhoneNumbers/*/Local.json", 1, 503);
        let message = provisioning_failed(&api, &twilio, &account, &ava, buy.clone()).await;
        assert!(
            message.contains("could not search the numbers available in US, area code 415"),
            "{message}"
        );
        untouched(&twilio);

        fail(&twilio, Method::POST, "IncomingPhoneNumbers.json", 1, 500);
        let message = provisioning_failed(&api, &twilio, &account, &ava, buy.clone()).await;
        assert!(message.contains("could not buy the number +1415"), "{message}");
        untouched(&twilio);

        assert!(agents_number(&api, &account, &ava).await.is_null(), "no row");
        let store = api.store.store();
        let agent_id = AgentId::from(ava.as_str());
        assert_eq!(
            store
                .agent_number(&AccountId::from(account.id.as_str()), &agent_id)
                .await
                .unwrap(),
            None
        );

        // With Twilio well again, both work.
        api.post(&format!("/agents/{ava}/phone"), &account.key, attach)
            .await
            .expect(201);
        let bo = agent(&api, &account, "bo").await;
        api.post(&format!("/agents/{bo}/phone"), &account.key, buy)
            .await
            .expect(201);
    })
    .await;
}

/// The Twilio side of numbers on the test server's store, with its own provisioner.
fn numbers_of(api: &TestApi, twilio: &SimServer) -> (TwilioNumbers, Provisioner) {
    let numbers = TwilioNumbers::new(twilio.client(), api.store.store(), &api.base_url);
    let provisioner = Provisioner::new(api.store.store(), numbers.register(Undoers::default()));
    (numbers, provisioner)
}

#[tokio::test]
async fn a_row_the_store_refuses_undoes_the_purchase_and_the_attach() {
    on_each_backend(|api, twilio| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let account_id = AccountId::from(account.id.as_str());
        let ava = AgentId::from(agent(&api, &account, "ava").await.as_str());
        // The agent gets a number of its own while the run is at Twilio: its row is refused.
        let store = api.store.store();
        store
            .update_agent(
                &account_id,
                &ava,
                AgentChanges {
                    phone_number: Some(Some("+14155550199".into())),
                    ..AgentChanges::default()
                },
            )
            .await
            .unwrap();
        let (numbers, provisioner) = numbers_of(&api, &twilio);
        let owned = twilio.numbers();

        let buy = NumberSource::Buy(AvailableSearch {
            country: "US".into(),
            area_code: Some("415".into()),
            contains: None,
            voice_enabled: true,
        });
        let run = provisioner.begin(&account_id, "give ava a number").await.unwrap();
        let refused = numbers
            .provide(run, &account_id, &ava, &buy, None, Timestamp::now())
            .await;
        assert!(matches!(refused, Err(NumberError::Refused(_))), "{refused:?}");
        assert_eq!(twilio.numbers(), owned, "the number bought is released");

        let attach = NumberSource::Attach {
            phone_number: OWNED[1].into(),
        };
        let run = provisioner.begin(&account_id, "give ava a number").await.unwrap();
        let refused = numbers
            .provide(run, &account_id, &ava, &attach, None, Timestamp::now())
            .await;
        assert!(matches!(refused, Err(NumberError::Refused(_))), "{refused:?}");
        assert_eq!(
            twilio.owned(OWNED[1]).unwrap().voice_url,
            BUSINESS_VOICE_URL,
            "put back"
        );

        // The release fails too: the answer says so, and the runs' recovery finishes it.
        fail(&twilio, Method::DELETE, "IncomingPhoneNumbers/*", 1, 500);
        let run = provisioner.begin(&account_id, "give ava a number").await.unwrap();
        let failed = numbers
            .provide(run, &account_id, &ava, &buy, None, Timestamp::now())
            .await;
        let Err(NumberError::Failed(failure)) = failed else {
            panic!("not a failed rollback: {failed:?}");
        };
        assert!(
            failure.to_string().contains("is retried in the background"),
            "{failure}"
        );
        assert_eq!(twilio.numbers().len(), owned.len() + 1, "left until the recovery");
        let round = recovery::recover(&provisioner, Timestamp::now() + LATER)
            .await
            .unwrap();
        assert_eq!(round.rolled_back, 1, "{round:?}");
        assert_eq!(twilio.numbers(), owned, "released by the recovery");
    })
    .await;
}

#[tokio::test]
async fn a_crash_in_the_middle_of_a_purchase_is_recovered_by_the_numbers_marker() {
    on_each_backend(|api, twilio| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let account_id = AccountId::from(account.id.as_str());
        let (numbers, provisioner) = numbers_of(&api, &twilio);
        let owned = twilio.numbers();
        let client = twilio.client();
        let available = client
            .available_local(&AvailableSearch {
                country: "US".into(),
                area_code: Some("212".into()),
                contains: None,
                voice_enabled: true,
            })
            .await
            .unwrap();
        let choice = available[0].phone_number.clone();

        // The purchase is made at Twilio, then the process dies before its answer is recorded.
        let mut run = provisioner.begin(&account_id, "give ava a number").await.unwrap();
        let marker = run.marker();
        let (bought_tx, bought_rx) = tokio::sync::oneshot::channel();
        let step = Step::new(format!("buy the number {choice}"))
            .if_interrupted(Undo::new(RELEASE_MARKED, json!({"friendly_name": marker})));
        let purchase = {
            let (client, hooks, marker, choice) = (
                client.clone(),
                numbers.hooks.clone(),
                marker.clone(),
                choice.clone(),
            );
            async move {
                let bought = client.buy_number(&choice, &marker, &hooks).await;
                let _ = bought_tx.send(bought.map(|n| n.sid));
                std::future::pending::<Result<(), String>>().await
            }
        };
        tokio::select! {
            _ = run.step(step, purchase, |_| None) => panic!("the purchase never answers"),
            bought = bought_rx => { bought.unwrap().unwrap(); }
        }
        drop(run);
        assert!(twilio.owned(&choice).is_some(), "bought, and nothing recorded it");

        let round = recovery::recover(&provisioner, Timestamp::now() + LATER)
            .await
            .unwrap();
        assert_eq!(round.rolled_back, 1, "{round:?}");
        assert_eq!(
            twilio.numbers(),
            owned,
            "the number with the run's marker is released"
        );
    })
    .await;
}
