//! `admin phone attach|buy|give-up --account ID`, with `switchboard sim twilio` as Twilio.

use switchboard::sim::twilio::{SimTwilio, SimTwilioConfig};
use switchboard::store::testing::TestStore;

use crate::support::{Run, admin_in, on_each_backend, text_at};

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "admin-phone-token";
const OWNED: &str = "+14155550111";
const PUBLIC_URL: &str = "https://bridge.example.com";

/// The stand-in served for as long as the task runs.
async fn twilio() -> (SimTwilio, String, tokio::task::JoinHandle<()>) {
    let mut config = SimTwilioConfig::new(ACCOUNT_SID, AUTH_TOKEN);
    config.numbers = vec![OWNED.into()];
    let sim = SimTwilio::new(config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = sim.router();
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (sim, base, task)
}

/// `admin --database-url … args`, with Twilio configured at `base` (or not at all).
async fn admin(store: &TestStore, base: Option<&str>, args: &[&str]) -> Run {
    let url = store.url();
    let mut all = vec!["--database-url", url.as_str()];
    all.extend_from_slice(args);
    let mut env = vec![("SWITCHBOARD_PUBLIC_URL", PUBLIC_URL)];
    if let Some(base) = base {
        env.extend([
            ("TWILIO_ACCOUNT_SID", ACCOUNT_SID),
            ("TWILIO_AUTH_TOKEN", AUTH_TOKEN),
            ("TWILIO_API_BASE", base),
        ]);
    }
    admin_in(&std::env::temp_dir(), &env, &all).await
}

#[tokio::test]
async fn an_agents_number_is_attached_bought_and_given_up_from_the_command_line() {
    on_each_backend(|store| async move {
        let (sim, base, task) = twilio().await;
        let twilio = Some(base.as_str());
        let made = admin(
            &store,
            None,
            &[
                "accounts", "create", "--name", "Harbor", "--plan", "pro", "--json",
            ],
        )
        .await
        .json();
        let account = text_at(&made, "/account/id");
        let agent = |name: &'static str| {
            let (store, account) = (&store, account.clone());
            async move {
                let args = [
                    "agents",
                    "create",
                    "--account",
                    &account,
                    "--name",
                    name,
                    "--elevenlabs-agent-id",
                    "el_1",
                    "--json",
                ];
                text_at(&admin(store, None, &args).await.json(), "/id")
            }
        };
        let ava = agent("Ava").await;

        let unconfigured = admin(
            &store,
            None,
            &[
                "phone",
                "attach",
                &ava,
                "--account",
                &account,
                "--phone-number",
                OWNED,
            ],
        )
        .await;
        assert!(
            unconfigured.failure(1).contains("not configured"),
            "{}",
            unconfigured.stderr
        );
        let bad = admin(
            &store,
            twilio,
            &[
                "phone",
                "attach",
                &ava,
                "--account",
                &account,
                "--phone-number",
                "555",
            ],
        )
        .await;
        assert!(bad.failure(2).contains("--phone-number"), "{}", bad.stderr);

        let attached = admin(
            &store,
            twilio,
            &[
                "phone",
                "attach",
                &ava,
                "--account",
                &account,
                "--phone-number",
                OWNED,
                "--json",
            ],
        )
        .await
        .json();
        assert_eq!(
            (attached["phone_number"].as_str(), attached["bought"].as_bool()),
            (Some(OWNED), Some(false))
        );
        assert_eq!(
            sim.state().owns(OWNED).unwrap().voice_url,
            format!("{PUBLIC_URL}/twilio/voice")
        );

        let bo = agent("Bo").await;
        let bought = admin(
            &store,
            twilio,
            &[
                "phone",
                "buy",
                &bo,
                "--account",
                &account,
                "--area-code",
                "212",
                "--json",
            ],
        )
        .await
        .json();
        assert_eq!(bought["bought"], true);
        assert!(
            sim.state()
                .owns(bought["phone_number"].as_str().unwrap())
                .is_some()
        );

        let given_up = admin(
            &store,
            None,
            &["phone", "give-up", &ava, "--account", &account, "--json"],
        )
        .await
        .json();
        assert_eq!(given_up["phone_number"], OWNED);
        assert!(given_up["held_until"].is_string(), "{given_up}");
        task.abort();
    })
    .await;
}
