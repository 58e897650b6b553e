//! An agent's Twilio number and its hold on both backends: attached with its Twilio side in
//! one write, one per agent, given up into a hold that the call path sees, taken back by the
//! same account only, and the holds due read by an explicit `now`.

use jiff::{SignedDuration, Timestamp};
use switchboard::store::testing::{on_each_backend, other_account, seed_business, unique_phone_number};
use switchboard::store::{AgentChanges, Constraint, NewAgent, NewAgentNumber, NumberHooks, StoreError};

const THIRTY_DAYS: SignedDuration = SignedDuration::from_hours(30 * 24);

fn conflict(result: Result<impl std::fmt::Debug, StoreError>) -> Constraint {
    match result {
        Err(StoreError::Conflict { constraint }) => constraint,
        other => panic!("not a conflict: {other:?}"),
    }
}

fn brought(agent: &switchboard::store::AgentId, number: &str) -> NewAgentNumber {
    NewAgentNumber {
        agent_id: agent.clone(),
        phone_number: number.to_owned(),
        twilio_sid: format!("PN{}", &number[1..]),
        bought: false,
        previous: NumberHooks {
            voice_url: "https://business.example.com/voice".into(),
            voice_method: "GET".into(),
            status_callback: String::new(),
            status_callback_method: "POST".into(),
            sms_url: Some("https://business.example.com/texts".into()),
            sms_method: Some("POST".into()),
        },
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[tokio::test]
async fn a_number_attached_gives_it_up_into_a_hold_the_same_account_may_end() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let agent = store
            .create_agent(
                account,
                NewAgent {
                    name: "Bo".into(),
                    elevenlabs_agent_id: "el_bo".into(),
                    ..NewAgent::default()
                },
            )
            .await
            .unwrap();
        let number = unique_phone_number();
        let now = at("2026-11-30T12:00:00Z");

        let attached = store
            .attach_agent_number(account, brought(&agent.id, &number), now)
            .await
            .unwrap();
        assert_eq!(
            store.agent_number(account, &agent.id).await.unwrap(),
            Some(attached.clone())
        );
        assert_eq!(
            store.agent_by_phone_number(&number).await.unwrap().map(|a| a.id),
            Some(agent.id.clone())
        );
        assert_eq!(
            conflict(
                store
                    .attach_agent_number(account, brought(&agent.id, &unique_phone_number()), now)
                    .await
            ),
            Constraint::AgentHasNumber,
            "one number per agent"
        );
        let patch = |number: Option<String>| AgentChanges {
            phone_number: Some(number),
            ..AgentChanges::default()
        };
        for changed in [None, Some(unique_phone_number())] {
            assert_eq!(
                conflict(store.update_agent(account, &agent.id, patch(changed)).await),
                Constraint::AgentHasNumber,
                "a number given through Twilio is given up, not changed"
            );
        }
        assert_eq!(
            conflict(
                store
                    .attach_agent_number(account, brought(&business.agent.id, &number), now)
                    .await
            ),
            Constraint::AgentHasNumber,
            "the seeded agent has a number of its own"
        );

        let given_up = store
            .give_up_agent_number(account, &agent.id, now, THIRTY_DAYS)
            .await
            .unwrap()
            .unwrap();
        let hold = given_up.hold.expect("a number known at Twilio is held");
        assert_eq!(given_up.phone_number, number);
        assert_eq!(hold.release_at, at("2026-12-30T12:00:00Z"));
        assert_eq!(hold.previous, attached.previous);
        assert!(!hold.bought);
        assert_eq!(
            store.agent_by_phone_number(&number).await.unwrap(),
            None,
            "lost at once"
        );
        assert_eq!(store.agent_number(account, &agent.id).await.unwrap(), None);
        assert_eq!(store.live_hold(&number).await.unwrap(), Some(hold.clone()));
        assert_eq!(
            store
                .give_up_agent_number(account, &agent.id, now, THIRTY_DAYS)
                .await
                .unwrap(),
            None,
            "nothing left to give up"
        );

        // Another account cannot take a held number; the same one can, which ends the hold.
        let other = other_account(&store).await;
        let stranger = store
            .create_agent(
                &other.id,
                NewAgent {
                    name: "Cy".into(),
                    elevenlabs_agent_id: "el_cy".into(),
                    ..NewAgent::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            conflict(
                store
                    .attach_agent_number(&other.id, brought(&stranger.id, &number), now)
                    .await
            ),
            Constraint::NumberHeld
        );
        let later = at("2026-12-10T00:00:00Z");
        store
            .attach_agent_number(account, brought(&agent.id, &number), later)
            .await
            .unwrap();
        assert_eq!(store.live_hold(&number).await.unwrap(), None);
        assert_eq!(store.number_hold(&hold.id).await.unwrap().ended_at, Some(later));
    })
    .await;
}

#[tokio::test]
async fn holds_come_due_at_their_release_and_stay_until_released() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let agent = store
            .create_agent(
                account,
                NewAgent {
                    name: "Di".into(),
                    elevenlabs_agent_id: "el_di".into(),
                    ..NewAgent::default()
                },
            )
            .await
            .unwrap();
        let number = unique_phone_number();
        let from = at("2026-03-01T08:00:00Z");
        store
            .attach_agent_number(account, brought(&agent.id, &number), from)
            .await
            .unwrap();
        let hold = store
            .give_up_agent_number(account, &agent.id, from, THIRTY_DAYS)
            .await
            .unwrap()
            .unwrap()
            .hold
            .unwrap();
        let mine = |holds: Vec<switchboard::store::NumberHold>| holds.into_iter().any(|h| h.id == hold.id);
        let release = hold.release_at;
        assert!(!mine(
            store
                .holds_due(release - SignedDuration::from_millis(1), 100)
                .await
                .unwrap()
        ));
        assert!(mine(store.holds_due(release, 100).await.unwrap()));

        // The release at its due time cannot be raced by the account taking the number back.
        assert_eq!(
            conflict(
                store
                    .attach_agent_number(account, brought(&agent.id, &number), release)
                    .await
            ),
            Constraint::NumberHeld
        );

        store
            .note_hold_failure(&hold.id, "Twilio refused (HTTP 500)")
            .await
            .unwrap();
        let failed = store.number_hold(&hold.id).await.unwrap();
        assert_eq!(
            (failed.attempts, failed.last_error.as_deref()),
            (1, Some("Twilio refused (HTTP 500)"))
        );
        assert!(
            mine(store.holds_due(release, 100).await.unwrap()),
            "retried next round"
        );

        assert!(store.mark_hold_released(&hold.id, release).await.unwrap());
        assert!(!store.mark_hold_released(&hold.id, release).await.unwrap());
        assert!(!mine(store.holds_due(release, 100).await.unwrap()));
        assert_eq!(store.live_hold(&number).await.unwrap(), None);

        // A number only typed into an agent has no Twilio side: it is simply freed.
        let typed = unique_phone_number();
        store
            .update_agent(
                account,
                &agent.id,
                AgentChanges {
                    phone_number: Some(Some(typed.clone())),
                    ..AgentChanges::default()
                },
            )
            .await
            .unwrap();
        let given_up = store
            .give_up_agent_number(account, &agent.id, release, THIRTY_DAYS)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (given_up.phone_number.as_str(), given_up.hold),
            (typed.as_str(), None)
        );
    })
    .await;
}
