//! The management API's reads on both backends: bookings, contacts, a contact's activities and
//! calls in keyset pages with their filters, a call with its timeline, and usage over a period;
//! all within their account.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use switchboard::store::testing::{Business, another_host, on_each_backend, other_account, seed_business};
use switchboard::store::{
    ActivityKind, Booking, BookingFilter, BookingStatus, CallDirection, CallEventKind, CallFilter,
    CallRecord, Constraint, ContactChanges, ContactId, NewActivity, NewBooking, NewCallEvent, NewCallRecord,
    NewContact, Outcome, Page, PageRequest, Store, StoreError,
};

fn at(instant: &str) -> Timestamp {
    instant.parse().unwrap()
}

/// Every item of a list, read page by page with `read`, and how many pages it took.
async fn all_pages<T, F, Fut>(limit: u32, read: F) -> (Vec<T>, usize)
where
    F: Fn(PageRequest) -> Fut,
    Fut: Future<Output = Page<T>>,
{
    let mut items = Vec::new();
    let mut pages = 0;
    let mut request = PageRequest::first(limit);
    loop {
        let page = read(request.clone()).await;
        pages += 1;
        assert!(page.items.len() <= limit as usize);
        items.extend(page.items);
        match page.next {
            Some(after) => request = PageRequest::new(Some(limit), Some(after)),
            None => return (items, pages),
        }
    }
}

async fn book(
    store: &Store,
    business: &Business,
    start_at: Timestamp,
    contact: Option<&ContactId>,
) -> Booking {
    let mut tx = store
        .begin_host(&business.account.id, &business.host.id)
        .await
        .unwrap();
    let booking = tx
        .insert_booking(NewBooking {
            event_type_id: business.event_type.id.clone(),
            contact_id: contact.cloned(),
            start_at,
            end_at: start_at + SignedDuration::from_mins(30),
            buffer_before_min: 0,
            buffer_after_min: 0,
            invitee_name: "Caller".into(),
            invitee_email: None,
            invitee_phone: None,
            timezone: "Europe/Berlin".into(),
            notes: None,
            idempotency_key: None,
            rescheduled_from: None,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    booking
}

async fn contact(store: &Store, business: &Business, phone: &str, name: Option<&str>) -> ContactId {
    store
        .insert_contact(
            &business.account.id,
            NewContact {
                phone: phone.into(),
                name: name.map(str::to_owned),
                email: None,
            },
        )
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn bookings_page_newest_first_and_filter_by_each_field() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let ana = contact(&store, &business, "+4930111111", Some("Ana")).await;
        let mut made = Vec::new();
        for hour in 0..7 {
            let start = at("2026-03-02T08:00:00Z") + SignedDuration::from_hours(hour);
            let contact = (hour % 2 == 0).then_some(&ana);
            made.push(book(&store, &business, start, contact).await);
        }
        let mut tx = store.begin_host(account, &business.host.id).await.unwrap();
        tx.set_booking_status(&made[1].id, BookingStatus::Cancelled)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let everything = BookingFilter::default();
        let (listed, pages) = all_pages(3, |page| {
            let (store, everything) = (&store, &everything);
            async move { store.bookings(account, everything, &page).await.unwrap() }
        })
        .await;
        assert_eq!(pages, 3, "7 bookings in pages of 3");
        let ids: Vec<_> = listed.iter().map(|booking| booking.id.clone()).collect();
        let newest_first: Vec<_> = made.iter().rev().map(|booking| booking.id.clone()).collect();
        assert_eq!(ids, newest_first);

        let filtered = |filter: BookingFilter| {
            let store = &store;
            async move {
                store
                    .bookings(account, &filter, &PageRequest::first(50))
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|booking| booking.start_at)
                    .collect::<Vec<_>>()
            }
        };
        let cancelled = filtered(BookingFilter {
            status: Some(BookingStatus::Cancelled),
            ..BookingFilter::default()
        })
        .await;
        assert_eq!(cancelled, [made[1].start_at]);
        let of_ana = filtered(BookingFilter {
            contact_id: Some(ana.clone()),
            ..BookingFilter::default()
        })
        .await;
        assert_eq!(of_ana.len(), 4);
        let window = filtered(BookingFilter {
            start_from: Some(made[2].start_at),
            start_to: Some(made[4].start_at),
            ..BookingFilter::default()
        })
        .await;
        assert_eq!(
            window,
            [made[3].start_at, made[2].start_at],
            "from inclusive, to exclusive"
        );
        let combined = filtered(BookingFilter {
            status: Some(BookingStatus::Confirmed),
            host_id: Some(business.host.id.clone()),
            event_type_id: Some(business.event_type.id.clone()),
            contact_id: Some(ana.clone()),
            start_from: Some(made[2].start_at),
            start_to: None,
        })
        .await;
        assert_eq!(combined, [made[6].start_at, made[4].start_at, made[2].start_at]);
        let other_host = another_host(&store, account).await;
        let none = filtered(BookingFilter {
            host_id: Some(other_host.id),
            ..BookingFilter::default()
        })
        .await;
        assert!(none.is_empty());

        let other = other_account(&store).await;
        let theirs = store
            .bookings(&other.id, &everything, &PageRequest::first(50))
            .await
            .unwrap();
        assert!(theirs.items.is_empty() && theirs.next.is_none());
    })
    .await;
}

