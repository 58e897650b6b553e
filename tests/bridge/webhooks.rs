//! The Twilio webhooks and the media-stream handshake, over real HTTP on loopback.

use crate::support::{DEAD_UPSTREAM, TestBridge, voice_params};
use switchboard::wire::twiml;

#[tokio::test]
async fn an_unsigned_or_badly_signed_webhook_is_refused_and_starts_nothing() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let client = reqwest::Client::new();
    let params = voice_params("CA1", bridge.number());
    let unsigned = client
        .post(bridge.url("/twilio/voice"))
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
    let signature = bridge.hooks.sign(&bridge.url("/twilio/voice"), &params);
    let mut tampered = params.clone();
    tampered[2] = ("From", "+15550000000");
    let wrong = client
        .post(bridge.url("/twilio/voice"))
        .header("X-Twilio-Signature", &signature)
        .form(&tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    // Signed for another URL (the signature covers the URL Twilio requested).
    let elsewhere = bridge.hooks.sign("https://other.example/twilio/voice", &params);
    let wrong_url = client
        .post(bridge.url("/twilio/voice"))
        .header("X-Twilio-Signature", elsewhere)
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_url.status(), 403);
    assert_eq!(bridge.server.app.connections.waiting(), 0, "nothing was started");
    assert!(bridge.store.call_by_sid("CA1").await.unwrap().is_none());
    assert_eq!(
        bridge
            .server
            .app
            .metrics
            .error_count(switchboard::telephony::ErrorKind::BadSignature),
        3
    );
}

#[tokio::test]
async fn a_known_number_gets_a_stream_with_a_one_time_token() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let answer = bridge
        .hooks
        .post(
            &bridge.url("/twilio/voice"),
            &voice_params("CA2", bridge.number()),
        )
        .await
        .unwrap();
    let connect = twiml::parse_connect(&answer)
        .unwrap()
        .expect("a <Connect><Stream>");
    assert_eq!(
        connect.stream_url,
        bridge.url("/twilio/stream").replace("http://", "ws://")
    );
    assert_eq!(
        connect.action.as_deref(),
        Some(bridge.url("/twilio/connect-action").as_str())
    );
    let token = connect
        .parameters
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(
        bridge
            .server
            .app
            .tokens
            .redeem(Some(&token), "CA2", jiff::Timestamp::now())
            .is_ok()
    );
    assert!(
        bridge
            .server
            .app
            .tokens
            .redeem(Some(&token), "CA2", jiff::Timestamp::now())
            .is_err(),
        "single use"
    );
    // The call's record is written before the answer.
    let record = bridge.store.call_by_sid("CA2").await.unwrap();
    assert!(record.is_some(), "the call start was recorded");
}

#[tokio::test]
async fn an_unknown_number_hears_a_polite_message() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let answer = bridge
        .hooks
        .post(&bridge.url("/twilio/voice"), &voice_params("CA3", "+15550001111"))
        .await
        .unwrap();
    assert!(twiml::parse_connect(&answer).unwrap().is_none());
    assert!(
        answer.contains("<Say>") && answer.contains("<Hangup />"),
        "{answer}"
    );
}

#[tokio::test]
async fn the_stream_handshake_needs_a_signature() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let url = bridge.url("/twilio/stream").replace("http://", "ws://");
    let unsigned = tokio_tungstenite::connect_async(url.as_str()).await;
    assert!(unsigned.is_err(), "refused before the upgrade");
    let mut request = url.as_str().into_client_request().unwrap();
    let wrong = bridge.hooks.sign("wss://elsewhere.example/twilio/stream", &[]);
    request
        .headers_mut()
        .insert("X-Twilio-Signature", wrong.parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_err());
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(
        "X-Twilio-Signature",
        bridge.hooks.sign(&url, &[]).parse().unwrap(),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("a signed handshake is accepted");
    assert_eq!(response.status(), 101);
    drop(socket);
}

#[tokio::test]
async fn a_failed_agent_ends_in_the_fallback() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let mut config = switchboard::sim::caller::CallerConfig::new(
        bridge.url("/twilio/voice"),
        &bridge.auth_token,
        bridge.number(),
    );
    config.max_duration = std::time::Duration::from_secs(10);
    let report = switchboard::sim::caller::place_call(&config, None).await.unwrap();
    assert!(
        report.ended_by_bridge,
        "the bridge ends the stream when the agent is unreachable"
    );
    let action = report.action.expect("Twilio requests the connect action");
    // The seeded agent's fallback is voicemail.
    assert!(action.contains("<Record"), "{action}");
    assert!(action.contains("/twilio/voicemail"), "{action}");
    let metrics = bridge.server.app.metrics.render(0);
    assert!(
        metrics.contains("switchboard_errors_total{kind=\"upstream_connect\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn operations_endpoints_answer() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let get = |path: &str| reqwest::get(bridge.url(path));
    assert_eq!(get("/healthz").await.unwrap().text().await.unwrap(), "ok");
    assert_eq!(get("/readyz").await.unwrap().status(), 200);
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(metrics.contains("# TYPE switchboard_active_calls gauge"));
    bridge.server.app.admission.close();
    assert_eq!(get("/readyz").await.unwrap().status(), 503);
    let answer = bridge
        .hooks
        .post(
            &bridge.url("/twilio/voice"),
            &voice_params("CA9", bridge.number()),
        )
        .await
        .unwrap();
    assert!(
        twiml::parse_connect(&answer).unwrap().is_none(),
        "no new calls while draining: {answer}"
    );
}

#[tokio::test]
async fn a_database_that_is_down_gets_the_caller_an_apology_not_an_error() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    bridge.store.close().await;
    let answer = bridge
        .hooks
        .post(
            &bridge.url("/twilio/voice"),
            &voice_params("CAdown", bridge.number()),
        )
        .await
        .unwrap();
    assert!(twiml::parse_connect(&answer).unwrap().is_none());
    assert!(
        answer.contains("Sorry, our assistant is having trouble") && answer.contains("<Hangup />"),
        "{answer}"
    );
    assert_eq!(reqwest::get(bridge.url("/readyz")).await.unwrap().status(), 503);
    assert_eq!(
        bridge
            .server
            .app
            .metrics
            .error_count(switchboard::telephony::ErrorKind::Store),
        1
    );
}

#[tokio::test]
async fn an_oversized_webhook_body_is_refused_and_starts_nothing() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let client = reqwest::Client::new();
    let junk = "x".repeat(200 * 1024);
    for (path, call_sid) in [("/twilio/voice", "CAbig"), ("/twilio/connect-action", "CAbig2")] {
        let mut params = voice_params(call_sid, bridge.number());
        params.push(("Junk", &junk));
        let url = bridge.url(path);
        let signed = client
            .post(&url)
            .header("X-Twilio-Signature", bridge.hooks.sign(&url, &params))
            .form(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(signed.status(), 413, "{path}");
        let unsigned = client.post(&url).form(&params).send().await.unwrap();
        assert_eq!(unsigned.status(), 403, "{path}: refused before the body is read");
    }
    assert_eq!(bridge.server.app.connections.waiting(), 0, "nothing was started");
    assert!(bridge.store.call_by_sid("CAbig").await.unwrap().is_none());
    // The server is still serving.
    let answer = bridge
        .hooks
        .post(
            &bridge.url("/twilio/voice"),
            &voice_params("CAafter", bridge.number()),
        )
        .await
        .unwrap();
    assert!(twiml::parse_connect(&answer).unwrap().is_some());
}
