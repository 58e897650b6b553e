//! `/email-templates` over real HTTP on both databases: every kind listed with the built-in
//! subject and body, its variables and a preview; an account's template set, refused naming the
//! field and the placeholder it does not know; used for the next booking's email (the outbox's
//! job read back, the SMTP server never asked); put back to the built-in one.

use serde_json::{Value, json};
use switchboard::config::{EmailConfig, SmtpTls};
use switchboard::store::testing;

use crate::business::business;
use crate::support::TestApi;

fn kind<'a>(list: &'a Value, kind: &str) -> &'a Value {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {list}"))
}

/// A server with email on; nothing is sent (no worker), so no SMTP server is needed.
async fn start(store: testing::TestStore) -> TestApi {
    TestApi::start_with(store, |config| {
        config.email = EmailConfig {
            host: Some("127.0.0.1".into()),
            port: 9,
            tls: SmtpTls::None,
            allow_plain_loopback: true,
            from: Some("bookings@harbor.example".into()),
            send_every_secs: 0,
            ..EmailConfig::default()
        };
    })
    .await
}

#[tokio::test]
async fn an_accounts_email_template_is_checked_used_and_put_back() {
    let mut stores = vec![testing::sqlite().await];
    stores.extend(testing::postgres().await);
    for store in stores {
        let api = start(store).await;
        let business = business(&api).await;
        let list = api.get("/email-templates", &business.key).await.expect(200);
        let kinds: Vec<&str> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "invitee_confirmation",
                "invitee_reschedule",
                "invitee_cancellation",
                "host_confirmation",
                "host_reschedule",
                "host_cancellation",
                "call_summary"
            ]
        );
        let confirmation = kind(&list, "invitee_confirmation");
        assert_eq!(confirmation["source"], "built_in");
        assert_eq!(confirmation["updated_at"], Value::Null);
        assert!(
            confirmation["variables"]
                .as_array()
                .unwrap()
                .contains(&json!("reference"))
        );
        assert!(
            !confirmation["variables"]
                .as_array()
                .unwrap()
                .contains(&json!("previous_date")),
            "only a reschedule knows the time before"
        );
        assert!(
            confirmation["preview_subject"]
                .as_str()
                .unwrap()
                .starts_with("Confirmed: Consultation with Harbor Dental"),
            "{confirmation}"
        );

        // An unknown placeholder: 422 naming the field and the placeholder; nothing saved.
        let refused = api
            .put(
                "/email-templates/invitee_confirmation",
                &business.key,
                json!({"subject": "See you {{when}}", "body": "Hello {{invitee_name}}"}),
            )
            .await
            .error(422);
        assert_eq!(refused["field"], "subject", "{refused}");
        assert!(
            refused["message"].as_str().unwrap().contains("{{when}}"),
            "{refused}"
        );
        let refused = api
            .put(
                "/email-templates/invitee_confirmation",
                &business.key,
                json!({"subject": "Booked", "body": "Before: {{previous_time}}"}),
            )
            .await
            .error(422);
        assert_eq!(refused["field"], "body", "{refused}");
        assert!(refused["message"].as_str().unwrap().contains("previous_time"));
        api.put(
            "/email-templates/no_such_kind",
            &business.key,
            json!({"subject": "a", "body": "b"}),
        )
        .await
        .error(404);
        let list = api.get("/email-templates", &business.key).await.expect(200);
        assert_eq!(kind(&list, "invitee_confirmation")["source"], "built_in");

        // Saved, shown, and used for the next booking's email.
        let saved = api
            .put(
                "/email-templates/invitee_confirmation",
                &business.key,
                json!({"subject": "{{business}} booked you in: {{reference}}",
                       "body": "Dear {{invitee_name}}, see you {{date}} at {{time}}."}),
            )
            .await
            .expect(200);
        assert_eq!(saved["source"], "account");
        assert_eq!(saved["preview_subject"], "Harbor Dental booked you in: K7Q2XP");
        let start = business.free_cleanings(&api).await.remove(0);
        let booking = api
            .post(
                "/bookings",
                &business.key,
                json!({"event_type_id": business.demo.cleaning_id.to_string(), "start": start,
                       "invitee_name": "Ada", "invitee_email": "ada@example.com"}),
            )
            .await
            .expect(201);
        let jobs = api
            .store
            .store()
            .email_jobs(&business.demo.account_id)
            .await
            .unwrap();
        assert_eq!(jobs.len(), 1, "the host has no address: {jobs:?}");
        assert_eq!(
            jobs[0].subject,
            format!(
                "Harbor Dental booked you in: {}",
                booking["reference"].as_str().unwrap()
            )
        );
        assert!(jobs[0].body.starts_with("Dear Ada, see you "), "{}", jobs[0].body);

        // Put back: the built-in one again.
        api.delete("/email-templates/invitee_confirmation", &business.key)
            .await
            .expect(204);
        let list = api.get("/email-templates", &business.key).await.expect(200);
        assert_eq!(kind(&list, "invitee_confirmation")["source"], "built_in");
    }
}
