//! The agents' use cases against a real store: the plan's rules, the fields named in
//! refusals, what a read returns, and the active hours patched in part.

use crate::hours::RangeInput;
use crate::manage::agents::{self, AgentInput, AgentPatch, FallbackInput};
use crate::manage::{AgentAllowance, HoursPatch, ManageError, Scope, active_hours, set_active_hours};
use crate::store::PageRequest;
use crate::store::testing::{self, seed_business};

fn free() -> AgentAllowance {
    AgentAllowance {
        plan: "free".into(),
        max_agents: 1,
        phone_numbers: false,
    }
}

fn pro() -> AgentAllowance {
    AgentAllowance {
        plan: "pro".into(),
        max_agents: 2,
        phone_numbers: true,
    }
}

fn input(name: &str) -> AgentInput {
    AgentInput {
        name: name.into(),
        elevenlabs_agent_id: Some("agent_web".into()),
        ..AgentInput::default()
    }
}

fn invalid_field<T: std::fmt::Debug>(result: Result<T, ManageError>) -> String {
    match result {
        Err(ManageError::Invalid { field, .. }) => field,
        other => panic!("not refused as invalid: {other:?}"),
    }
}

#[tokio::test]
async fn the_plan_caps_agents_and_numbers() {
    let store = testing::sqlite().await;
    let account = testing::other_account(&store).await;
    let scope = Scope::new(account.id.clone());

    let numbered = AgentInput {
        phone_number: Some(testing::unique_phone_number()),
        ..input("Ava")
    };
    let refused = agents::create(&store, &scope, numbered.clone(), &free()).await;
    assert!(
        matches!(&refused, Err(ManageError::PlanLimit { message }) if message.contains("(free) does not include phone numbers")),
        "{refused:?}"
    );
    let ava = agents::create(&store, &scope, input("Ava"), &free())
        .await
        .unwrap();
    assert_eq!(ava.phone_number, None);
    assert_eq!(
        (ava.language.as_str(), ava.timezone.as_str(), ava.active),
        ("en", "UTC", true)
    );
    let second = agents::create(&store, &scope, input("Bo"), &free()).await;
    assert!(
        matches!(&second, Err(ManageError::PlanLimit { message }) if message.starts_with("Your plan (free) allows 1 agent;")),
        "{second:?}"
    );
    let give_number = AgentPatch {
        phone_number: Some(numbered.phone_number.clone()),
        ..AgentPatch::default()
    };
    let refused = agents::update(&store, &scope, ava.id.as_str(), give_number.clone(), &free()).await;
    assert!(
        matches!(refused, Err(ManageError::PlanLimit { .. })),
        "{refused:?}"
    );

    // On pro: a number, and a second agent, but not a third.
    let numbered_ava = agents::update(&store, &scope, ava.id.as_str(), give_number, &pro())
        .await
        .unwrap();
    assert_eq!(numbered_ava.phone_number, numbered.phone_number);
    agents::create(&store, &scope, input("Bo"), &pro()).await.unwrap();
    assert!(matches!(
        agents::create(&store, &scope, input("Cy"), &pro()).await,
        Err(ManageError::PlanLimit { .. })
    ));
    // Deleting one makes room.
    agents::delete(&store, &scope, ava.id.as_str()).await.unwrap();
    agents::create(&store, &scope, input("Cy"), &pro()).await.unwrap();
    let page = agents::list(&store, &scope, &PageRequest::default())
        .await
        .unwrap();
    let names: Vec<_> = page.items.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Bo", "Cy"]);
}

