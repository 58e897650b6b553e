//! The read-side tools and the CRM tools on both backends: what an agent offers, open times on
//! the caller's wall clock, contacts and the CRM log, the demo seed, and that nothing of one
//! account or of a secret meeting type leaks to another agent; and that every tool answers a
//! database that is down with a sentence the agent can say.

use std::time::Duration;

use crate::support::{CALLER, HOST_ZONE, cleaning_at, demo};
use serde_json::json;
use switchboard::call::ToolContext;
use switchboard::store::testing::{on_each_backend, other_account, unique_phone_number};
use switchboard::store::{ActivityKind, FallbackMode, NewAgent, NewEventType};
use switchboard::tools::seed_demo_business;

#[tokio::test]
async fn seeding_twice_finds_the_same_business() {
    on_each_backend(|store| async move {
        let phone = unique_phone_number();
        let first = seed_demo_business(&store, &phone, "agent_x", HOST_ZONE)
            .await
            .unwrap();
        let second = seed_demo_business(&store, &phone, "agent_x", HOST_ZONE)
            .await
            .unwrap();
        assert_eq!(first, second);
        let account = store.account(&first.account_id).await.unwrap();
        assert_eq!(
            (account.name.as_str(), account.plan.as_str()),
            ("Harbor Dental", "pro")
        );
        assert_eq!(store.hosts(&first.account_id).await.unwrap().len(), 1);
        assert_eq!(store.event_types(&first.account_id).await.unwrap().len(), 3);
        let hours = store
            .weekly_hours(&first.account_id, &first.host_id)
            .await
            .unwrap();
        assert_eq!(hours.len(), 11, "two ranges on five weekdays and one on Saturday");
        let emergency = store
            .event_type(&first.account_id, &first.emergency_id)
            .await
            .unwrap();
        assert!(emergency.secret);
        let cleaning = store
            .event_type(&first.account_id, &first.cleaning_id)
            .await
            .unwrap();
        assert_eq!(
            (
                cleaning.duration_min,
                cleaning.buffer_after_min,
                cleaning.slot_interval_min
            ),
            (30, 10, Some(15))
        );
        assert_eq!(
            (
                cleaning.min_notice_min,
                cleaning.max_days_ahead,
                cleaning.per_day_limit
            ),
            (120, 30, Some(8))
        );
    })
    .await;
}

#[tokio::test]
async fn the_agent_lists_its_linked_meeting_types_but_never_the_secret_one() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let reply = demo.ok("list_event_types", json!({})).await;
        assert_eq!(
            reply,
            json!({"event_types": [
                {"slug": "cleaning", "name": "Cleaning", "duration_minutes": 30,
                 "description": "A routine dental cleaning and check-up."},
                {"slug": "consultation", "name": "Consultation", "duration_minutes": 60,
                 "description": "A one-hour consultation with Dr. Chen about a treatment plan."},
            ]})
        );
        // No parameters at all is the same as an empty object.
        let bare = demo.ok_call(crate::support::call("list_event_types", serde_json::Value::Null)).await;
        assert_eq!(bare, reply);

        let refused = demo
            .err("get_available_slots", json!({"event_type_slug": "emergency", "date": "2026-02-10"}))
            .await;
        assert!(refused.starts_with("I don't have a meeting type called \"emergency\""), "{refused}");
        let refused = demo
            .err(
                "create_booking",
                json!({"event_type_slug": "emergency", "start_time": "2026-02-10T15:00:00Z", "invitee_name": "Ana"}),
            )
            .await;
        assert!(refused.contains("emergency"), "{refused}");
    })
    .await;
}

