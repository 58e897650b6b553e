//! `/sms-templates` over real HTTP on both databases: every kind listed with the text in use,
//! an account's text set, refused with the error shape when it cannot render or runs long, put
//! back to the built-in text, and used for a call's follow-up text.

use jiff::Timestamp;
use serde_json::{Value, json};
use switchboard::messaging::FollowUps;
use switchboard::store::{AccountId, AgentId, CallDirection, CallOutcome, NewCallRecord};

use crate::business::business;
use crate::support::on_each_backend;

fn kind<'a>(list: &'a Value, kind: &str) -> &'a Value {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {list}"))
}

#[tokio::test]
async fn every_kind_is_listed_with_the_built_in_text_and_its_variables() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Texts", "business").await;
        let list = api.get("/sms-templates", &account.key).await.expect(200);
        let kinds: Vec<&str> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["booking_confirmation", "info_recap", "follow_up_needed"]);
        let booking = kind(&list, "booking_confirmation");
        assert_eq!(booking["source"], "built_in");
        assert_eq!(booking["updated_at"], Value::Null);
        assert!(
            booking["body"].as_str().unwrap().contains("{{reference}}"),
            "{booking}"
        );
        assert_eq!(
            booking["variables"],
            json!([
                "business_name",
                "event_type",
                "date",
                "time",
                "time_zone",
                "reference",
                "reschedule_url"
            ])
        );
        let preview = booking["preview"].as_str().unwrap();
        assert!(
            preview.starts_with(
                "Harbor Texts: your Initial consultation is booked for Wednesday 30 September 2026 at 09:30"
            ),
            "{preview}"
        );
        assert_eq!(booking["segments"], 2, "{preview}");
        let recap = kind(&list, "info_recap");
        assert_eq!(recap["variables"], json!(["business_name", "booking_url"]));
        assert_eq!(recap["segments"], 1);
    })
    .await;
}

#[tokio::test]
async fn an_accounts_text_is_set_replaced_and_put_back_to_the_built_in_one() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Texts", "business").await;
        let other = api.account("Other Texts", "business").await;
        let body = "{{business_name}} here: we will call you back today. Reply STOP to opt out.";
        let saved = api
            .put(
                "/sms-templates/follow_up_needed",
                &account.key,
                json!({"body": body}),
            )
            .await
            .expect(200);
        assert_eq!(saved["source"], "account");
        assert_eq!(saved["body"], body);
        assert_eq!(
            saved["preview"],
            "Harbor Texts here: we will call you back today. Reply STOP to opt out."
        );
        assert!(saved["updated_at"].as_str().unwrap().parse::<Timestamp>().is_ok());

        let replaced = "{{business_name}}: talk soon. Reply STOP to opt out.";
        api.put(
            "/sms-templates/follow_up_needed",
            &account.key,
            json!({"body": replaced}),
        )
        .await
        .expect(200);
        let list = api.get("/sms-templates", &account.key).await.expect(200);
        assert_eq!(kind(&list, "follow_up_needed")["body"], replaced);
        assert_eq!(kind(&list, "follow_up_needed")["source"], "account");
        assert_eq!(kind(&list, "info_recap")["source"], "built_in");
        // Another account still has the built-in text.
        let theirs = api.get("/sms-templates", &other.key).await.expect(200);
        assert_eq!(kind(&theirs, "follow_up_needed")["source"], "built_in");

        api.delete("/sms-templates/follow_up_needed", &account.key)
            .await
            .expect(204);
        let list = api.get("/sms-templates", &account.key).await.expect(200);
        let back = kind(&list, "follow_up_needed");
        assert_eq!(back["source"], "built_in");
        assert!(
            back["body"]
                .as_str()
                .unwrap()
                .contains("We will get back to you soon"),
            "{back}"
        );
        // Again: nothing to remove, the same answer.
        api.delete("/sms-templates/follow_up_needed", &account.key)
            .await
            .expect(204);
    })
    .await;
}

