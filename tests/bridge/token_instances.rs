//! One-time stream tokens across instances sharing a database: a token redeemed on one is
//! refused on another (called directly, and as a replayed stream handshake over real
//! sockets), on SQLite and PostgreSQL; a database that cannot record a redemption refuses the
//! stream.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use futures::SinkExt;
use jiff::Timestamp;
use switchboard::audio::AudioFormat;
use switchboard::call::Started;
use switchboard::call::driver::Attach;
use switchboard::store::testing::{self, TestStore};
use switchboard::telephony::attach::{AttachError, StreamAttach};
use switchboard::telephony::tokens::TokenError;
use switchboard::telephony::{Answer, ErrorKind, InboundCall};

use crate::sockets::{closed_by_bridge, handshake, start};
use crate::support::{PATIENCE, TestBridge, echo_agent, until_an_agent_speaks};

fn started(call_sid: &str, token: &str) -> Started {
    Started {
        call_sid: call_sid.into(),
        stream_sid: "MZ00000000000000000000000000000001".into(),
        account_sid: "AC00000000000000000000000000000001".into(),
        parameters: BTreeMap::from([
            ("token".to_string(), token.to_string()),
            ("from".to_string(), "+15005550006".to_string()),
        ]),
    }
}

/// Answers a call on `bridge` as the voice webhook does; the token its stream will carry.
async fn answered(bridge: &TestBridge, call_sid: &str) -> String {
    let call = InboundCall::from_fields(Some(call_sid), Some("+15005550006"), Some(bridge.number()));
    match bridge.server.app.reception.answer(call, Timestamp::now()).await {
        Answer::Connect(connect) => connect.token,
        refused => panic!("{refused:?}"),
    }
}

fn attach(bridge: &TestBridge) -> StreamAttach {
    StreamAttach::new(bridge.server.app.streams.attacher.clone(), tracing::Span::none())
}

/// The token of a call answered on one instance opens one stream on that instance, and is
/// refused on the other, though the other's own ledger never saw it; and the other way round.
async fn redeemed_once_across_instances(store: TestStore) {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let first = TestBridge::start_on(store, &agent, |_| {}).await;
    let second = first.another_instance(&agent).await;

    let token = answered(&first, "CAfirst").await;
    attach(&first)
        .attach(&started("CAfirst", &token))
        .await
        .expect("attached where it was issued");
    let replay = attach(&second).attach(&started("CAfirst", &token)).await;
    assert!(
        matches!(replay, Err(AttachError::Token(TokenError::Reused))),
        "{:?}",
        replay.err()
    );
    assert_eq!(
        second.server.app.metrics.error_count(ErrorKind::BadStreamToken),
        1
    );

    // Issued on the second, its stream landing on the first; replayed where it was issued.
    let token = answered(&second, "CAsecond").await;
    attach(&first)
        .attach(&started("CAsecond", &token))
        .await
        .expect("attached on another instance than its webhook's");
    let replay = attach(&second).attach(&started("CAsecond", &token)).await;
    assert!(
        matches!(replay, Err(AttachError::Token(TokenError::Reused))),
        "{:?}",
        replay.err()
    );
    assert_eq!(
        second.server.app.metrics.error_count(ErrorKind::BadStreamToken),
        2
    );
    assert_eq!(first.server.app.metrics.error_count(ErrorKind::BadStreamToken), 0);
}

#[tokio::test]
async fn a_token_redeemed_on_one_instance_is_refused_on_another_on_sqlite() {
    redeemed_once_across_instances(testing::sqlite().await).await;
}

#[tokio::test]
async fn a_token_redeemed_on_one_instance_is_refused_on_another_on_postgres() {
    if let Some(store) = testing::postgres().await {
        redeemed_once_across_instances(store).await;
    }
}

/// A captured stream handshake, replayed against another instance while the call is up: the
/// signature is good there too (same auth token), the token is not.
async fn replayed_handshake_on_another_instance(store: TestStore) {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let first = TestBridge::start_on(store, &agent, |_| {}).await;
    let second = first.another_instance(&agent).await;
    let mut live = first.server.app.live.subscribe();
    let connect = first.answer_webhook("CAcaptured").await;
    let mut call = handshake(&first, &connect.stream_url).await;
    call.send(start("CAcaptured", &connect).into()).await.unwrap();
    // The call's stream has redeemed its token once its agent has spoken.
    until_an_agent_speaks(&mut live).await;

    let address = |bridge: &TestBridge| bridge.base_url.trim_start_matches("http://").to_owned();
    let elsewhere = connect.stream_url.replace(&address(&first), &address(&second));
    assert_ne!(elsewhere, connect.stream_url);
    let mut replay = handshake(&second, &elsewhere).await;
    replay.send(start("CAcaptured", &connect).into()).await.unwrap();
    assert!(
        closed_by_bridge(&mut replay, PATIENCE).await,
        "the replay is ended"
    );
    let metrics = &second.server.app.metrics;
    assert_eq!(metrics.error_count(ErrorKind::BadStreamToken), 1);
    assert_eq!(
        metrics.calls.active_calls.load(Ordering::Relaxed),
        0,
        "no call runs on the second instance"
    );
    assert_eq!(
        first
            .server
            .app
            .metrics
            .calls
            .active_calls
            .load(Ordering::Relaxed),
        1,
        "the call goes on"
    );
    call.close(None).await.unwrap();
}

#[tokio::test]
async fn a_replayed_stream_handshake_on_another_instance_is_refused_on_sqlite() {
    replayed_handshake_on_another_instance(testing::sqlite().await).await;
}

#[tokio::test]
async fn a_replayed_stream_handshake_on_another_instance_is_refused_on_postgres() {
    if let Some(store) = testing::postgres().await {
        replayed_handshake_on_another_instance(store).await;
    }
}

#[tokio::test]
async fn a_redemption_the_database_cannot_record_refuses_the_stream() {
    let bridge = TestBridge::start(&echo_agent(AudioFormat::Ulaw8000).await).await;
    let token = answered(&bridge, "CAclosed").await;
    // The table gone: every redemption fails, as with a database that is down.
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&bridge.store.url()).await.unwrap();
    sqlx::query("DROP TABLE stream_token_redemptions")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    let refused = attach(&bridge).attach(&started("CAclosed", &token)).await;
    assert!(
        matches!(refused, Err(AttachError::Store(_))),
        "{:?}",
        refused.err()
    );
    assert_eq!(bridge.server.app.metrics.error_count(ErrorKind::Store), 1);
}