#[tokio::test]
async fn an_agent_without_links_offers_every_active_public_type_and_an_unlinked_one_is_hidden() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let account = &demo.business.account_id;
        store
            .create_event_type(
                account,
                NewEventType {
                    host_id: demo.business.host_id.clone(),
                    slug: "whitening".into(),
                    name: "Whitening".into(),
                    description: String::new(),
                    duration_min: 45,
                    buffer_before_min: 0,
                    buffer_after_min: 0,
                    min_notice_min: 0,
                    slot_interval_min: None,
                    max_days_ahead: 30,
                    per_day_limit: None,
                    active: true,
                    secret: false,
                },
            )
            .await
            .unwrap();
        // Ava is linked to cleaning and consultation only.
        let refused = demo
            .err(
                "get_available_slots",
                json!({"event_type_slug": "whitening", "date": "2026-02-10"}),
            )
            .await;
        assert!(refused.contains("whitening"), "{refused}");

        let night_line = store
            .create_agent(
                account,
                NewAgent {
                    name: "Night line".into(),
                    phone_number: Some(unique_phone_number()),
                    elevenlabs_agent_id: "agent_night".into(),
                    timezone: HOST_ZONE.into(),
                    first_message: None,
                    fallback_mode: FallbackMode::Voicemail,
                    fallback_number: None,
                    ..NewAgent::default()
                },
            )
            .await
            .unwrap();
        let unlinked = demo.on_call(ToolContext {
            agent_id: night_line.id.to_string(),
            ..demo.ctx.clone()
        });
        let listed = unlinked.ok("list_event_types", json!({})).await;
        let slugs: Vec<&str> = listed["event_types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["slug"].as_str().unwrap())
            .collect();
        assert_eq!(slugs, ["cleaning", "consultation", "whitening"]);
    })
    .await;
}

#[tokio::test]
async fn another_accounts_agent_sees_none_of_the_first_accounts_meeting_types() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let other = other_account(&store).await;
        let agent = store
            .create_agent(
                &other.id,
                NewAgent {
                    name: "Other".into(),
                    phone_number: Some(unique_phone_number()),
                    elevenlabs_agent_id: "agent_other".into(),
                    timezone: HOST_ZONE.into(),
                    first_message: None,
                    fallback_mode: FallbackMode::Voicemail,
                    fallback_number: None,
                    ..NewAgent::default()
                },
            )
            .await
            .unwrap();
        let other_demo = demo.on_call(ToolContext {
            account_id: other.id.to_string(),
            agent_id: agent.id.to_string(),
            ..demo.ctx.clone()
        });
        assert_eq!(
            other_demo.ok("list_event_types", json!({})).await,
            json!({"event_types": []})
        );
        let refused = other_demo
            .err(
                "get_available_slots",
                json!({"event_type_slug": "cleaning", "date": "2026-02-10"}),
            )
            .await;
        assert_eq!(
            refused,
            "I can't book \"cleaning\"; there are no meeting types to book on this line."
        );
    })
    .await;
}

#[tokio::test]
async fn a_day_of_slots_is_capped_spread_and_read_on_the_hosts_clock() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let reply = demo
            .ok(
                "get_available_slots",
                json!({"event_type_slug": "Cleaning", "date": "2026-02-10"}),
            )
            .await;
        assert_eq!(reply["date"], "2026-02-10");
        assert_eq!(reply["label"], "Tuesday, February 10");
        assert_eq!(reply["timezone"], HOST_ZONE);
        assert_eq!(reply["event_type"], "cleaning");
        let times: Vec<&str> = reply["slots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|slot| slot["time"].as_str().unwrap())
            .collect();
        // 8:00–11:30 and 1:00–4:30 every 15 minutes: 30 starts, 8 read out, spread over the day.
        assert_eq!(
            times,
            [
                "8:00 AM", "8:45 AM", "9:45 AM", "10:45 AM", "1:00 PM", "1:45 PM", "2:45 PM", "3:45 PM"
            ]
        );
        assert_eq!(reply["more_slots"], 22);
        assert_eq!(reply["slots"][0]["start_time"], "2026-02-10T13:00:00Z");
        assert!(reply.get("next_available").is_none());
    })
    .await;
}

