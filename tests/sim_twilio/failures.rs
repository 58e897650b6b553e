//! Failures the stand-in is told to answer: from its config (`--fail`), from the process,
//! and over `POST /sim/failures`; answered with Twilio's body for the status, before the
//! request changes anything.

use axum::http::{Method, StatusCode};
use switchboard::sim::failures::FailureRule;

use crate::support::{Twilio, assert_error, config};

#[tokio::test]
async fn a_configured_rule_fails_its_requests_then_lets_them_through() {
    let mut setup = config();
    setup.failures = vec![
        "POST /2010-04-01/Accounts/*/IncomingPhoneNumbers.json=2:503"
            .parse()
            .unwrap(),
    ];
    let twilio = Twilio::start(setup).await;
    let buy = [("AreaCode", "415")];
    assert_error(&twilio.post("IncomingPhoneNumbers.json", &buy).await, 503, 20503);
    // Other requests are not touched.
    assert_eq!(twilio.get("IncomingPhoneNumbers.json", &[]).await.0, 200);
    assert_error(&twilio.post("IncomingPhoneNumbers.json", &buy).await, 503, 20503);
    assert!(
        twilio.sim.state().numbers.is_empty(),
        "a failed buy bought nothing"
    );
    assert_eq!(twilio.post("IncomingPhoneNumbers.json", &buy).await.0, 201);
    assert_eq!(twilio.sim.state().numbers.len(), 1);
    let statuses: Vec<u16> = twilio.sim.requests().all().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 200, 503, 201]);
}

#[tokio::test]
async fn a_rule_added_in_process_fails_a_release_which_then_keeps_the_number() {
    let mut setup = config();
    setup.numbers = vec!["+14155550100".into()];
    let twilio = Twilio::start(setup).await;
    let sid = twilio.sim.state().numbers[0].sid.clone();
    twilio.sim.failures().add(
        FailureRule::new(
            Method::DELETE,
            "/2010-04-01/Accounts/*/IncomingPhoneNumbers/*",
            1,
            StatusCode::INTERNAL_SERVER_ERROR,
        )
        .unwrap(),
    );
    let file = format!("IncomingPhoneNumbers/{sid}.json");
    assert_error(&twilio.delete(&file).await, 500, 20500);
    assert_eq!(twilio.sim.state().numbers.len(), 1);
    assert_eq!(twilio.delete(&file).await.0, 204);
    assert!(twilio.sim.state().numbers.is_empty());
}

#[tokio::test]
async fn a_rule_posted_at_run_time_fails_the_next_matching_request() {
    let twilio = Twilio::start(config()).await;
    let added = reqwest::Client::new()
        .post(format!("{}/sim/failures", twilio.base))
        .json(&serde_json::json!({"method": "GET", "path": "/2010-04-01/Accounts/*/AvailablePhoneNumbers/US/Local.json", "status": 429}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    assert_eq!(twilio.sim.failures().pending(), 1);
    assert_error(
        &twilio.get("AvailablePhoneNumbers/US/Local.json", &[]).await,
        429,
        20429,
    );
    assert_eq!(
        twilio.get("AvailablePhoneNumbers/US/Local.json", &[]).await.0,
        200
    );
    assert_eq!(twilio.sim.failures().pending(), 0);
}
