//! Agents as an operator manages them, on both backends: pages, partial updates, deletion
//! that keeps the call history, the event types an agent offers, the plan's cap on agents
//! under concurrent creates, and active hours.

use jiff::civil::Weekday;
use switchboard::store::testing::{self, on_each_backend, seed_business};
use switchboard::store::{
    AfterHoursMode, AgentChanges, AgentHours, CallDirection, FallbackMode, MinuteRange, NewAgent,
    NewCallRecord, NewEventType, PageRequest, StoreError, WeeklyRange,
};

fn web_agent(name: &str) -> NewAgent {
    NewAgent {
        name: name.into(),
        elevenlabs_agent_id: "el_web".into(),
        ..NewAgent::default()
    }
}

#[tokio::test]
async fn agents_page_oldest_first_without_deleted_ones_or_other_accounts() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let mut ids = vec![business.agent.id.clone()];
        for i in 0..4 {
            ids.push(
                store
                    .create_agent(account, web_agent(&format!("Web {i}")))
                    .await
                    .unwrap()
                    .id,
            );
        }
        store.delete_agent(account, &ids[2]).await.unwrap();
        let live: Vec<_> = ids.iter().filter(|id| **id != ids[2]).cloned().collect();
        let other = testing::other_account(&store).await;
        store
            .create_agent(&other.id, web_agent("Not ours"))
            .await
            .unwrap();

        let mut seen = Vec::new();
        let mut request = PageRequest::first(2);
        loop {
            let page = store.agents_page(account, &request).await.unwrap();
            assert!(page.items.len() <= 2);
            seen.extend(page.items.into_iter().map(|agent| agent.id));
            match page.next {
                Some(cursor) => request = PageRequest::new(Some(2), Some(cursor)),
                None => break,
            }
        }
        assert_eq!(seen, live);
        assert_eq!(store.count_agents(account).await.unwrap(), 4);
        assert_eq!(store.agents(account).await.unwrap().len(), 4);
    })
    .await;
}

