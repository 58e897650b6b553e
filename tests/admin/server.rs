//! The command line and a running server share one database: an operator key made by
//! `admin keys create --operator` makes accounts through `POST /api/v1/accounts`, and an account
//! made on either side is seen on the other.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use switchboard::app::{App, Server};
use switchboard::config::Config;
use switchboard::store::testing::TestStore;

use crate::support::{admin, on_each_backend, text_at};

struct Running {
    server: Server,
    base_url: String,
    client: reqwest::Client,
}

impl Running {
    async fn start(store: &TestStore) -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base_url = format!("http://{addr}");
        let env = [
            ("SWITCHBOARD_LISTEN", addr.to_string()),
            ("SWITCHBOARD_PUBLIC_URL", base_url.clone()),
            ("TWILIO_AUTH_TOKEN", "token-admin-tests".to_owned()),
        ];
        let mut config = Config::load(None, |name| {
            env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
        })
        .unwrap();
        // Calls on a machine running many tests at once: see `call.overload_lateness_ms`.
        config.call.overload_lateness_ms = 0;
        config.call.overload_database_ms = 0;
        let server = Server::start(listener, App::new(config, store.store())).unwrap();
        Running {
            server,
            base_url,
            client: reqwest::Client::new(),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base_url))
            .bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }
}

#[tokio::test]
async fn an_operator_key_from_the_command_line_makes_accounts_through_the_api_and_both_see_them() {
    on_each_backend(|store| async move {
        let running = Running::start(&store).await;
        let operator = admin(
            &store,
            &["keys", "create", "--operator", "--name", "ops", "--json"],
        )
        .await
        .json();
        let operator = text_at(&operator, "/secret");

        // Made through the API with the CLI's key, seen by the CLI.
        let (status, created) = running
            .call(
                reqwest::Method::POST,
                "/accounts",
                &operator,
                Some(json!({"name": "Harbor Dental", "plan": "pro", "timezone": "Europe/Berlin"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let api_id = text_at(&created, "/account/id");
        let shown = admin(&store, &["accounts", "show", &api_id, "--json"])
            .await
            .json();
        assert_eq!(
            shown["account"], created["account"],
            "the CLI's body is the API's"
        );

        // Made by the CLI, seen by the API with the operator's key, and its own key works.
        let made = admin(
            &store,
            &["accounts", "create", "--name", "Corner Bakery", "--json"],
        )
        .await
        .json();
        let cli_id = text_at(&made, "/account/id");
        let (status, fetched) = running
            .call(
                reqwest::Method::GET,
                &format!("/accounts/{cli_id}"),
                &operator,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{fetched}");
        assert_eq!(
            fetched,
            admin(&store, &["accounts", "show", &cli_id, "--json"])
                .await
                .json()
        );
        let (status, own) = running
            .call(
                reqwest::Method::GET,
                "/account",
                &text_at(&made, "/key/secret"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{own}");
        assert_eq!(own["account"]["id"], cli_id.as_str());

        // An agent and a host made by the CLI read the same through the API.
        let account_key = text_at(&made, "/key/secret");
        let agent = admin(
            &store,
            &[
                "agents",
                "create",
                "--account",
                &cli_id,
                "--name",
                "Ava",
                "--elevenlabs-agent-id",
                "agent_1",
                "--json",
            ],
        )
        .await
        .json();
        let agent_id = text_at(&agent, "/id");
        let (status, api_agent) = running
            .call(
                reqwest::Method::GET,
                &format!("/agents/{agent_id}"),
                &account_key,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{api_agent}");
        let cli_agent = admin(
            &store,
            &["agents", "show", &agent_id, "--account", &cli_id, "--json"],
        )
        .await
        .json();
        assert_eq!(api_agent, cli_agent);
        let (_, api_agents) = running
            .call(reqwest::Method::GET, "/agents", &account_key, None)
            .await;
        assert_eq!(
            api_agents,
            admin(&store, &["agents", "list", "--account", &cli_id, "--json"])
                .await
                .json()
        );
        let host = admin(
            &store,
            &[
                "hosts",
                "create",
                "--account",
                &cli_id,
                "--name",
                "Dr. Lee",
                "--timezone",
                "UTC",
                "--json",
            ],
        )
        .await
        .json();
        let (_, api_host) = running
            .call(
                reqwest::Method::GET,
                &format!("/hosts/{}", text_at(&host, "/id")),
                &account_key,
                None,
            )
            .await;
        assert_eq!(api_host, host);

        // The API's list and the CLI's are one document.
        let (_, api_list) = running
            .call(reqwest::Method::GET, "/accounts", &operator, None)
            .await;
        assert_eq!(
            api_list,
            admin(&store, &["accounts", "list", "--json"]).await.json()
        );

        // A key revoked by the CLI is refused by the server at once.
        let keys = admin(&store, &["keys", "list", "--operator", "--json"])
            .await
            .json();
        let key_id = text_at(&keys, "/data/0/id");
        admin(&store, &["keys", "revoke", &key_id, "--operator", "--json"])
            .await
            .json();
        let (status, refused) = running
            .call(reqwest::Method::GET, "/accounts", &operator, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
        running
            .server
            .shutdown(std::time::Duration::from_secs(5))
            .await
            .unwrap();
    })
    .await;
}
