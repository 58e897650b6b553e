//! The store's records on both backends: what is written reads back the same, lookups are
//! scoped to their account, and the schema's rules surface as typed errors.

use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::{Weekday, date};
use switchboard::store::testing::{self, on_each_backend, seed_business};
use switchboard::store::{
    ActivityKind, Blackout, CallDirection, Constraint, ContactUpsert, DateOverride, FallbackMode,
    MinuteRange, NewAccount, NewActivity, NewAgent, NewCall, NewEventType, NewHost, Store, StoreError,
    WeeklyRange,
};

fn new_agent(phone_number: &str) -> NewAgent {
    NewAgent {
        name: "Front desk".into(),
        phone_number: phone_number.into(),
        elevenlabs_agent_id: "agent_abc".into(),
        timezone: "America/New_York".into(),
        first_message: Some("Hello, this is the front desk.".into()),
        fallback_mode: FallbackMode::Dial,
        fallback_number: Some("+14155550100".into()),
    }
}

fn new_event_type(host: &switchboard::store::HostId, slug: &str) -> NewEventType {
    NewEventType {
        host_id: host.clone(),
        slug: slug.into(),
        name: slug.into(),
        description: String::new(),
        duration_min: 45,
        buffer_before_min: 0,
        buffer_after_min: 0,
        min_notice_min: 0,
        slot_interval_min: None,
        max_days_ahead: 30,
        per_day_limit: Some(4),
        active: true,
        secret: false,
    }
}

