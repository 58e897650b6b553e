//! No key reads or writes another account's rows. For every operation of the served OpenAPI
//! document, account B's key is aimed at account A's rows, by path or by a reference in the
//! body: it finds nothing (404), lists show none of A's rows, operator endpoints refuse it
//! (403), and every one of A's rows reads the same afterwards. The operations come from the
//! document, so an endpoint added without a case here makes this test fail.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};
use switchboard::store::{
    AccountId, AgentId, CallDirection, NewCallRecord, NewCallRecording, NewElevenLabsAudio,
};

use crate::business::{Business, business};
use crate::support::{TestApi, on_each_backend};

/// The ids of one of each of account A's rows.
struct Rows {
    account: String,
    agent: String,
    host: String,
    event_type: String,
    booking: String,
    contact: String,
    call: String,
    key: String,
    /// The number of A's menu.
    menu: String,
    /// A's own follow-up text (its `follow_up_needed` template).
    sms_text: String,
    /// A's webhook endpoint.
    webhook_endpoint: String,
    /// A's own email subject (its `host_confirmation` template).
    email_subject: String,
    /// The address A's call summaries go to.
    summary_to: String,
    /// The address of A's host's booking feed.
    feed_url: String,
    /// A's host's calendar source.
    calendar_source: String,
}

impl Rows {
    fn all(&self) -> [&str; 14] {
        [
            &self.account,
            &self.agent,
            &self.host,
            &self.event_type,
            &self.booking,
            &self.contact,
            &self.call,
            &self.key,
            &self.menu,
            &self.sms_text,
            &self.webhook_endpoint,
            &self.calendar_source,
            &self.email_subject,
            &self.summary_to,
        ]
    }

    /// The document's path with A's ids (and a date) in place of its parameters.
    fn fill(&self, path: &str) -> String {
        if !path.contains('{') {
            return path.trim_start_matches("/api/v1").to_owned();
        }
        let path = &path.replace("{host_id}", &self.host);
        let id = match path.split('/').nth(3) {
            Some("hosts") if path.contains("/calendar-sources/{id}") => self.calendar_source.as_str(),
            Some("accounts") => self.account.as_str(),
            Some("agents") => &self.agent,
            Some("hosts") => &self.host,
            Some("event-types") => &self.event_type,
            Some("bookings") => &self.booking,
            Some("contacts") => &self.contact,
            Some("calls") => &self.call,
            Some("keys") => &self.key,
            Some("plans") => "pro",
            Some("menus") => &self.menu,
            Some("webhook-endpoints") => &self.webhook_endpoint,
            // Templates are per account by kind: B's key acts on B's own.
            Some("sms-templates") => "follow_up_needed",
            Some("email-templates") => "host_confirmation",
            other => panic!("no row of account A for {other:?} in {path}: add one to `populate`"),
        };
        path.trim_start_matches("/api/v1")
            .replace("{id}", id)
            .replace("{name}", id)
            .replace("{phone_number}", id)
            .replace("{kind}", id)
            .replace("{date}", "2031-01-06")
    }
}

