//! A business to manage through the API: the demo dental practice (a host in New York, open
//! weekdays; `cleaning`, `consultation` and a secret `emergency`; an agent offering the first
//! two) with an API key of its account, and the agent's toolbox on the same store, so a test
//! can act as the team over HTTP and as the agent on a call.

#![allow(dead_code)]

use serde_json::Value;
use switchboard::call::{ToolCall, ToolContext, ToolOutcome, ToolRegistry};
use switchboard::manage::Keys;
use switchboard::store::testing::unique_phone_number;
use switchboard::tools::{DemoBusiness, Toolbox, seed_demo_business};

use crate::support::TestApi;

pub const HOST_ZONE: &str = "America/New_York";
pub const CALLER: &str = "+14155550123";

pub struct Business {
    pub demo: DemoBusiness,
    /// An API key of the business's account.
    pub key: String,
    pub toolbox: Toolbox,
    pub ctx: ToolContext,
}

pub async fn business(api: &TestApi) -> Business {
    let store = api.store.store();
    let phone_number = unique_phone_number();
    let demo = seed_demo_business(&store, &phone_number, "agent_demo", HOST_ZONE)
        .await
        .unwrap();
    let key = Keys::new(store.clone())
        .issue(Some(&demo.account_id), "tests")
        .await
        .unwrap()
        .secret;
    let ctx = ToolContext {
        account_id: demo.account_id.to_string(),
        agent_id: demo.agent_id.to_string(),
        call_sid: "CA00000000000000000000000000000001".into(),
        caller_number: Some(CALLER.into()),
        called_number: Some(phone_number),
    };
    Business {
        demo,
        key,
        toolbox: Toolbox::new(store),
        ctx,
    }
}

impl Business {
    /// Runs one of the agent's tools, as on a call, and returns its JSON reply or error sentence.
    pub async fn tool(&self, name: &str, parameters: Value) -> ToolOutcome {
        let call = ToolCall {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.into(),
            parameters,
        };
        self.toolbox.call(&self.ctx, call).await
    }

    /// A tool's JSON reply; fails the test on an error outcome.
    pub async fn tool_ok(&self, name: &str, parameters: Value) -> Value {
        let outcome = self.tool(name, parameters).await;
        assert!(!outcome.is_error, "{name} failed: {}", outcome.result);
        serde_json::from_str(&outcome.result).unwrap()
    }

    /// The next free starts of `cleaning` as the API offers them: from two days on, a week's
    /// worth, on New York's clock (RFC 3339 with offset).
    pub async fn free_cleanings(&self, api: &TestApi) -> Vec<String> {
        let zone = jiff::tz::TimeZone::get(HOST_ZONE).unwrap();
        let today = jiff::Timestamp::now().to_zoned(zone).date();
        let from = today + jiff::Span::new().days(2);
        let to = today + jiff::Span::new().days(9);
        let path = format!(
            "/event-types/{}/availability?from={from}&to={to}&timezone={HOST_ZONE}",
            self.demo.cleaning_id
        );
        let open = api.get(&path, &self.key).await.expect(200);
        open["slots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|slot| slot["start"].as_str().unwrap().to_owned())
            .collect()
    }
}
