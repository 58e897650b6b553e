//! An account's setup on both backends: accounts, agents, event types and host schedules read
//! back as written (also when writes race), stay in their account, and the schema's rules
//! surface as typed errors.

use jiff::civil::{Weekday, date};
use switchboard::store::testing::{self, another_host, on_each_backend, other_account, seed_business};
use switchboard::store::{
    Blackout, Constraint, DateOverride, FallbackMode, MinuteRange, NewAgent, NewEventType, StoreError,
    WeeklyRange,
};

fn new_agent(phone_number: &str) -> NewAgent {
    NewAgent {
        name: "Front desk".into(),
        phone_number: Some(phone_number.into()),
        elevenlabs_agent_id: "agent_abc".into(),
        timezone: "America/New_York".into(),
        first_message: Some("Hello, this is the front desk.".into()),
        fallback_mode: FallbackMode::Dial,
        fallback_number: Some("+14155550100".into()),
        ..NewAgent::default()
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
                phone_number: Some("555-0100".into()),
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
        let other_host = another_host(&store, &other.id).await;
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

/// Each write replaces the date's ranges whole, even when many race: PostgreSQL would otherwise
/// let two writers each delete the old ranges and then keep both of their inserts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_overrides_of_one_date_leave_exactly_one_of_them() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let (account, host) = (&business.account.id, &business.host.id);
        for round in 0..30 {
            let day = date(2026, 12, 1) + jiff::Span::new().days(round);
            // Even writers close the date; odd ones open it for two ranges starting at hour i.
            let writers: Vec<_> = (0..16u16)
                .map(|i| {
                    let ranges = match i % 2 {
                        0 => vec![],
                        _ => vec![
                            MinuteRange {
                                start_minute: 60 * i,
                                end_minute: 60 * i + 30,
                            },
                            MinuteRange {
                                start_minute: 60 * i + 40,
                                end_minute: 60 * i + 50,
                            },
                        ],
                    };
                    let (store, account, host) = (store.clone(), account.clone(), host.clone());
                    tokio::spawn(async move {
                        let written = DateOverride { date: day, ranges };
                        store.set_date_override(&account, &host, &written).await.unwrap();
                        written
                    })
                })
                .collect();
            let mut written = Vec::new();
            for writer in writers {
                written.push(writer.await.unwrap());
            }
            let stored = store.date_overrides(account, host, day, day).await.unwrap();
            assert_eq!(stored.len(), 1, "{stored:?}");
            assert!(written.contains(&stored[0]), "a mix of writes: {stored:?}");
        }
    })
    .await;
}