#[tokio::test]
async fn refusals_name_the_json_field() {
    let store = testing::sqlite().await;
    let business = seed_business(&store).await;
    let scope = Scope::new(business.account.id.clone());
    let id = business.agent.id.as_str();
    let create = |input: AgentInput| {
        let (store, scope) = (store.clone(), scope.clone());
        async move { agents::create(&store, &scope, input, &pro()).await }
    };
    assert_eq!(invalid_field(create(input("")).await), "name");
    assert_eq!(invalid_field(create(input(&"n".repeat(101))).await), "name");
    let long_greeting = AgentInput {
        greeting: Some("g".repeat(501)),
        ..input("Ava")
    };
    assert_eq!(invalid_field(create(long_greeting).await), "greeting");
    let long_context = AgentInput {
        business_context: Some("c".repeat(5_001)),
        ..input("Ava")
    };
    assert_eq!(invalid_field(create(long_context).await), "business_context");
    let dial = AgentInput {
        fallback: Some(FallbackInput {
            mode: "dial".into(),
            number: None,
        }),
        ..input("Ava")
    };
    assert_eq!(invalid_field(create(dial).await), "fallback.number");
    let bad_number = AgentInput {
        phone_number: Some("0049 30 123".into()),
        ..input("Ava")
    };
    assert_eq!(invalid_field(create(bad_number).await), "phone_number");
    let empty_el = AgentInput {
        elevenlabs_agent_id: Some(String::new()),
        ..input("Ava")
    };
    assert_eq!(invalid_field(create(empty_el).await), "elevenlabs_agent_id");
    let no_el = AgentInput {
        elevenlabs_agent_id: None,
        ..input("Ava")
    };
    let refused = create(no_el).await.unwrap_err();
    assert!(
        refused.to_string().contains("does not create ElevenLabs agents"),
        "without provisioning the id is required, and the refusal says why: {refused}"
    );
    assert_eq!(invalid_field(Err::<(), _>(refused)), "elevenlabs_agent_id");

    let patch = |patch: AgentPatch| {
        let (store, scope) = (store.clone(), scope.clone());
        async move { agents::update(&store, &scope, id, patch, &pro()).await }
    };
    let language = AgentPatch {
        language: Some("english".into()),
        ..AgentPatch::default()
    };
    assert_eq!(invalid_field(patch(language).await), "language");
    let zone = AgentPatch {
        timezone: Some("EST".into()),
        ..AgentPatch::default()
    };
    assert_eq!(invalid_field(patch(zone).await), "timezone");
    let dial = AgentPatch {
        fallback: Some(FallbackInput {
            mode: "dial".into(),
            number: None,
        }),
        ..AgentPatch::default()
    };
    assert_eq!(invalid_field(patch(dial).await), "fallback.number");
    let unknown = agents::set_event_types(&store, &scope, id, &["nope".into()]).await;
    assert_eq!(invalid_field(unknown), "event_type_ids");

    let other = Scope::new(testing::other_account(&store).await.id);
    for result in [
        agents::get(&store, &other, id).await.map(|_| ()),
        agents::update(&store, &other, id, AgentPatch::default(), &pro())
            .await
            .map(|_| ()),
        agents::delete(&store, &other, id).await,
        agents::set_event_types(&store, &other, id, &[]).await.map(|_| ()),
        active_hours(&store, &other, id).await.map(|_| ()),
        set_active_hours(&store, &other, id, HoursPatch::default())
            .await
            .map(|_| ()),
    ] {
        assert!(
            matches!(result, Err(ManageError::NotFound { what: "agent" })),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn active_hours_are_patched_in_part_in_the_agents_timezone() {
    let store = testing::sqlite().await;
    let business = seed_business(&store).await;
    let scope = Scope::new(business.account.id.clone());
    let id = business.agent.id.as_str();

    let never_set = active_hours(&store, &scope, id).await.unwrap();
    assert!(!never_set.enabled);
    assert_eq!(never_set.timezone_name, "Europe/Berlin", "the agent's own");
    assert!(never_set.schedule.is_empty());

    let week = HoursPatch {
        enabled: Some(true),
        schedule: Some(vec![RangeInput {
            day: "monday".into(),
            start: "09:00".into(),
            end: "17:00".into(),
        }]),
        ..HoursPatch::default()
    };
    let set = set_active_hours(&store, &scope, id, week).await.unwrap();
    assert!(set.enabled);
    assert!(
        set.is_open("2026-01-05T08:30:00Z".parse().unwrap()),
        "Monday 09:30 in Berlin"
    );

    let moved = HoursPatch {
        timezone: Some("America/New_York".into()),
        after_hours_behavior: Some("redirect".into()),
        redirect_number: Some(Some("+14155550123".into())),
        ..HoursPatch::default()
    };
    let moved = set_active_hours(&store, &scope, id, moved).await.unwrap();
    assert_eq!(moved.schedule, set.schedule, "not named, kept");
    assert_eq!(moved.timezone_name, "America/New_York");
    let detail = agents::get(&store, &scope, id).await.unwrap();
    assert_eq!(
        detail.agent.timezone, "America/New_York",
        "one timezone for the agent and its hours"
    );
    assert!(
        !detail
            .active_hours
            .is_open("2026-01-05T08:30:00Z".parse().unwrap()),
        "03:30 in New York"
    );

    let bad = |patch: HoursPatch| {
        let (store, scope) = (store.clone(), scope.clone());
        async move { set_active_hours(&store, &scope, id, patch).await }
    };
    let transfer = HoursPatch {
        after_hours_behavior: Some("transfer".into()),
        redirect_number: Some(None),
        ..HoursPatch::default()
    };
    let transfer = set_active_hours(&store, &scope, id, transfer).await.unwrap();
    assert_eq!(transfer.after_hours, crate::hours::AfterHours::Transfer);
    assert_eq!(
        active_hours(&store, &scope, id).await.unwrap().after_hours,
        crate::hours::AfterHours::Transfer,
        "stored and read back"
    );
    let malformed = HoursPatch {
        redirect_number: Some(Some("555".into())),
        ..HoursPatch::default()
    };
    assert_eq!(invalid_field(bad(malformed).await), "redirectNumber");
    let late = HoursPatch {
        schedule: Some(vec![RangeInput {
            day: "friday".into(),
            start: "9am".into(),
            end: "17:00".into(),
        }]),
        ..HoursPatch::default()
    };
    assert_eq!(invalid_field(bad(late).await), "schedule[0].start");
    let behavior = HoursPatch {
        after_hours_behavior: Some("hang_up".into()),
        ..HoursPatch::default()
    };
    assert_eq!(invalid_field(bad(behavior).await), "afterHoursBehavior");
}
