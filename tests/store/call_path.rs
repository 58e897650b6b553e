//! The lookups every call makes, timed on both backends: routing a dialled number to its agent
//! and logging the call. Each is one indexed statement (query_plans.rs checks the plans); this
//! shows what that costs end to end through the pool, and that the answers are right at scale.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use switchboard::store::testing::{on_each_backend, seed_business};
use switchboard::store::{CallDirection, FallbackMode, NewAgent, NewCallRecord, Store};

const AGENTS: usize = 200;
const LOOKUPS: usize = 2_000;
const CALLS: usize = 500;

fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort_unstable();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    let p99 = samples[samples.len() * 99 / 100];
    format!("mean {mean:?}, p99 {p99:?}")
}

async fn seed_agents(
    store: &Store,
    account: &switchboard::store::AccountId,
) -> Vec<(String, switchboard::store::AgentId)> {
    let mut numbers = Vec::with_capacity(AGENTS);
    for i in 0..AGENTS {
        let phone_number = format!("+1415555{i:04}");
        let agent = store
            .create_agent(
                account,
                NewAgent {
                    name: format!("Line {i}"),
                    phone_number: Some(phone_number.clone()),
                    elevenlabs_agent_id: format!("agent_{i}"),
                    timezone: "America/Los_Angeles".into(),
                    first_message: None,
                    fallback_mode: FallbackMode::Message,
                    fallback_number: None,
                    ..NewAgent::default()
                },
            )
            .await
            .unwrap();
        numbers.push((phone_number, agent.id));
    }
    numbers
}

#[tokio::test]
async fn routing_and_call_logging_stay_single_statement_fast() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let agents = seed_agents(&store, &business.account.id).await;

        let mut lookups = Vec::with_capacity(LOOKUPS);
        for i in 0..LOOKUPS {
            let (number, expected) = &agents[(i * 7919) % AGENTS];
            let began = Instant::now();
            let agent = store.agent_by_phone_number(number).await.unwrap();
            lookups.push(began.elapsed());
            assert_eq!(agent.map(|a| a.id).as_ref(), Some(expected));
        }

        let mut inserts = Vec::with_capacity(CALLS);
        let started_at = Timestamp::now();
        for i in 0..CALLS {
            let (number, agent_id) = &agents[i % AGENTS];
            let new_call = NewCallRecord {
                agent_id: agent_id.clone(),
                call_sid: format!("CA{i:032}"),
                direction: CallDirection::Inbound,
                from_number: "+4930123456".into(),
                to_number: number.clone(),
                started_at,
            };
            let began = Instant::now();
            store.insert_call(&business.account.id, new_call).await.unwrap();
            inserts.push(began.elapsed());
        }
        assert_eq!(
            store
                .recent_calls(&business.account.id, CALLS as u32 + 1)
                .await
                .unwrap()
                .len(),
            CALLS
        );
        eprintln!(
            "{:?}: agent_by_phone_number over {AGENTS} agents: {}; insert_call: {}",
            store.backend(),
            summary(lookups),
            summary(inserts)
        );
    })
    .await;
}
