//! `admin agents create|delete` with an ElevenLabs key: the ElevenLabs agent is made and deleted
//! at `sim agent`'s REST stand-in, as through the API.

use tokio::net::TcpListener;

use switchboard::config::Secret;
use switchboard::sim::agent::SimAgentConfig;
use switchboard::store::testing::TestStore;
use switchboard::vendor_api::elevenlabs::ElevenLabsApi;

use crate::support::{admin, admin_in, on_each_backend, text_at};

const KEY: &str = "xi-admin-tests";

async fn with_key(store: &TestStore, url: &str, args: &[&str]) -> crate::support::Run {
    let database = store.url();
    let mut all = vec!["--database-url", database.as_str()];
    all.extend_from_slice(args);
    admin_in(
        &std::env::temp_dir(),
        &[("ELEVENLABS_API_KEY", KEY), ("ELEVENLABS_API_BASE", url)],
        &all,
    )
    .await
}

#[tokio::test]
async fn the_operators_commands_provision_the_elevenlabs_agent_too() {
    on_each_backend(|store| async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let config = SimAgentConfig {
            api_key: Some(KEY.to_owned()),
            ..SimAgentConfig::default()
        };
        let stand_in = tokio::spawn(switchboard::sim::agent::serve(listener, config));
        let api = ElevenLabsApi::new(&url, &Secret::new(KEY));

        let made = admin(
            &store,
            &[
                "accounts",
                "create",
                "--name",
                "Harbor Dental",
                "--plan",
                "pro",
                "--json",
            ],
        )
        .await
        .json();
        let account = text_at(&made, "/account/id");
        let agent = with_key(
            &store,
            &url,
            &[
                "agents",
                "create",
                "--account",
                &account,
                "--name",
                "Ava",
                "--json",
            ],
        )
        .await
        .json();
        let elevenlabs_id = text_at(&agent, "/elevenlabs_agent_id");
        let held = api.get_agent(&elevenlabs_id).await.unwrap();
        assert_eq!(
            held.conversation_config["asr"]["user_input_audio_format"],
            "ulaw_8000"
        );
        assert_eq!(held.name, "Harbor Dental / Ava");

        let id = text_at(&agent, "/id");
        with_key(&store, &url, &["agents", "delete", &id, "--account", &account])
            .await
            .text();
        assert!(api.get_agent(&elevenlabs_id).await.unwrap_err().is_not_found());

        let refused = admin(
            &store,
            &["agents", "create", "--account", &account, "--name", "Bo"],
        )
        .await;
        let line = refused.failure(2);
        assert!(
            line.contains("--elevenlabs-agent-id") && line.contains("does not create ElevenLabs agents"),
            "without a key the flag is required, and the error says why: {line}"
        );
        stand_in.abort();
    })
    .await;
}
