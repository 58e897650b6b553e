//! What every REST request shares: Basic authentication (20003), Twilio's 404 and 405, and
//! the record of every request, in process and at `GET /sim/requests` and `/sim/state`.

use serde_json::Value;

use crate::support::{ACCOUNT_SID, AUTH_TOKEN, Twilio, assert_error, config, read};

#[tokio::test]
async fn only_the_accounts_sid_and_token_get_in() {
    let twilio = Twilio::start(config()).await;
    let url = twilio.url("IncomingPhoneNumbers.json");
    let none = twilio.raw().get(&url).send().await.unwrap();
    assert_eq!(
        none.headers()["www-authenticate"].to_str().unwrap(),
        "Basic realm=\"Twilio API\""
    );
    assert_error(&read(none).await, 401, 20003);
    let wrong_token = twilio
        .raw()
        .get(&url)
        .basic_auth(ACCOUNT_SID, Some("not-it"))
        .send()
        .await
        .unwrap();
    assert_error(&read(wrong_token).await, 401, 20003);
    let other_user = twilio
        .raw()
        .get(&url)
        .basic_auth("AC00000000000000000000000000000000", Some(AUTH_TOKEN))
        .send()
        .await
        .unwrap();
    assert_error(&read(other_user).await, 401, 20003);
    // The right credentials on another account's path.
    let other_path = format!(
        "{}/2010-04-01/Accounts/AC00000000000000000000000000000000/IncomingPhoneNumbers.json",
        twilio.base
    );
    let elsewhere = twilio
        .raw()
        .get(&other_path)
        .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
        .send()
        .await
        .unwrap();
    assert_error(&read(elsewhere).await, 401, 20003);
    // A refused buy buys nothing.
    let buy = twilio
        .raw()
        .post(&url)
        .form(&[("AreaCode", "415")])
        .basic_auth(ACCOUNT_SID, Some("not-it"))
        .send()
        .await
        .unwrap();
    assert_eq!(buy.status(), 401);
    assert!(twilio.sim.state().numbers.is_empty());
    assert_eq!(twilio.get("IncomingPhoneNumbers.json", &[]).await.0, 200);
}

#[tokio::test]
async fn the_account_reads_itself() {
    let twilio = Twilio::start(config()).await;
    let url = format!("{}/2010-04-01/Accounts/{ACCOUNT_SID}.json", twilio.base);
    let (status, account) = read(
        twilio
            .raw()
            .get(&url)
            .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(account["sid"], ACCOUNT_SID);
    assert_eq!(account["status"], "active");
    assert_eq!(account["uri"], format!("/2010-04-01/Accounts/{ACCOUNT_SID}.json"));
    let wrong = twilio
        .raw()
        .get(&url)
        .basic_auth(ACCOUNT_SID, Some("nope"))
        .send()
        .await
        .unwrap();
    assert_error(&read(wrong).await, 401, 20003);
}

#[tokio::test]
async fn unknown_paths_and_methods_get_twilios_errors() {
    let twilio = Twilio::start(config()).await;
    assert_error(&twilio.get("Queues.json", &[]).await, 404, 20404);
    assert_error(
        &twilio.get("IncomingPhoneNumbers/PN0123.xml", &[]).await,
        404,
        20404,
    );
    let put = twilio
        .raw()
        .put(twilio.url("IncomingPhoneNumbers.json"))
        .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
        .send()
        .await
        .unwrap();
    assert_error(&read(put).await, 405, 20405);
}

#[tokio::test]
async fn every_request_is_kept_with_its_parameters_and_status() {
    let twilio = Twilio::start(config()).await;
    twilio
        .post(
            "IncomingPhoneNumbers.json",
            &[
                ("AreaCode", "510"),
                ("VoiceUrl", "https://bridge.example/twilio/voice"),
            ],
        )
        .await;
    twilio
        .get("IncomingPhoneNumbers.json", &[("PageSize", "1")])
        .await;
    let unauthorized = twilio
        .raw()
        .delete(twilio.url("IncomingPhoneNumbers/PNx.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);

    let kept = twilio.sim.requests().all();
    assert_eq!(kept.len(), 3, "{kept:?}");
    let path = format!("/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json");
    assert_eq!(
        (kept[0].method.as_str(), kept[0].path.as_str(), kept[0].status),
        ("POST", path.as_str(), 201)
    );
    assert_eq!(kept[0].params.get("AreaCode"), Some("510"));
    assert_eq!(
        kept[0].params.get("VoiceUrl"),
        Some("https://bridge.example/twilio/voice")
    );
    assert_eq!((kept[1].method.as_str(), kept[1].status), ("GET", 200));
    assert_eq!(kept[1].params.get("PageSize"), Some("1"));
    assert_eq!((kept[2].method.as_str(), kept[2].status), ("DELETE", 401));
    assert!(kept[0].at <= kept[1].at && kept[1].at <= kept[2].at);

    let over_http: Value = reqwest::get(format!("{}/sim/requests", twilio.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(over_http.as_array().unwrap().len(), 3, "{over_http}");
    assert_eq!(over_http[0]["params"][0], serde_json::json!(["AreaCode", "510"]));
    assert_eq!(over_http[0]["status"], 201);
    let state: Value = reqwest::get(format!("{}/sim/state", twilio.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        state["numbers"][0]["voice_url"],
        "https://bridge.example/twilio/voice"
    );
    assert!(
        state["numbers"][0]["phone_number"]
            .as_str()
            .unwrap()
            .starts_with("+1510")
    );
    assert_eq!(state["messages"], serde_json::json!([]));
    // The control endpoints are not Twilio's requests.
    assert_eq!(twilio.sim.requests().all().len(), 3);
}
