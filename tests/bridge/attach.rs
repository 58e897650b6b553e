//! How a started stream finds its agent, called directly: the token from its webhook is
//! redeemed once, the pre-warmed connection claimed (or a new one opened), and every refusal
//! is counted.

use std::collections::BTreeMap;

use jiff::Timestamp;
use switchboard::audio::AudioFormat;
use switchboard::call::Started;
use switchboard::call::driver::Attach;
use switchboard::telephony::attach::{AttachError, StreamAttach};
use switchboard::telephony::tokens::TokenError;
use switchboard::telephony::{Answer, ErrorKind, InboundCall};

use crate::support::{DEAD_UPSTREAM, TestBridge, echo_agent};

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

/// Answers a call as the voice webhook does; the token its stream will carry.
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

#[tokio::test]
async fn a_stream_claims_the_connection_its_webhook_prewarmed_once() {
    let bridge = TestBridge::start(&echo_agent(AudioFormat::Ulaw8000).await).await;
    let app = &bridge.server.app;
    let token = answered(&bridge, "CAwarm").await;
    let attached = attach(&bridge)
        .attach(&started("CAwarm", &token))
        .await
        .expect("attached");
    assert_eq!(attached.tool_context.call_sid, "CAwarm");
    assert_eq!(attached.tool_context.agent_id, bridge.business.agent.id.as_str());
    assert_eq!(
        attached.tool_context.caller_number.as_deref(),
        Some("+15005550006")
    );
    let metrics = app.metrics.render(0);
    assert!(
        metrics.contains("switchboard_prewarm_total{outcome=\"claimed\"} 1"),
        "{metrics}"
    );
    assert_eq!(app.connections.waiting(), 0);

    let replay = attach(&bridge).attach(&started("CAwarm", &token)).await;
    assert!(
        matches!(replay, Err(AttachError::Token(TokenError::Reused))),
        "{:?}",
        replay.err()
    );
    assert_eq!(app.metrics.error_count(ErrorKind::BadStreamToken), 1);
}

#[tokio::test]
async fn without_a_prewarmed_connection_one_is_opened_when_the_stream_starts() {
    let bridge = TestBridge::start(&echo_agent(AudioFormat::Ulaw8000).await).await;
    let app = &bridge.server.app;
    // A token issued elsewhere (another instance answered the webhook): nothing was pre-warmed.
    let (token, _) = app
        .tokens
        .issue("CAcold", bridge.business.agent.id.as_str(), Timestamp::now());
    attach(&bridge)
        .attach(&started("CAcold", &token))
        .await
        .expect("attached");
    let metrics = app.metrics.render(0);
    assert!(
        metrics.contains("switchboard_prewarm_total{outcome=\"missed\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn tokens_of_other_calls_and_unknown_agents_are_refused() {
    let bridge = TestBridge::start(&echo_agent(AudioFormat::Ulaw8000).await).await;
    let app = &bridge.server.app;
    let token = answered(&bridge, "CAmine").await;
    let stolen = attach(&bridge).attach(&started("CAyours", &token)).await;
    assert!(
        matches!(stolen, Err(AttachError::Token(TokenError::WrongCall))),
        "{:?}",
        stolen.err()
    );
    let missing = attach(&bridge).attach(&started("CAmine", "")).await;
    assert!(matches!(missing, Err(AttachError::Token(TokenError::Missing))));
    assert_eq!(app.metrics.error_count(ErrorKind::BadStreamToken), 2);

    let (token, _) = app
        .tokens
        .issue("CAgone", "agent-that-was-deleted", Timestamp::now());
    let gone = attach(&bridge).attach(&started("CAgone", &token)).await;
    assert!(matches!(gone, Err(AttachError::AgentGone(_))), "{:?}", gone.err());
}

#[tokio::test]
async fn an_unreachable_agent_is_an_upstream_failure() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let token = answered(&bridge, "CAdead").await;
    let failed = attach(&bridge).attach(&started("CAdead", &token)).await;
    assert!(
        matches!(failed, Err(AttachError::Upstream(_))),
        "{:?}",
        failed.err()
    );
    assert_eq!(
        bridge.server.app.metrics.error_count(ErrorKind::UpstreamConnect),
        1
    );
}