#[tokio::test]
async fn a_text_that_cannot_render_or_runs_long_is_refused_naming_the_body() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Texts", "business").await;
        let put = |body: Value| {
            let api = &api;
            let key = account.key.clone();
            async move { api.put("/sms-templates/info_recap", &key, body).await }
        };
        let unknown = put(json!({"body": "Your reference: {{reference}}"}))
            .await
            .error(422);
        assert_eq!(unknown["field"], "body");
        let message = unknown["message"].as_str().unwrap();
        assert!(
            message.contains("{{reference}}") && message.contains("{{booking_url}}"),
            "{message}"
        );

        let unclosed = put(json!({"body": "Hi {{business_name"})).await.error(422);
        assert_eq!(unclosed["field"], "body");
        assert_eq!(put(json!({"body": "   "})).await.error(422)["field"], "body");
        let long = put(json!({"body": "a".repeat(613)})).await.error(422);
        assert!(long["message"].as_str().unwrap().contains("613"), "{long}");

        // Five segments once rendered: a € takes two septets, so 306 of them are 612 septets,
        // four segments full, before the account's name.
        let segments = put(json!({"body": format!("{}{{{{business_name}}}}", "€".repeat(306))}))
            .await
            .error(422);
        assert_eq!(segments["field"], "body");
        assert!(
            segments["message"].as_str().unwrap().contains("5 SMS segments"),
            "{segments}"
        );
        // Outside the GSM alphabet a segment holds 67: 270 characters are five.
        let ucs2 = put(json!({"body": "ł".repeat(270)})).await.error(422);
        assert!(ucs2["message"].as_str().unwrap().contains("UCS-2"), "{ucs2}");

        let control = put(json!({"body": "Hi\u{0}there"})).await.error(422);
        assert!(
            control["message"].as_str().unwrap().contains("U+0000"),
            "{control}"
        );

        let unknown_kind = api
            .put("/sms-templates/birthday", &account.key, json!({"body": "Hi"}))
            .await
            .error(404);
        assert_eq!(unknown_kind["code"], "not_found");
        api.delete("/sms-templates/birthday", &account.key)
            .await
            .error(404);
        assert!(put(json!({"text": "Hi"})).await.status.is_client_error());

        // Nothing was saved.
        let list = api.get("/sms-templates", &account.key).await.expect(200);
        assert!(
            list["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["source"] == "built_in"),
            "{list}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_calls_follow_up_is_written_from_the_accounts_edited_text() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        api.patch("/account", &business.key, json!({"sms_follow_ups": true}))
            .await
            .expect(200);
        api.put(
            "/sms-templates/follow_up_needed",
            &business.key,
            json!({"body": "{{business_name}} got your message and rings back within the hour. Reply STOP to opt out."}),
        )
        .await
        .expect(200);
        let store = api.store.store();
        let account_id = AccountId::from(business.demo.account_id.as_str());
        let our_number = business.ctx.called_number.clone().unwrap();
        let call = store
            .insert_call(
                &account_id,
                NewCallRecord {
                    agent_id: AgentId::from(business.demo.agent_id.as_str()),
                    call_sid: "CA00000000000000000000000000edited".into(),
                    direction: CallDirection::Inbound,
                    from_number: "+14155550177".into(),
                    to_number: our_number.clone(),
                    started_at: Timestamp::now(),
                },
            )
            .await
            .unwrap()
            .unwrap();
        store
            .set_call_outcome(&account_id, &call.id, CallOutcome::Voicemail, None)
            .await
            .unwrap();
        let call = store.call_by_sid(&call.call_sid).await.unwrap().unwrap();
        let job = FollowUps::new(store.clone())
            .call_ended(&call)
            .await
            .unwrap()
            .expect("a voicemail earns a follow-up");
        assert_eq!(
            job.body,
            "Harbor Dental got your message and rings back within the hour. Reply STOP to opt out."
        );
        assert_eq!(job.to_number, "+14155550177");
        assert_eq!(job.from_number, our_number);
    })
    .await;
}