/// Makes one of each row in account A, through the API where it can.
async fn populate(api: &TestApi, a: &Business) -> Rows {
    let store = api.store.store();
    let contact = api
        .post(
            "/contacts",
            &a.key,
            json!({"phone": "+14155550199", "name": "Ada"}),
        )
        .await
        .expect(201);
    let start = a.free_cleanings(api).await.remove(0);
    let booking = api
        .post(
            "/bookings",
            &a.key,
            json!({"event_type_id": a.demo.cleaning_id.to_string(), "start": start, "invitee_name": "Ada",
                   "invitee_phone": "+14155550199"}),
        )
        .await
        .expect(201);
    let key = api
        .post("/keys", &a.key, json!({"name": "second"}))
        .await
        .expect(201);
    api.put(
        &format!("/hosts/{}/blackout-dates/2031-01-06", a.demo.host_id),
        &a.key,
        json!({"reason": "holiday"}),
    )
    .await
    .expect(200);
    api.put(
        &format!("/hosts/{}/date-overrides/2031-01-06", a.demo.host_id),
        &a.key,
        json!({"closed": true}),
    )
    .await
    .expect(200);
    let call = store
        .insert_call(
            &AccountId::from(a.demo.account_id.as_str()),
            NewCallRecord {
                agent_id: AgentId::from(a.demo.agent_id.as_str()),
                call_sid: "CA0000000000000000000000000000isol".into(),
                direction: CallDirection::Inbound,
                from_number: "+14155550199".into(),
                to_number: a.ctx.called_number.clone().unwrap(),
                started_at: jiff::Timestamp::now(),
            },
        )
        .await
        .unwrap()
        .expect("a new call");
    // The call's recording: B's key must not get it at `/calls/{id}/recording`.
    store
        .save_call_recording(&NewCallRecording {
            call_id: call.id.clone(),
            account_id: call.account_id.clone(),
            duration_ms: 20,
            audio: b"OggS recording".to_vec(),
            created_at: jiff::Timestamp::now(),
        })
        .await
        .unwrap();
    // ElevenLabs' audio of the call: B's key must not get it at `/calls/{id}/recording/elevenlabs`.
    store
        .save_elevenlabs_audio(&NewElevenLabsAudio {
            conversation_id: "conv_isolation".into(),
            call_id: call.id.clone(),
            account_id: call.account_id.clone(),
            agent_id: "agent_el_isolation".into(),
            audio: b"ID3 audio".to_vec(),
            created_at: jiff::Timestamp::now(),
        })
        .await
        .unwrap();
    let menu = "+14155550900".to_owned();
    api.put(
        &format!("/menus/{menu}"),
        &a.key,
        json!({"prompt": "Hello.", "choices": [{"digit": 1, "label": "Ava", "agent_id": a.demo.agent_id.to_string()}]}),
    )
    .await
    .expect(201);
    let sms_text = "Harbor isolation text from {{business_name}}.".to_owned();
    api.put(
        "/sms-templates/follow_up_needed",
        &a.key,
        json!({"body": sms_text}),
    )
    .await
    .expect(200);
    let email_subject = "Harbor isolation notice for {{invitee_name}}".to_owned();
    api.put(
        "/email-templates/host_confirmation",
        &a.key,
        json!({"subject": email_subject, "body": "Booked: {{reference}}"}),
    )
    .await
    .expect(200);
    let summary_to = "owner-isolation@harbor.example".to_owned();
    api.put("/email-settings", &a.key, json!({"summary_to": summary_to}))
        .await
        .expect(200);
    // Subscribed to texts only, so the booking above sends it nothing.
    let webhook_endpoint = api
        .post(
            "/webhook-endpoints",
            &a.key,
            json!({"url": "https://hooks.harbor.example/switchboard", "events": ["sms.received"]}),
        )
        .await
        .expect(201);
    let feed_url = crate::host_feeds::make_feed(api, &a.key, a.demo.host_id.as_str()).await;
    let calendar_source = api
        .post(
            &format!("/hosts/{}/calendar-sources", a.demo.host_id),
            &a.key,
            json!({"kind": "ics", "url": "https://calendar.harbor.example/basic.ics"}),
        )
        .await
        .expect(201);
    Rows {
        calendar_source: calendar_source["id"].as_str().unwrap().to_owned(),
        webhook_endpoint: webhook_endpoint["id"].as_str().unwrap().to_owned(),
        email_subject,
        summary_to,
        feed_url,
        sms_text,
        menu,
        account: a.demo.account_id.to_string(),
        agent: a.demo.agent_id.to_string(),
        host: a.demo.host_id.to_string(),
        event_type: a.demo.cleaning_id.to_string(),
        booking: booking["id"].as_str().unwrap().to_owned(),
        contact: contact["id"].as_str().unwrap().to_owned(),
        call: call.id.as_str().to_owned(),
        key: key["id"].as_str().unwrap().to_owned(),
    }
}