async fn other_account(store: &Store) -> switchboard::store::Account {
    store
        .create_account(NewAccount {
            name: "Someone else".into(),
            plan: "free".into(),
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn accounts_and_agents_read_back_and_stay_in_their_account() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        assert_eq!(
            store.account(&business.account.id).await.unwrap(),
            business.account
        );

        let phone = testing::unique_phone_number();
        let agent = store
            .create_agent(&business.account.id, new_agent(&phone))
            .await
            .unwrap();
        assert_eq!(store.agent(&business.account.id, &agent.id).await.unwrap(), agent);
        assert_eq!(
            store.agent_by_phone_number(&phone).await.unwrap(),
            Some(agent.clone())
        );
        assert_eq!(store.agent_by_phone_number("+19999999999").await.unwrap(), None);
        let agents = store.agents(&business.account.id).await.unwrap();
        assert_eq!(
            agents,
            vec![business.agent.clone(), agent.clone()],
            "oldest first"
        );

        let other = other_account(&store).await;
        assert!(matches!(
            store.agent(&other.id, &agent.id).await,
            Err(StoreError::NotFound { what: "agent" })
        ));
        assert!(store.agents(&other.id).await.unwrap().is_empty());

        let taken = store.create_agent(&other.id, new_agent(&phone)).await;
        assert!(
            matches!(
                taken,
                Err(StoreError::Conflict {
                    constraint: Constraint::AgentPhoneNumber
                })
            ),
            "{taken:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn bad_agent_input_is_invalid_before_anything_is_written() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let cases = [
            NewAgent {
                phone_number: "555-0100".into(),
                ..new_agent(&testing::unique_phone_number())
            },
            NewAgent {
                timezone: "Europe/Atlantis".into(),
                ..new_agent(&testing::unique_phone_number())
            },
            NewAgent {
                fallback_number: None,
                ..new_agent(&testing::unique_phone_number())
            },
            NewAgent {
                name: "  ".into(),
                ..new_agent(&testing::unique_phone_number())
            },
        ];
        for case in cases {
            let refused = store.create_agent(&business.account.id, case.clone()).await;
            assert!(
                matches!(refused, Err(StoreError::Invalid { .. })),
                "{case:?} gave {refused:?}"
            );
        }
        assert_eq!(store.agents(&business.account.id).await.unwrap().len(), 1);
        let missing_account = store
            .create_agent(&"no-such-account".into(), new_agent("+14155550199"))
            .await;
        assert!(
            matches!(
                missing_account,
                Err(StoreError::Conflict {
                    constraint: Constraint::ForeignKey(_)
                })
            ),
            "{missing_account:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn event_types_are_unique_by_slug_per_account_and_offered_per_agent() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let host = &business.host.id;
        assert_eq!(
            store.event_type(account, &business.event_type.id).await.unwrap(),
            business.event_type
        );
        assert_eq!(
            store.event_type_by_slug(account, "intro-call").await.unwrap(),
            Some(business.event_type.clone())
        );
        assert_eq!(store.event_type_by_slug(account, "nope").await.unwrap(), None);

        let duplicate = store
            .create_event_type(account, new_event_type(host, "intro-call"))
            .await;
        assert!(matches!(
            duplicate,
            Err(StoreError::Conflict {
                constraint: Constraint::EventTypeSlug
            })
        ));

        let consult = store
            .create_event_type(account, new_event_type(host, "consult"))
            .await
            .unwrap();
        let secret = store
            .create_event_type(
                account,
                NewEventType {
                    secret: true,
                    ..new_event_type(host, "vip")
                },
            )
            .await
            .unwrap();
        let retired = store
            .create_event_type(
                account,
                NewEventType {
                    active: false,
                    ..new_event_type(host, "retired")
                },
            )
            .await
            .unwrap();
        let slugs =
            |types: Vec<switchboard::store::EventType>| types.into_iter().map(|t| t.slug).collect::<Vec<_>>();
        assert_eq!(
            slugs(store.event_types(account).await.unwrap()),
            ["consult", "intro-call", "retired", "vip"]
        );

        // No links: every active, non-secret event type of the account.
        let agent = &business.agent.id;
        assert_eq!(
            slugs(store.event_types_for_agent(account, agent).await.unwrap()),
            ["consult", "intro-call"]
        );

        // With links: only the linked ones, still never secret or inactive.
        for linked in [&consult.id, &secret.id, &retired.id, &consult.id] {
            store.link_event_type(account, agent, linked).await.unwrap();
        }
        assert_eq!(
            slugs(store.linked_event_types(account, agent).await.unwrap()),
            ["consult", "retired", "vip"]
        );
        assert_eq!(
            slugs(store.event_types_for_agent(account, agent).await.unwrap()),
            ["consult"]
        );
        assert!(
            store
                .unlink_event_type(account, agent, &consult.id)
                .await
                .unwrap()
        );
        assert!(
            !store
                .unlink_event_type(account, agent, &consult.id)
                .await
                .unwrap()
        );
        assert!(
            store
                .event_types_for_agent(account, agent)
                .await
                .unwrap()
                .is_empty(),
            "links are a choice"
        );

        // Another account may reuse the slug, but cannot see or link this account's types.
        let other = other_account(&store).await;
        let other_host = store
            .create_host(
                &other.id,
                NewHost {
                    name: "B".into(),
                    email: None,
                    timezone: "UTC".into(),
                },
            )
            .await
            .unwrap();
        store
            .create_event_type(&other.id, new_event_type(&other_host.id, "intro-call"))
            .await
            .unwrap();
        assert!(matches!(
            store.event_type(&other.id, &business.event_type.id).await,
            Err(StoreError::NotFound { .. })
        ));
        let cross_link = store
            .link_event_type(&other.id, agent, &business.event_type.id)
            .await;
        assert!(matches!(
            cross_link,
            Err(StoreError::Conflict {
                constraint: Constraint::ForeignKey(_)
            })
        ));
        let foreign_host = store
            .create_event_type(&other.id, new_event_type(host, "stolen-host"))
            .await;
        assert!(matches!(
            foreign_host,
            Err(StoreError::Conflict {
                constraint: Constraint::ForeignKey(_)
            })
        ));
    })
    .await;
}

#[tokio::test]
async fn schedules_are_replaced_whole_and_scoped_to_the_hosts_account() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let (account, host) = (&business.account.id, &business.host.id);
        assert_eq!(store.host(account, host).await.unwrap(), business.host);

        let range = |start_minute, end_minute| MinuteRange {
            start_minute,
            end_minute,
        };
        let week = [
            WeeklyRange {
                weekday: Weekday::Friday,
                range: range(1320, 120),
            },
            WeeklyRange {
                weekday: Weekday::Monday,
                range: range(780, 1020),
            },
            WeeklyRange {
                weekday: Weekday::Monday,
                range: range(540, 720),
            },
        ];
        store.set_weekly_hours(account, host, &week).await.unwrap();
        assert_eq!(
            store.weekly_hours(account, host).await.unwrap(),
            [week[2], week[1], week[0]]
        );
        store.set_weekly_hours(account, host, &week[..1]).await.unwrap();
        assert_eq!(
            store.weekly_hours(account, host).await.unwrap(),
            [week[0]],
            "replaced, not merged"
        );

        let duplicate = [week[1], week[1]];
        assert!(matches!(
            store.set_weekly_hours(account, host, &duplicate).await,
            Err(StoreError::Invalid { .. })
        ));
        let past_a_day = [WeeklyRange {
            weekday: Weekday::Sunday,
            range: range(1440, 60),
        }];
        assert!(matches!(
            store.set_weekly_hours(account, host, &past_a_day).await,
            Err(StoreError::Invalid { .. })
        ));
        assert_eq!(
            store.weekly_hours(account, host).await.unwrap(),
            [week[0]],
            "failed writes change nothing"
        );

        let closed = DateOverride {
            date: date(2026, 12, 24),
            ranges: vec![],
        };
        let short_day = DateOverride {
            date: date(2026, 12, 31),
            ranges: vec![range(600, 720), range(540, 570)],
        };
        store.set_date_override(account, host, &closed).await.unwrap();
        store.set_date_override(account, host, &short_day).await.unwrap();
        let overrides = store
            .date_overrides(account, host, date(2026, 12, 1), date(2026, 12, 31))
            .await
            .unwrap();
        let sorted_short_day = DateOverride {
            date: short_day.date,
            ranges: vec![range(540, 570), range(600, 720)],
        };
        assert_eq!(overrides, [closed.clone(), sorted_short_day]);
        assert!(overrides[0].is_closed());
        assert!(
            store
                .date_overrides(account, host, date(2026, 12, 25), date(2026, 12, 30))
                .await
                .unwrap()
                .is_empty()
        );
        // Reopening a closed date replaces the closed marker.
        let reopened = DateOverride {
            date: closed.date,
            ranges: vec![range(480, 600)],
        };
        store.set_date_override(account, host, &reopened).await.unwrap();
        let overrides = store
            .date_overrides(account, host, closed.date, closed.date)
            .await
            .unwrap();
        assert_eq!(overrides, [reopened]);
        assert!(
            store
                .remove_date_override(account, host, closed.date)
                .await
                .unwrap()
        );
        assert!(
            !store
                .remove_date_override(account, host, closed.date)
                .await
                .unwrap()
        );

        let holiday = Blackout {
            date: date(2027, 1, 1),
            reason: Some("New Year".into()),
        };
        store.add_blackout(account, host, &holiday).await.unwrap();
        let renamed = Blackout {
            reason: None,
            ..holiday.clone()
        };
        store.add_blackout(account, host, &renamed).await.unwrap();
        assert_eq!(
            store
                .blackouts(account, host, date(2026, 1, 1), date(2027, 12, 31))
                .await
                .unwrap(),
            [renamed]
        );

        // Another account's view of this host: nothing to read, nothing it may write.
        let other = other_account(&store).await;
        assert!(matches!(
            store.host(&other.id, host).await,
            Err(StoreError::NotFound { what: "host" })
        ));
        assert!(store.weekly_hours(&other.id, host).await.unwrap().is_empty());
        assert!(
            store
                .blackouts(&other.id, host, date(2026, 1, 1), date(2027, 12, 31))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            store.set_weekly_hours(&other.id, host, &week).await,
            Err(StoreError::NotFound { what: "host" })
        ));
        assert!(matches!(
            store.add_blackout(&other.id, host, &holiday).await,
            Err(StoreError::NotFound { what: "host" })
        ));
        assert!(
            !store
                .remove_blackout(&other.id, host, holiday.date)
                .await
                .unwrap()
        );
        assert_eq!(store.weekly_hours(account, host).await.unwrap(), [week[0]]);
        assert!(store.remove_blackout(account, host, holiday.date).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn contacts_upsert_by_phone_and_keep_what_they_already_know() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let first = store
            .upsert_contact(
                account,
                ContactUpsert {
                    phone: "+4930123456".into(),
                    name: None,
                    email: Some("a@example.com".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!(first.name, None);
        let second = store
            .upsert_contact(
                account,
                ContactUpsert {
                    phone: "+4930123456".into(),
                    name: Some("Ana".into()),
                    email: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(second.id, first.id, "same phone, same contact");
        assert_eq!(second.name.as_deref(), Some("Ana"));
        assert_eq!(
            second.email.as_deref(),
            Some("a@example.com"),
            "not erased by a missing value"
        );
        assert_eq!(second.created_at, first.created_at);
        assert!(second.updated_at >= first.updated_at);
        assert_eq!(store.contact(account, &first.id).await.unwrap(), second);
        assert_eq!(
            store.contact_by_phone(account, "+4930123456").await.unwrap(),
            Some(second.clone())
        );

        // The same number in another account is another contact.
        let other = other_account(&store).await;
        let theirs = store
            .upsert_contact(
                &other.id,
                ContactUpsert {
                    phone: "+4930123456".into(),
                    name: None,
                    email: None,
                },
            )
            .await
            .unwrap();
        assert_ne!(theirs.id, first.id);
        assert!(matches!(
            store.contact(&other.id, &first.id).await,
            Err(StoreError::NotFound { what: "contact" })
        ));
        let bad = store.upsert_contact(
            account,
            ContactUpsert {
                phone: "030 123456".into(),
                name: None,
                email: None,
            },
        );
        assert!(matches!(bad.await, Err(StoreError::Invalid { .. })));

        // Concurrent first calls from one number make one contact.
        let racers = (0..8).map(|_| {
            let store = store.clone();
            let account = account.clone();
            tokio::spawn(async move {
                store
                    .upsert_contact(
                        &account,
                        ContactUpsert {
                            phone: "+4940111".into(),
                            name: None,
                            email: None,
                        },
                    )
                    .await
            })
        });
        let mut ids = Vec::new();
        for racer in racers.collect::<Vec<_>>() {
            ids.push(racer.await.unwrap().unwrap().id);
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn activities_log_in_order_with_their_json_detail() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let contact = store
            .upsert_contact(
                account,
                ContactUpsert {
                    phone: "+4930999".into(),
                    name: None,
                    email: None,
                },
            )
            .await
            .unwrap();
        let kinds = [
            ActivityKind::Call,
            ActivityKind::Booking,
            ActivityKind::Sms,
            ActivityKind::Other("email".into()),
        ];
        let mut written = Vec::new();
        for (i, kind) in kinds.into_iter().enumerate() {
            let detail = serde_json::json!({ "step": i, "text": "grüße" });
            let activity = store
                .insert_activity(
                    account,
                    NewActivity {
                        contact_id: Some(contact.id.clone()),
                        kind,
                        summary: format!("step {i}"),
                        detail: Some(detail),
                    },
                )
                .await
                .unwrap();
            written.push(activity);
        }
        assert_eq!(
            store
                .activities_for_contact(account, &contact.id, 10)
                .await
                .unwrap(),
            written
        );
        assert_eq!(
            store
                .activities_for_contact(account, &contact.id, 2)
                .await
                .unwrap(),
            written[2..],
            "latest two"
        );
        let other = other_account(&store).await;
        assert!(
            store
                .activities_for_contact(&other.id, &contact.id, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let foreign = store
            .insert_activity(
                &other.id,
                NewActivity {
                    contact_id: Some(contact.id.clone()),
                    kind: ActivityKind::Note,
                    summary: "x".into(),
                    detail: None,
                },
            )
            .await;
        assert!(
            matches!(
                foreign,
                Err(StoreError::Conflict {
                    constraint: Constraint::ForeignKey(_)
                })
            ),
            "{foreign:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn calls_are_logged_at_start_and_finished_once() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let started_at: Timestamp = "2026-03-10T14:00:00.123Z".parse().unwrap();
        let new_call = NewCall {
            agent_id: business.agent.id.clone(),
            call_sid: "CA0123456789abcdef0123456789abcdef".into(),
            direction: CallDirection::Inbound,
            from_number: "+4930123456".into(),
            to_number: business.agent.phone_number.clone(),
            started_at,
        };
        let call = store.insert_call(account, new_call.clone()).await.unwrap();
        assert_eq!(
            store.call_by_sid(&call.call_sid).await.unwrap(),
            Some(call.clone())
        );
        let repeat = store.insert_call(account, new_call.clone()).await;
        assert!(matches!(
            repeat,
            Err(StoreError::Conflict {
                constraint: Constraint::CallSid
            })
        ));

        store
            .set_call_conversation_id(&call.call_sid, "conv_1")
            .await
            .unwrap();
        let ended_at = started_at + jiff::SignedDuration::from_secs(95);
        let finished = store
            .finish_call(
                &call.call_sid,
                ended_at,
                "caller-hung-up",
                Duration::from_millis(95_000),
            )
            .await;
        let finished = finished.unwrap();
        assert_eq!(finished.ended_at, Some(ended_at));
        assert_eq!(finished.end_reason.as_deref(), Some("caller-hung-up"));
        assert_eq!(finished.duration, Some(Duration::from_secs(95)));
        assert_eq!(finished.conversation_id.as_deref(), Some("conv_1"));
        let again = store.finish_call(
            &call.call_sid,
            ended_at + jiff::SignedDuration::from_secs(3),
            "completed",
            Duration::ZERO,
        );
        assert_eq!(again.await.unwrap(), finished, "the first finish wins");
        assert!(matches!(
            store
                .finish_call("CAnope", ended_at, "completed", Duration::ZERO)
                .await,
            Err(StoreError::NotFound { what: "call" })
        ));
        assert_eq!(store.recent_calls(account, 10).await.unwrap(), [finished]);

        // A call must be logged under the agent's own account.
        let other = other_account(&store).await;
        let foreign = store
            .insert_call(
                &other.id,
                NewCall {
                    call_sid: "CAother".into(),
                    ..new_call
                },
            )
            .await;
        assert!(matches!(
            foreign,
            Err(StoreError::Conflict {
                constraint: Constraint::ForeignKey(_)
            })
        ));
        assert!(store.recent_calls(&other.id, 10).await.unwrap().is_empty());
    })
    .await;
}