#[tokio::test]
async fn a_partial_update_changes_only_what_it_names_and_keeps_the_rules() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let id = &business.agent.id;
        let before = store.agent(account, id).await.unwrap();

        let changed = store
            .update_agent(
                account,
                id,
                AgentChanges {
                    name: Some("Front desk".into()),
                    first_message: Some(Some("Hello from the front desk.".into())),
                    language: Some("de".into()),
                    voice_id: Some(Some("voice_1".into())),
                    active: Some(false),
                    ..AgentChanges::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(changed.name, "Front desk");
        assert_eq!(changed.language, "de");
        assert!(!changed.active);
        assert_eq!(
            changed.phone_number, before.phone_number,
            "not named, not changed"
        );
        assert_eq!(changed.timezone, before.timezone);
        assert!(changed.updated_at >= before.updated_at);
        assert_eq!(store.agent(account, id).await.unwrap(), changed, "as stored");

        let cleared = store
            .update_agent(
                account,
                id,
                AgentChanges {
                    first_message: Some(None),
                    phone_number: Some(None),
                    ..AgentChanges::default()
                },
            )
            .await
            .unwrap();
        assert_eq!((cleared.first_message, cleared.phone_number), (None, None));
        assert_eq!(cleared.name, "Front desk");

        // A dialled fallback without a number breaks a rule: refused, nothing written.
        let refused = store
            .update_agent(
                account,
                id,
                AgentChanges {
                    name: Some("Never".into()),
                    fallback_mode: Some(FallbackMode::Dial),
                    ..AgentChanges::default()
                },
            )
            .await;
        assert!(matches!(refused, Err(StoreError::Invalid { .. })), "{refused:?}");
        assert_eq!(store.agent(account, id).await.unwrap().name, "Front desk");

        // Another agent's number is a conflict.
        let other = store.create_agent(account, web_agent("Second")).await.unwrap();
        let taken = store
            .update_agent(
                account,
                &other.id,
                AgentChanges {
                    phone_number: Some(before.phone_number.clone()),
                    ..AgentChanges::default()
                },
            )
            .await;
        assert!(taken.is_ok(), "the first agent gave its number up: {taken:?}");
        let again = store
            .update_agent(
                account,
                id,
                AgentChanges {
                    phone_number: Some(before.phone_number.clone()),
                    ..AgentChanges::default()
                },
            )
            .await;
        assert!(matches!(again, Err(StoreError::Conflict { .. })), "{again:?}");

        // Another account's agent is not found.
        let stranger = testing::other_account(&store).await;
        let foreign = store
            .update_agent(
                &stranger.id,
                id,
                AgentChanges {
                    name: Some("Hijacked".into()),
                    ..AgentChanges::default()
                },
            )
            .await;
        assert!(
            matches!(foreign, Err(StoreError::NotFound { what: "agent" })),
            "{foreign:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_deleted_agent_frees_its_number_and_leaves_lookups_while_its_calls_stay() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let agent = &business.agent;
        let number = agent.phone_number.clone().unwrap();
        store
            .insert_call(
                account,
                NewCallRecord {
                    agent_id: agent.id.clone(),
                    call_sid: format!("CA{}", agent.id.as_str().replace('-', "")),
                    direction: CallDirection::Inbound,
                    from_number: "+4930123456".into(),
                    to_number: number.clone(),
                    started_at: jiff::Timestamp::now(),
                },
            )
            .await
            .unwrap()
            .unwrap();
        let other = testing::other_account(&store).await;
        assert!(matches!(
            store.delete_agent(&other.id, &agent.id).await,
            Err(StoreError::NotFound { .. })
        ));
        let version = store.agents_version();
        store.delete_agent(account, &agent.id).await.unwrap();
        assert_ne!(
            store.agents_version(),
            version,
            "the call path's cache forgets it"
        );

        assert!(matches!(
            store.agent(account, &agent.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(store.agent_by_phone_number(&number).await.unwrap(), None);
        assert!(
            store
                .agents_by_elevenlabs_id(&agent.elevenlabs_agent_id)
                .await
                .unwrap()
                .is_empty()
        );
        let kept = store
            .agent_by_id(&agent.id)
            .await
            .unwrap()
            .expect("kept for its calls");
        assert!(kept.deleted_at.is_some());
        assert_eq!(
            store.recent_calls(account, 10).await.unwrap().len(),
            1,
            "the call stays"
        );
        assert!(matches!(
            store.delete_agent(account, &agent.id).await,
            Err(StoreError::NotFound { .. })
        ));

        let successor = store
            .create_agent(
                account,
                NewAgent {
                    phone_number: Some(number.clone()),
                    ..web_agent("Successor")
                },
            )
            .await
            .unwrap();
        let found = store.agent_by_phone_number(&number).await.unwrap();
        assert_eq!(found.map(|a| a.id), Some(successor.id));
        assert_eq!(store.count_agents(account).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn replacing_event_types_links_exactly_the_given_set() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let agent = &business.agent.id;
        let intro = business.event_type.id.clone();
        let new_type = |slug: &str, secret: bool| NewEventType {
            host_id: business.host.id.clone(),
            slug: slug.into(),
            name: slug.into(),
            description: String::new(),
            duration_min: 30,
            buffer_before_min: 0,
            buffer_after_min: 0,
            min_notice_min: 0,
            slot_interval_min: None,
            max_days_ahead: 30,
            per_day_limit: None,
            active: true,
            secret,
        };
        let checkup = store
            .create_event_type(account, new_type("checkup", false))
            .await
            .unwrap()
            .id;
        let vip = store
            .create_event_type(account, new_type("vip", true))
            .await
            .unwrap()
            .id;
        let slugs =
            |types: Vec<switchboard::store::EventType>| types.into_iter().map(|t| t.slug).collect::<Vec<_>>();

        store
            .set_agent_event_types(account, agent, &[checkup.clone(), vip.clone(), checkup.clone()])
            .await
            .unwrap();
        assert_eq!(
            slugs(store.linked_event_types(account, agent).await.unwrap()),
            ["checkup", "vip"]
        );
        assert_eq!(
            slugs(store.event_types_for_agent(account, agent).await.unwrap()),
            ["checkup"]
        );

        store
            .set_agent_event_types(account, agent, std::slice::from_ref(&intro))
            .await
            .unwrap();
        assert_eq!(
            slugs(store.linked_event_types(account, agent).await.unwrap()),
            ["intro-call"]
        );

        // An id that is not the account's: refused, and the links stay as they were.
        let stranger = testing::other_account(&store).await;
        let host = testing::another_host(&store, &stranger.id).await;
        let theirs = store
            .create_event_type(
                &stranger.id,
                NewEventType {
                    host_id: host.id,
                    ..new_type("theirs", false)
                },
            )
            .await
            .unwrap()
            .id;
        let refused = store
            .set_agent_event_types(account, agent, &[checkup.clone(), theirs])
            .await;
        assert!(
            matches!(
                &refused,
                Err(StoreError::Invalid {
                    what: "event type ids",
                    ..
                })
            ),
            "{refused:?}"
        );
        assert_eq!(
            slugs(store.linked_event_types(account, agent).await.unwrap()),
            ["intro-call"]
        );

        // None: every active, non-secret event type of the account.
        store.set_agent_event_types(account, agent, &[]).await.unwrap();
        assert!(store.linked_event_types(account, agent).await.unwrap().is_empty());
        assert_eq!(
            slugs(store.event_types_for_agent(account, agent).await.unwrap()),
            ["checkup", "intro-call"]
        );

        let foreign = store.set_agent_event_types(&stranger.id, agent, &[]).await;
        assert!(
            matches!(foreign, Err(StoreError::NotFound { what: "agent" })),
            "{foreign:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_agent_cap_holds_when_creates_race() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = business.account.id.clone();
        let creates = (0..8).map(|i| {
            let store = store.clone();
            let account = account.clone();
            tokio::spawn(async move {
                store
                    .create_agent_within(&account, web_agent(&format!("Racer {i}")), 3)
                    .await
                    .unwrap()
            })
        });
        let results = futures::future::join_all(creates).await;
        let created = results
            .into_iter()
            .filter(|r| r.as_ref().unwrap().is_some())
            .count();
        assert_eq!(created, 2, "one agent existed, the plan allows three");
        assert_eq!(store.count_agents(&account).await.unwrap(), 3);
        // A deleted agent's place is free again.
        store.delete_agent(&account, &business.agent.id).await.unwrap();
        assert!(
            store
                .create_agent_within(&account, web_agent("Late"), 3)
                .await
                .unwrap()
                .is_some()
        );
    })
    .await;
}

#[tokio::test]
async fn active_hours_are_kept_whole_and_set_the_agents_timezone() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let agent = &business.agent.id;
        assert_eq!(
            store.agent_hours(account, agent).await.unwrap(),
            None,
            "never set"
        );

        let range = |weekday, start_minute, end_minute| WeeklyRange {
            weekday,
            range: MinuteRange {
                start_minute,
                end_minute,
            },
        };
        let hours = AgentHours {
            enabled: true,
            after_hours: AfterHoursMode::Redirect,
            after_hours_message: Some("We are closed.".into()),
            redirect_number: Some("+14155550123".into()),
            schedule: vec![
                range(Weekday::Friday, 22 * 60, 2 * 60),
                range(Weekday::Monday, 9 * 60, 17 * 60),
            ],
            updated_at: jiff::Timestamp::UNIX_EPOCH,
        };
        let version = store.agents_version();
        let stored = store
            .set_agent_hours(account, agent, hours.clone(), Some("America/Chicago"))
            .await
            .unwrap();
        assert_ne!(store.agents_version(), version);
        assert_eq!(
            store.agent(account, agent).await.unwrap().timezone,
            "America/Chicago"
        );
        let read = store.agent_hours(account, agent).await.unwrap().unwrap();
        assert_eq!(read, stored);
        assert_eq!(
            read.schedule,
            [
                range(Weekday::Monday, 540, 1020),
                range(Weekday::Friday, 1320, 120)
            ],
            "by weekday"
        );

        let replaced = AgentHours {
            enabled: false,
            after_hours: AfterHoursMode::Voicemail,
            after_hours_message: None,
            redirect_number: None,
            schedule: vec![range(Weekday::Sunday, 0, 1440)],
            ..hours.clone()
        };
        store
            .set_agent_hours(account, agent, replaced, None)
            .await
            .unwrap();
        let read = store.agent_hours(account, agent).await.unwrap().unwrap();
        assert_eq!(read.schedule, [range(Weekday::Sunday, 0, 1440)], "replaced whole");
        assert!(!read.enabled);
        assert_eq!(
            store.agent(account, agent).await.unwrap().timezone,
            "America/Chicago"
        );

        let no_number = AgentHours {
            redirect_number: None,
            ..hours.clone()
        };
        // A redirect tells the caller where to book online: no number of its own needed.
        let kept = store
            .set_agent_hours(account, agent, no_number, None)
            .await
            .unwrap();
        assert_eq!(kept.redirect_number, None);
        let malformed = AgentHours {
            redirect_number: Some("555".into()),
            ..hours.clone()
        };
        let refused = store.set_agent_hours(account, agent, malformed, None).await;
        assert!(matches!(refused, Err(StoreError::Invalid { .. })), "{refused:?}");
        let bad_zone = store
            .set_agent_hours(account, agent, hours.clone(), Some("EST"))
            .await;
        assert!(
            matches!(bad_zone, Err(StoreError::Invalid { .. })),
            "{bad_zone:?}"
        );

        let stranger = testing::other_account(&store).await;
        assert!(matches!(
            store.agent_hours(&stranger.id, agent).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.set_agent_hours(&stranger.id, agent, hours, None).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}