/// A valid body for each operation that takes one, naming A's rows wherever it refers to one.
fn body_for(method: &Method, path: &str, rows: &Rows) -> Option<Value> {
    let body = match (method.as_str(), path) {
        ("POST", "/api/v1/accounts") => json!({"name": "Mallory"}),
        ("PATCH", "/api/v1/accounts/{id}") => json!({"plan": "free"}),
        ("PATCH", "/api/v1/account") => json!({"booking_url": "https://mallory.example/book"}),
        ("POST", "/api/v1/agents") => json!({"name": "Mallory", "elevenlabs_agent_id": "agent_m"}),
        ("PATCH", "/api/v1/agents/{id}") => json!({"name": "Mallory"}),
        ("PATCH", "/api/v1/agents/{id}/active-hours") => json!({"enabled": false}),
        ("PUT", "/api/v1/agents/{id}/event-types") => json!({"event_type_ids": [rows.event_type]}),
        ("POST", "/api/v1/agents/{id}/phone") => json!({"buy": {"country": "US", "area_code": "415"}}),
        ("POST", "/api/v1/bookings") => {
            json!({"event_type_id": rows.event_type, "start": "2031-01-07T15:00:00Z",
                                                "invitee_name": "Mallory"})
        }
        ("POST", "/api/v1/bookings/{id}/cancel") => return None,
        ("POST", "/api/v1/bookings/{id}/reschedule") => json!({"start": "2031-01-07T16:00:00Z"}),
        ("POST", "/api/v1/contacts") => json!({"phone": "+14155550188"}),
        ("PATCH", "/api/v1/contacts/{id}") => json!({"name": "Mallory"}),
        ("POST", "/api/v1/event-types") => json!({"host_id": rows.host, "slug": "stolen", "name": "Stolen",
                                                  "duration_minutes": 30}),
        ("PATCH", "/api/v1/event-types/{id}") => json!({"name": "Stolen"}),
        ("POST", "/api/v1/hosts") => json!({"name": "Mallory", "timezone": "UTC"}),
        ("PATCH", "/api/v1/hosts/{id}") => json!({"name": "Mallory"}),
        ("PUT", "/api/v1/hosts/{id}/blackout-dates/{date}") => json!({"reason": "mine"}),
        ("PUT", "/api/v1/hosts/{id}/date-overrides/{date}") => json!({"closed": true}),
        ("PUT", "/api/v1/hosts/{id}/weekly-hours") => json!({"ranges": []}),
        ("POST", "/api/v1/keys") => json!({"name": "mallory"}),
        ("PATCH", "/api/v1/plans/{name}") => json!({"max_agents": 99}),
        ("PUT", "/api/v1/menus/{phone_number}") => {
            json!({"prompt": "Mine", "choices": [{"digit": 1, "label": "me", "agent_id": rows.agent}]})
        }
        ("PUT", "/api/v1/sms-templates/{kind}") => json!({"body": "Mallory's text from {{business_name}}."}),
        ("PUT", "/api/v1/email-settings") => json!({"summary_to": "mallory@example.com"}),
        ("PUT", "/api/v1/email-templates/{kind}") => {
            json!({"subject": "Mallory's notice", "body": "Mallory's body for {{reference}}."})
        }
        ("POST", "/api/v1/webhook-endpoints") => {
            json!({"url": "https://mallory.example/hooks", "events": ["sms.received"]})
        }
        ("PATCH", "/api/v1/webhook-endpoints/{id}") => json!({"url": "https://mallory.example/stolen"}),
        ("POST", "/api/v1/hosts/{host_id}/calendar-sources") => {
            json!({"kind": "ics", "url": "https://mallory.example/cal.ics"})
        }
        ("PATCH", "/api/v1/hosts/{host_id}/calendar-sources/{id}") => {
            json!({"url": "https://mallory.example/x.ics"})
        }
        _ => return None,
    };
    Some(body)
}

/// What B's key must get.
#[derive(Debug, PartialEq)]
enum Expect {
    /// Operator endpoints.
    Forbidden,
    /// A's row by path.
    NotFound,
    /// A body naming A's rows: not found, or an invalid reference (422 naming the field).
    BadReference,
    /// B's own rows: fine, as long as none of A's shows.
    OwnRows,
    /// A's number: refused, as an invalid reference or a conflict.
    Taken,
}

fn expect_for(method: &Method, path: &str) -> Expect {
    if path.starts_with("/api/v1/accounts") || (path.starts_with("/api/v1/plans") && method != Method::GET) {
        return Expect::Forbidden;
    }
    let refers_to_a_in_body = matches!(
        (method.as_str(), path),
        ("POST", "/api/v1/bookings") | ("POST", "/api/v1/event-types")
    );
    if path.starts_with("/api/v1/sms-templates") || path.starts_with("/api/v1/email-templates") {
        // Each account has its own text of each kind: B's key sets, reads and resets B's,
        // never showing A's, and A's reads the same afterwards.
        Expect::OwnRows
    } else if (method.as_str(), path) == ("PUT", "/api/v1/menus/{phone_number}") {
        // Setting A's number's menu, naming A's agent: the agent is not found (422), and the
        // number is A's (409); A's menu reads the same afterwards.
        Expect::Taken
    } else if path.contains('{') {
        Expect::NotFound
    } else if refers_to_a_in_body {
        Expect::BadReference
    } else {
        Expect::OwnRows
    }
}

