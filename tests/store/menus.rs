//! Number menus on both backends: a number answered by a menu or by an agent, never both,
//! also when both are written at the same moment.

use switchboard::store::testing::{on_each_backend, seed_business, unique_phone_number};
use switchboard::store::{AgentChanges, Constraint, MenuChoice, MenuTarget, NewAgent, NewMenu, StoreError};

fn menu_on(number: &str, target: MenuTarget) -> NewMenu {
    NewMenu {
        phone_number: number.into(),
        prompt: "Hello.".into(),
        choices: vec![MenuChoice {
            digit: 1,
            label: "us".into(),
            keywords: vec!["help".into()],
            target,
        }],
    }
}

fn conflict(result: Result<impl std::fmt::Debug, StoreError>) -> Constraint {
    match result {
        Err(StoreError::Conflict { constraint }) => constraint,
        other => panic!("not a conflict: {other:?}"),
    }
}

#[tokio::test]
async fn a_menu_and_an_agent_never_share_a_number() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let ava = MenuTarget::Agent(business.agent.id.clone());
        let agents_number = business.agent.phone_number.clone().unwrap();
        assert_eq!(
            conflict(
                store
                    .put_menu(account, menu_on(&agents_number, ava.clone()))
                    .await
            ),
            Constraint::AgentPhoneNumber
        );

        let number = unique_phone_number();
        let (menu, created) = store
            .put_menu(account, menu_on(&number, ava.clone()))
            .await
            .unwrap();
        assert!(created);
        assert_eq!(store.menu_by_number(&number).await.unwrap(), Some(menu.clone()));
        let taken = NewAgent {
            name: "Cy".into(),
            elevenlabs_agent_id: "el_cy".into(),
            phone_number: Some(number.clone()),
            ..NewAgent::default()
        };
        assert_eq!(
            conflict(store.create_agent(account, taken.clone()).await),
            Constraint::MenuPhoneNumber
        );
        assert_eq!(
            conflict(store.create_agent_within(account, taken, 100).await),
            Constraint::MenuPhoneNumber
        );
        let change = AgentChanges {
            phone_number: Some(Some(number.clone())),
            ..AgentChanges::default()
        };
        assert_eq!(
            conflict(store.update_agent(account, &business.agent.id, change).await),
            Constraint::MenuPhoneNumber
        );
        // Another account cannot take the number's menu.
        let other = switchboard::store::testing::other_account(&store).await;
        let theirs = store
            .create_agent(
                &other.id,
                NewAgent {
                    name: "Theirs".into(),
                    elevenlabs_agent_id: "el_t".into(),
                    ..NewAgent::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            conflict(
                store
                    .put_menu(&other.id, menu_on(&number, MenuTarget::Agent(theirs.id.clone())))
                    .await
            ),
            Constraint::MenuPhoneNumber
        );
        // Nor name this account's agent in its own menu.
        let elsewhere = unique_phone_number();
        assert!(matches!(
            store.put_menu(&other.id, menu_on(&elsewhere, ava)).await,
            Err(StoreError::NotFound { what: "agent" })
        ));
        assert_eq!(store.menu_by_number(&number).await.unwrap(), Some(menu));
    })
    .await;
}

/// A menu and an agent given the same number at the same moment, many times over: exactly
/// one of the two is written each time.
#[tokio::test]
async fn a_menu_and_an_agent_racing_for_a_number_never_both_get_it() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = business.account.id.clone();
        for round in 0..20 {
            let number = unique_phone_number();
            let menu = {
                let store = store.clone();
                let account = account.clone();
                let target = MenuTarget::Agent(business.agent.id.clone());
                let number = number.clone();
                tokio::spawn(async move { store.put_menu(&account, menu_on(&number, target)).await })
            };
            let agent = {
                let store = store.clone();
                let account = account.clone();
                let number = number.clone();
                tokio::spawn(async move {
                    store
                        .create_agent(
                            &account,
                            NewAgent {
                                name: format!("Racer {round}"),
                                elevenlabs_agent_id: "el_race".into(),
                                phone_number: Some(number),
                                ..NewAgent::default()
                            },
                        )
                        .await
                })
            };
            let (menu, agent) = (menu.await.unwrap(), agent.await.unwrap());
            match (&menu, &agent) {
                (
                    Ok(_),
                    Err(StoreError::Conflict {
                        constraint: Constraint::MenuPhoneNumber,
                    }),
                )
                | (
                    Err(StoreError::Conflict {
                        constraint: Constraint::AgentPhoneNumber,
                    }),
                    Ok(_),
                ) => {}
                other => panic!("round {round}: {other:?}"),
            }
            let has_menu = store.menu_by_number(&number).await.unwrap().is_some();
            let has_agent = store.agent_by_phone_number(&number).await.unwrap().is_some();
            assert!(
                has_menu != has_agent,
                "round {round}: menu {has_menu}, agent {has_agent}"
            );
        }
    })
    .await;
}