#[tokio::test]
async fn slots_follow_the_callers_timezone_notice_and_closed_days() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let london = demo
            .ok(
                "get_available_slots",
                json!({"event_type_slug": "cleaning", "date": "2026-02-10", "timezone": "Europe/London"}),
            )
            .await;
        assert_eq!(london["timezone"], "Europe/London");
        assert_eq!(
            london["slots"][0],
            json!({"time": "1:00 PM", "start_time": "2026-02-10T13:00:00Z"})
        );

        // It is 7:00 AM on Monday; cleanings need two hours' notice.
        let today = demo
            .ok(
                "get_available_slots",
                json!({"event_type_slug": "cleaning", "date": "today"}),
            )
            .await;
        assert_eq!(today["date"], "2026-02-09");
        assert_eq!(today["slots"][0]["time"], "9:00 AM");

        // Consultations need a day's notice: nothing today, and the reply points to tomorrow.
        let consult = demo
            .ok(
                "get_available_slots",
                json!({"event_type_slug": "consultation", "date": "2026-02-09"}),
            )
            .await;
        assert_eq!(consult["slots"], json!([]));
        assert_eq!(consult["next_available"]["date"], "2026-02-10");
        assert_eq!(consult["next_available"]["time"], "8:00 AM");

        let sunday = demo
            .ok(
                "get_available_slots",
                json!({"event_type_slug": "cleaning", "date": "2026-02-15"}),
            )
            .await;
        assert_eq!(sunday["slots"], json!([]));
        assert_eq!(sunday["more_slots"], 0);
        assert_eq!(
            sunday["next_available"],
            json!({"date": "2026-02-16", "label": "Monday, February 16", "time": "8:00 AM",
                   "start_time": "2026-02-16T13:00:00Z"})
        );
    })
    .await;
}

#[tokio::test]
async fn a_range_of_dates_is_grouped_by_day_with_the_first_openings_up_front() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let reply = demo
            .ok(
                "get_available_slots",
                json!({"event_type_slug": "cleaning", "date_from": "2026-02-13", "date_to": "2026-02-16"}),
            )
            .await;
        let days: Vec<(&str, &str)> = reply["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|day| (day["date"].as_str().unwrap(), day["label"].as_str().unwrap()))
            .collect();
        // Friday, Saturday (mornings only), no Sunday, Monday.
        assert_eq!(
            days,
            [
                ("2026-02-13", "Friday, February 13"),
                ("2026-02-14", "Saturday, February 14"),
                ("2026-02-16", "Monday, February 16"),
            ]
        );
        // Saturday 9:00–1:00: starts 9:00..12:30 every 15 minutes.
        assert_eq!(reply["days"][1]["slots"].as_array().unwrap().len(), 8);
        assert_eq!(reply["days"][1]["more_slots"], 7);
        assert_eq!(reply["total_slots"], 30 + 15 + 30);
        let flat: Vec<&str> = reply["slots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|slot| slot["time"].as_str().unwrap())
            .collect();
        assert_eq!(flat, ["8:00 AM", "8:15 AM", "8:30 AM", "8:45 AM", "9:00 AM"]);
        assert_eq!(reply["slots"][0]["date"], "2026-02-13");
        assert_eq!(reply["slots"][0]["label"], "Friday, February 13");
    })
    .await;
}

#[tokio::test]
async fn slot_requests_with_bad_input_get_a_sentence_saying_what_is_needed() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let cases = [
            (json!({"date": "2026-02-10"}), "I need the meeting type."),
            (
                json!({"event_type_slug": "cleaning"}),
                "I need the date (YYYY-MM-DD), or date_from and date_to for a range.",
            ),
            (
                json!({"event_type_slug": "cleaning", "date": "10 Feb"}),
                "I need the date as YYYY-MM-DD, like 2026-02-10; \"10 Feb\" isn't one.",
            ),
            (
                json!({"event_type_slug": "cleaning", "date_from": "2026-02-10"}),
                "I need both date_from and date_to for a range of dates.",
            ),
            (
                json!({"event_type_slug": "cleaning", "date_from": "2026-02-10", "date_to": "2026-02-24"}),
                "I can look at most 14 days at once; please ask for a shorter range.",
            ),
            (
                json!({"event_type_slug": "cleaning", "date_from": "2026-02-12", "date_to": "2026-02-10"}),
                "date_to must not be before date_from.",
            ),
            (
                json!({"event_type_slug": "cleaning", "date": "2026-02-10", "timezone": "Mars/Base"}),
                "I don't recognise the timezone \"Mars/Base\"; please give an IANA name like America/New_York.",
            ),
            (
                json!({"event_type_slug": "cleaning", "date": "2026-02-10", "date_from": "2026-02-10", "date_to": "2026-02-11"}),
                "Give either one date or date_from and date_to, not both.",
            ),
        ];
        for (parameters, expected) in cases {
            assert_eq!(demo.err("get_available_slots", parameters).await, expected);
        }
        let wrong_type = demo.err("get_available_slots", json!({"event_type_slug": 3})).await;
        assert!(wrong_type.starts_with("I couldn't read the parameters"), "{wrong_type}");
    })
    .await;
}

