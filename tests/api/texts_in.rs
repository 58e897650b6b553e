//! A caller's STOP and START over the whole path, on both databases: the number attached to an
//! agent has its `SmsUrl` at switchboard, the caller texts it through the Twilio stand-in's
//! `POST /sim/messages/inbound`, switchboard's `/twilio/sms` keeps the opt-out for the account,
//! and the stand-in itself refuses the number's texts to the caller with 21610, as Twilio
//! does; START undoes both.

use serde_json::{Value, json};
use switchboard::messaging::OptOuts;
use switchboard::store::AccountId;

use crate::phone_support::{ACCOUNT_SID, AUTH_TOKEN, OWNED, SimServer, agent, on_each_backend};

const CALLER: &str = "+14155550166";

/// The caller texts `body` to `to` through the stand-in; the webhook's status.
async fn caller_texts(twilio: &SimServer, to: &str, body: &str) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/sim/messages/inbound", twilio.base))
        .json(&json!({"from": CALLER, "to": to, "body": body}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

/// The number texts the caller directly at the stand-in; the status and body.
async fn number_texts(twilio: &SimServer, from: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
            twilio.base
        ))
        .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
        .form(&[
            ("To", CALLER),
            ("From", from),
            ("Body", "Your visit is tomorrow."),
        ])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_callers_stop_is_kept_by_switchboard_and_by_twilio_until_start() {
    on_each_backend(|api, twilio| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let ava = agent(&api, &account, "ava").await;
        let number = OWNED[0];
        api.post(
            &format!("/agents/{ava}/phone"),
            &account.key,
            json!({"phone_number": number}),
        )
        .await
        .expect(201);
        assert_eq!(
            twilio.owned(number).unwrap().sms_url,
            format!("{}/twilio/sms", api.base_url)
        );
        let opt_outs = OptOuts::new(api.store.store());
        let account_id = AccountId::from(account.id.as_str());
        assert!(opt_outs.may_contact(&account_id, CALLER).await.unwrap());

        let stop = caller_texts(&twilio, number, "STOP").await;
        assert_eq!(stop["webhook_status"], 200, "{stop}");
        assert_eq!(stop["opt_out_type"], "STOP");
        assert!(
            !opt_outs.may_contact(&account_id, CALLER).await.unwrap(),
            "switchboard kept the opt-out"
        );
        let (status, refused) = number_texts(&twilio, number).await;
        assert_eq!(
            (status, refused["code"].as_u64()),
            (400, Some(21610)),
            "{refused}"
        );
        assert_eq!(refused["status"], 400);
        assert_eq!(refused["more_info"], "https://www.twilio.com/docs/errors/21610");

        let start = caller_texts(&twilio, number, "START").await;
        assert_eq!(start["webhook_status"], 200, "{start}");
        assert!(
            opt_outs.may_contact(&account_id, CALLER).await.unwrap(),
            "back in"
        );
        let (status, sent) = number_texts(&twilio, number).await;
        assert_eq!(status, 201, "{sent}");
    })
    .await;
}