#[tokio::test]
async fn contacts_are_created_once_per_number_searched_and_changed() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let ana = contact(&store, &business, "+4930111111", Some("Ana Müller")).await;
        let bo = contact(&store, &business, "+4930222222", Some("Bo 50%")).await;
        let nameless = contact(&store, &business, "+14155550123", None).await;

        let again = store
            .insert_contact(
                account,
                NewContact {
                    phone: "+4930111111".into(),
                    name: None,
                    email: None,
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                again,
                StoreError::Conflict {
                    constraint: Constraint::ContactPhone
                }
            ),
            "{again:?}"
        );
        let bad = store
            .insert_contact(
                account,
                NewContact {
                    phone: "030 111".into(),
                    name: None,
                    email: None,
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(bad, StoreError::Invalid { what: "phone", .. }),
            "{bad:?}"
        );

        let search = |text: &'static str| {
            let store = &store;
            async move {
                store
                    .contacts(account, Some(text), &PageRequest::first(50))
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|contact| contact.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(search("ana").await, std::slice::from_ref(&ana), "any case");
        assert_eq!(search("Müller").await, std::slice::from_ref(&ana));
        assert_eq!(
            search("50%").await,
            std::slice::from_ref(&bo),
            "a % is a character, not a wildcard"
        );
        assert_eq!(search("%").await, std::slice::from_ref(&bo));
        assert_eq!(
            search("+49 30").await,
            [bo.clone(), ana.clone()],
            "digits of the number"
        );
        assert_eq!(search("555 0123").await, std::slice::from_ref(&nameless));
        assert_eq!(search("zed").await, Vec::<ContactId>::new());
        assert_eq!(search("  ").await.len(), 3, "a blank search is no search");
        let (all, pages) = all_pages(2, |page| {
            let store = &store;
            async move { store.contacts(account, None, &page).await.unwrap() }
        })
        .await;
        assert_eq!(pages, 2);
        assert_eq!(
            all.iter().map(|contact| contact.id.clone()).collect::<Vec<_>>(),
            [nameless.clone(), bo.clone(), ana.clone()]
        );

        let renamed = store
            .update_contact(
                account,
                &ana,
                ContactChanges {
                    name: Some(Some("Ana Adler".into())),
                    email: Some(Some("ana@example.com".into())),
                    phone: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(renamed.name.as_deref(), Some("Ana Adler"));
        assert_eq!(renamed.phone, "+4930111111", "left alone");
        let cleared = store
            .update_contact(
                account,
                &ana,
                ContactChanges {
                    name: None,
                    email: Some(None),
                    phone: Some("+4930333333".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!(cleared.email, None, "cleared on purpose");
        assert_eq!(cleared.name.as_deref(), Some("Ana Adler"), "left alone");
        assert_eq!(cleared.phone, "+4930333333");
        assert_eq!(store.contact(account, &ana).await.unwrap(), cleared);
        let taken = store
            .update_contact(
                account,
                &ana,
                ContactChanges {
                    phone: Some("+4930222222".into()),
                    ..ContactChanges::default()
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                taken,
                StoreError::Conflict {
                    constraint: Constraint::ContactPhone
                }
            ),
            "{taken:?}"
        );

        let other = other_account(&store).await;
        let theirs = store
            .update_contact(
                &other.id,
                &ana,
                ContactChanges {
                    name: Some(Some("Mallory".into())),
                    ..ContactChanges::default()
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(theirs, StoreError::NotFound { what: "contact" }),
            "{theirs:?}"
        );
        assert!(
            store
                .contacts(&other.id, None, &PageRequest::first(50))
                .await
                .unwrap()
                .items
                .is_empty()
        );
        assert_eq!(store.contact(account, &ana).await.unwrap(), cleared, "untouched");
    })
    .await;
}

#[tokio::test]
async fn a_contacts_activities_page_newest_first() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let ana = contact(&store, &business, "+4930111111", Some("Ana")).await;
        let bo = contact(&store, &business, "+4930222222", Some("Bo")).await;
        for (i, who) in [&ana, &bo, &ana, &ana, &bo, &ana, &ana].into_iter().enumerate() {
            store
                .insert_activity(
                    account,
                    NewActivity {
                        contact_id: Some(who.clone()),
                        kind: ActivityKind::Note,
                        summary: format!("note {i}"),
                        detail: None,
                    },
                )
                .await
                .unwrap();
        }
        let (listed, pages) = all_pages(2, |page| {
            let (store, ana) = (&store, &ana);
            async move { store.contact_activities(account, ana, &page).await.unwrap() }
        })
        .await;
        assert_eq!(pages, 3);
        let summaries: Vec<_> = listed.iter().map(|activity| activity.summary.as_str()).collect();
        assert_eq!(summaries, ["note 6", "note 5", "note 3", "note 2", "note 0"]);
        let other = other_account(&store).await;
        assert!(
            store
                .contact_activities(&other.id, &ana, &PageRequest::first(50))
                .await
                .unwrap()
                .items
                .is_empty()
        );
    })
    .await;
}

async fn call(
    store: &Store,
    business: &Business,
    sid: &str,
    started_at: Timestamp,
    ended: Option<(&str, Duration)>,
) -> CallRecord {
    let direction = if sid.ends_with("out") {
        CallDirection::Outbound
    } else {
        CallDirection::Inbound
    };
    store
        .insert_call(
            &business.account.id,
            NewCallRecord {
                agent_id: business.agent.id.clone(),
                call_sid: sid.into(),
                direction,
                from_number: "+4930111111".into(),
                to_number: business.agent.phone_number.clone().unwrap(),
                started_at,
            },
        )
        .await
        .unwrap()
        .unwrap();
    match ended {
        Some((reason, duration)) => store
            .finish_call(sid, started_at + duration, reason, duration)
            .await
            .unwrap(),
        None => store.call_by_sid(sid).await.unwrap().unwrap(),
    }
}

#[tokio::test]
async fn calls_page_newest_first_and_filter_by_agent_direction_reason_and_start() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let sid = |name: &str| format!("CA{}{name}", business.agent.id.as_str().replace('-', ""));
        let start = at("2026-03-02T08:00:00Z");
        let minute = Duration::from_secs(60);
        let first = call(
            &store,
            &business,
            &sid("a"),
            start,
            Some(("caller_hung_up", minute)),
        )
        .await;
        let second = call(
            &store,
            &business,
            &sid("bout"),
            start + SignedDuration::from_hours(1),
            Some(("agent_ended", minute)),
        )
        .await;
        let third = call(
            &store,
            &business,
            &sid("c"),
            start + SignedDuration::from_hours(2),
            Some(("caller_hung_up", minute)),
        )
        .await;
        let open = call(
            &store,
            &business,
            &sid("d"),
            start + SignedDuration::from_hours(3),
            None,
        )
        .await;

        let everything = CallFilter::default();
        let (listed, pages) = all_pages(3, |page| {
            let (store, everything) = (&store, &everything);
            async move { store.calls(account, everything, &page).await.unwrap() }
        })
        .await;
        assert_eq!(pages, 2);
        assert_eq!(
            listed,
            [open.clone(), third.clone(), second.clone(), first.clone()]
        );

        let filtered = |filter: CallFilter| {
            let store = &store;
            async move {
                store
                    .calls(account, &filter, &PageRequest::first(50))
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|call| call.call_sid)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            filtered(CallFilter {
                end_reason: Some("caller_hung_up".into()),
                ..CallFilter::default()
            })
            .await,
            [third.call_sid.clone(), first.call_sid.clone()]
        );
        assert_eq!(
            filtered(CallFilter {
                direction: Some(CallDirection::Outbound),
                ..CallFilter::default()
            })
            .await,
            std::slice::from_ref(&second.call_sid)
        );
        assert_eq!(
            filtered(CallFilter {
                agent_id: Some(business.agent.id.clone()),
                started_from: Some(second.started_at),
                started_to: Some(open.started_at),
                ..CallFilter::default()
            })
            .await,
            [third.call_sid.clone(), second.call_sid.clone()]
        );
        assert!(
            filtered(CallFilter {
                agent_id: Some("someone-else".into()),
                ..CallFilter::default()
            })
            .await
            .is_empty()
        );
        let other = other_account(&store).await;
        assert!(
            store
                .calls(&other.id, &everything, &PageRequest::first(50))
                .await
                .unwrap()
                .items
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn a_call_reads_with_its_timeline_in_order_from_its_row_and_its_events() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let sid = format!("CA{}", business.agent.id.as_str().replace('-', ""));
        let start = at("2026-03-02T08:00:00Z");
        call(&store, &business, &sid, start, None).await;
        let seconds = |s: i64| start + SignedDuration::from_secs(s);
        for (s, kind, detail) in [
            (1, CallEventKind::StreamStarted, json!({ "stream_sid": "MZ1" })),
            (
                2,
                CallEventKind::AgentConnected,
                json!({ "conversation_id": "conv_1" }),
            ),
            (
                30,
                CallEventKind::ToolCall,
                json!({ "name": "create_booking", "outcome": "ok" }),
            ),
        ] {
            let event = NewCallEvent {
                at: seconds(s),
                kind,
                detail,
            };
            assert!(store.insert_call_event(&sid, &event).await.unwrap());
        }
        let unknown = NewCallEvent {
            at: seconds(3),
            kind: CallEventKind::StreamStarted,
            detail: json!({}),
        };
        assert!(!store.insert_call_event("CAnobody", &unknown).await.unwrap());
        store
            .finish_call(&sid, seconds(60), "upstream_failed", Duration::from_secs(58))
            .await
            .unwrap();
        store
            .record_voicemail(&sid, "https://api.twilio.com/rec/RE1", Duration::from_secs(9))
            .await
            .unwrap();
        store
            .record_carrier_duration(&sid, seconds(90), Duration::from_secs(88))
            .await
            .unwrap();
        // Repeated callbacks add no second entry.
        store
            .record_carrier_duration(&sid, seconds(91), Duration::from_secs(88))
            .await
            .unwrap();
        store
            .record_voicemail(&sid, "https://api.twilio.com/rec/RE1", Duration::from_secs(9))
            .await
            .unwrap();

        let row = store.call_by_sid(&sid).await.unwrap().unwrap();
        let timeline = store.call_timeline(account, &row.id).await.unwrap();
        assert_eq!(timeline.call, row);
        let kinds: Vec<_> = timeline.events.iter().map(|event| event.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "answered",
                "stream_started",
                "agent_connected",
                "tool_call",
                "ended",
                "twilio_duration",
                "voicemail"
            ],
            "the voicemail's time is when it was kept (now), after the rest"
        );
        assert_eq!(timeline.events[0].at, start);
        assert_eq!(timeline.events[0].detail["from"], "+4930111111");
        assert_eq!(timeline.events[2].detail["conversation_id"], "conv_1");
        let ended = &timeline.events[4];
        assert_eq!(ended.at, seconds(60));
        assert_eq!(
            ended.detail,
            json!({ "reason": "upstream_failed", "duration_seconds": 58 })
        );
        assert_eq!(timeline.events[5].detail, json!({ "seconds": 88 }));
        assert_eq!(timeline.events[6].detail["length_seconds"], 9);

        let other = other_account(&store).await;
        let theirs = store.call_timeline(&other.id, &row.id).await.unwrap_err();
        assert!(
            matches!(theirs, StoreError::NotFound { what: "call" }),
            "{theirs:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn usage_counts_started_minutes_per_call_within_the_period() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let sid = |name: &str| format!("CA{}{name}", business.agent.id.as_str().replace('-', ""));
        let from = at("2026-03-01T00:00:00Z");
        let to = at("2026-04-01T00:00:00Z");
        let inside = at("2026-03-10T12:00:00Z");
        let secs = Duration::from_secs;
        // 61 s: 2 minutes. 59.9 s metered: 59 whole seconds, 1 minute. 0 s: none.
        call(
            &store,
            &business,
            &sid("a"),
            inside,
            Some(("caller_hung_up", secs(61))),
        )
        .await;
        call(
            &store,
            &business,
            &sid("b"),
            inside,
            Some(("caller_hung_up", Duration::from_millis(59_900))),
        )
        .await;
        call(
            &store,
            &business,
            &sid("c"),
            inside,
            Some(("agent_ended", secs(0))),
        )
        .await;
        // The bridge metered 100 s; Twilio bills 121 s: 3 minutes.
        call(
            &store,
            &business,
            &sid("d"),
            inside,
            Some(("agent_ended", secs(100))),
        )
        .await;
        store
            .record_carrier_duration(&sid("d"), inside, secs(121))
            .await
            .unwrap();
        // Still running, 30 s in so far: 1 minute, no outcome yet.
        call(&store, &business, &sid("e"), inside, None).await;
        store
            .record_call_progress(&sid("e"), inside, secs(30))
            .await
            .unwrap();
        // At the period's very start (counts) and its very end (does not).
        call(
            &store,
            &business,
            &sid("f"),
            from,
            Some(("caller_hung_up", secs(120))),
        )
        .await;
        call(
            &store,
            &business,
            &sid("g"),
            to,
            Some(("caller_hung_up", secs(600))),
        )
        .await;

        let usage = store.usage(account, from, to).await.unwrap();
        assert_eq!(usage.calls, 6);
        assert_eq!(usage.minutes, 2 + 1 + 3 + 1 + 2);
        assert_eq!(usage.seconds, 61 + 59 + 121 + 30 + 120);
        assert_eq!(usage.average_seconds(), Some((391 + 3) / 6));
        assert_eq!(
            usage.top_outcomes,
            [
                Outcome {
                    end_reason: "caller_hung_up".into(),
                    calls: 3
                },
                Outcome {
                    end_reason: "agent_ended".into(),
                    calls: 2
                },
            ]
        );

        let other = other_account(&store).await;
        let none = store.usage(&other.id, from, to).await.unwrap();
        assert_eq!((none.calls, none.minutes, none.average_seconds()), (0, 0, None));
        assert!(none.top_outcomes.is_empty());
    })
    .await;
}