#[tokio::test]
async fn contacts_are_upserted_by_their_e164_number() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let first = demo
            .ok(
                "upsert_contact",
                json!({"phone": "+1 (415) 555-0123", "name": "Ana Diaz"}),
            )
            .await;
        assert_eq!(first["phone"], "+14155550123");
        assert_eq!(first["name"], "Ana Diaz");
        let second = demo
            .ok(
                "upsert_contact",
                json!({"phone": "+14155550123", "email": "ana@example.com"}),
            )
            .await;
        assert_eq!(second["contact_id"], first["contact_id"]);
        assert_eq!(second["name"], "Ana Diaz", "a missing name keeps the stored one");
        assert_eq!(second["email"], "ana@example.com");
        assert_eq!(
            demo.err("upsert_contact", json!({"name": "Ana"})).await,
            "I need the phone number."
        );
        assert!(
            demo.err("upsert_contact", json!({"phone": "555-0123"}))
                .await
                .contains("international format")
        );
        assert!(
            demo.err(
                "upsert_contact",
                json!({"phone": "+14155550123", "email": "ana at example"})
            )
            .await
            .contains("email address")
        );
    })
    .await;
}

#[tokio::test]
async fn log_call_files_the_call_on_the_callers_contact() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let reply = demo
            .ok(
                "log_call",
                json!({"disposition": "Information", "summary": "Asked about prices."}),
            )
            .await;
        assert_eq!(reply["logged"], true);
        assert_eq!(reply["disposition"], "information");
        let contact = store
            .contact_by_phone(&demo.business.account_id, CALLER)
            .await
            .unwrap()
            .expect("the caller became a contact");
        assert_eq!(reply["contact_id"], contact.id.as_str());
        let log = store
            .activities_for_contact(&demo.business.account_id, &contact.id, 10)
            .await
            .unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].kind, ActivityKind::Call);
        assert_eq!(log[0].summary, "Call (information): Asked about prices.");
        let detail = log[0].detail.as_ref().unwrap();
        assert_eq!(detail["call_sid"], demo.ctx.call_sid);
        assert_eq!(detail["agent_id"], demo.ctx.agent_id);

        assert_eq!(
            demo.err("log_call", json!({"summary": "x"})).await,
            "I need the outcome of the call (disposition)."
        );

        let withheld = demo.on_call(ToolContext {
            caller_number: None,
            ..demo.ctx.clone()
        });
        let reply = withheld.ok("log_call", json!({"disposition": "no_action"})).await;
        assert_eq!(reply["logged"], true);
        assert!(reply.get("contact_id").is_none());
    })
    .await;
}

#[tokio::test]
async fn end_call_and_unknown_tools_are_answered_like_the_call_layer_does() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let end = demo.outcome(crate::support::call("end_call", json!({}))).await;
        assert!(end.end_call && !end.is_error);
        let unknown = demo
            .outcome(crate::support::call("transfer_to_human", json!({})))
            .await;
        assert!(unknown.is_error);
        assert_eq!(
            unknown.result,
            "The tool `transfer_to_human` is not available on this line."
        );
        let not_object = demo
            .outcome(crate::support::call("list_event_types", json!([1, 2])))
            .await;
        assert!(not_object.is_error);
    })
    .await;
}

#[tokio::test]
async fn a_database_that_is_down_gets_a_sentence_to_say_not_a_hang() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        store.close().await;
        let requests = [
            ("list_event_types", json!({})),
            (
                "get_available_slots",
                json!({"event_type_slug": "cleaning", "date": "2026-02-10"}),
            ),
            ("create_booking", cleaning_at("2026-02-10T15:00:00Z")),
            ("get_booking_details", json!({"booking_id": "K7M4PX"})),
            ("upsert_contact", json!({"phone": CALLER, "name": "Ana"})),
            ("log_call", json!({"disposition": "other"})),
        ];
        for (tool, parameters) in requests {
            let outcome = tokio::time::timeout(
                Duration::from_secs(5),
                demo.outcome(crate::support::call(tool, parameters)),
            )
            .await
            .unwrap_or_else(|_| panic!("{tool} waited for the database"));
            assert!(outcome.is_error, "{tool}: {}", outcome.result);
            assert_eq!(
                outcome.result,
                "I can't reach the booking system right now. Please apologise and offer to take a message.",
                "{tool}"
            );
        }
    })
    .await;
}