/// Everything of A's that an endpoint shows, read with A's own key, the keys' last use left out
/// (A's own reads move it).
async fn snapshot(api: &TestApi, key: &str, rows: &Rows) -> BTreeMap<String, Value> {
    let mut seen = BTreeMap::new();
    let paths = [
        "/account".to_owned(),
        "/agents".to_owned(),
        format!("/agents/{}", rows.agent),
        format!("/agents/{}/active-hours", rows.agent),
        "/hosts".to_owned(),
        format!("/hosts/{}", rows.host),
        format!("/hosts/{}/weekly-hours", rows.host),
        format!("/hosts/{}/date-overrides", rows.host),
        format!("/hosts/{}/blackout-dates", rows.host),
        "/event-types".to_owned(),
        format!("/event-types/{}", rows.event_type),
        "/bookings".to_owned(),
        format!("/bookings/{}", rows.booking),
        "/contacts".to_owned(),
        format!("/contacts/{}", rows.contact),
        format!("/contacts/{}/activities", rows.contact),
        "/calls".to_owned(),
        format!("/calls/{}", rows.call),
        "/keys".to_owned(),
        "/usage".to_owned(),
        "/menus".to_owned(),
        format!("/menus/{}", rows.menu),
        "/sms-templates".to_owned(),
        "/email-templates".to_owned(),
        "/email-settings".to_owned(),
        "/webhook-endpoints".to_owned(),
        format!("/webhook-endpoints/{}", rows.webhook_endpoint),
        format!("/webhook-endpoints/{}/deliveries", rows.webhook_endpoint),
        format!("/hosts/{}/calendar-sources", rows.host),
        format!("/hosts/{}/calendar-sources/{}", rows.host, rows.calendar_source),
    ];
    for path in paths {
        let mut body = api.get(&path, key).await.expect(200);
        forget_last_use(&mut body);
        seen.insert(path, body);
    }
    seen
}

fn forget_last_use(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("last_used_at");
            map.values_mut().for_each(forget_last_use);
        }
        Value::Array(items) => items.iter_mut().for_each(forget_last_use),
        _ => {}
    }
}

#[tokio::test]
async fn no_key_reads_or_writes_another_accounts_rows() {
    on_each_backend(|api| async move {
        let a = business(&api).await;
        let rows = populate(&api, &a).await;
        let b = api.account("Mallory Inc", "business").await;
        let before = snapshot(&api, &a.key, &rows).await;
        let document = api
            .call(Method::GET, "/openapi.json", None, None)
            .await
            .expect(200);

        let mut checked = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            for (verb, _) in item.as_object().unwrap() {
                let Ok(method) = verb.to_uppercase().parse::<Method>() else {
                    continue;
                };
                if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                    continue;
                }
                let filled = rows.fill(path);
                let filled = if path.ends_with("/availability") {
                    format!("{filled}?from=2031-01-06&to=2031-01-07")
                } else {
                    filled
                };
                let body = body_for(&method, path, &rows);
                let answer = api.call(method.clone(), &filled, Some(&b.key), body).await;
                let status = answer.status.as_u16();
                let text = answer.body.to_string();
                match expect_for(&method, path) {
                    Expect::Forbidden => assert_eq!(status, 403, "{method} {filled}: {text}"),
                    Expect::NotFound => assert_eq!(status, 404, "{method} {filled}: {text}"),
                    Expect::BadReference => {
                        assert!(matches!(status, 404 | 422), "{method} {filled}: {status} {text}")
                    }
                    Expect::Taken => {
                        assert!(matches!(status, 409 | 422), "{method} {filled}: {status} {text}")
                    }
                    Expect::OwnRows => {
                        assert!(answer.status.is_success(), "{method} {filled}: {status} {text}");
                        for id in rows.all() {
                            assert!(!text.contains(id), "{method} {filled} shows A's row {id}: {text}");
                        }
                    }
                }
                checked += 1;
            }
        }
        assert!(checked >= 50, "only {checked} operations in the document");
        // B's own agent cannot be linked to A's meeting types either.
        let own = api.get("/agents", &b.key).await.expect(200);
        let own_agent = own["data"][0]["id"]
            .as_str()
            .expect("B made an agent above")
            .to_owned();
        let linked = api
            .put(
                &format!("/agents/{own_agent}/event-types"),
                &b.key,
                json!({"event_type_ids": [rows.event_type]}),
            )
            .await;
        assert!(matches!(linked.status.as_u16(), 404 | 422), "{}", linked.body);
        let after = snapshot(&api, &a.key, &rows).await;
        for (path, seen) in &before {
            assert_eq!(&after[path], seen, "A's {path} changed while B's key was used");
        }
        // B's key neither replaced nor revoked A's host's feed.
        let feed = crate::host_feeds::fetch(&rows.feed_url, None).await;
        assert_eq!(feed.status, reqwest::StatusCode::OK, "A's feed: {}", feed.body);
    })
    .await;
}
