//! How the driver ties the two sockets' lives together, against a hand-written agent whose
//! every move the test controls: Twilio's `stop` closes the agent's socket, an agent that
//! fails mid-call (or stops reading) ends Twilio's stream so the caller hears the fallback,
//! and bad frames from Twilio are counted while the call goes on.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::support::{PATIENCE, TestBridge, hand_written_agent, until_an_agent_speaks};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use base64::Engine;
use futures::{SinkExt, StreamExt};
use switchboard::sim::caller::{CallerConfig, place_call};
use switchboard::telephony::ErrorKind;
use switchboard::wire::elevenlabs::{AgentMessage, InitiationMetadata};
use switchboard::wire::twilio::{Media, MediaFormat, Start, StreamMessage};
use switchboard::wire::twiml;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Mutex, mpsc};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as TwilioMessage};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// What the hand-written agent does once a conversation opens.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Announce formats, then wait for the client to close; report when it does.
    WaitForClose,
    /// Announce formats, then close with 1011 after a moment.
    FailAfter(Duration),
    /// Announce formats, then report every audio chunk received, and the close.
    ReportAudio,
    /// Announce formats, then never read again (a stuck peer), with a small receive buffer
    /// so the bridge's writes back up soon.
    StopReading,
    /// Accept the conversation and never say a word (no metadata), reading all the while;
    /// report when the client closes.
    Silent,
}

async fn agent(behaviour: Behaviour) -> (String, mpsc::UnboundedReceiver<&'static str>) {
    let socket = TcpSocket::new_v4().unwrap();
    if matches!(behaviour, Behaviour::StopReading) {
        // Accepted connections inherit it, and a fixed size turns off the kernel's growing.
        socket.set_recv_buffer_size(4096).unwrap();
    }
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(64).unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let tx = Arc::new(Mutex::new(tx));
    let url = hand_written_agent(listener, move |socket| converse(socket, behaviour, tx.clone()));
    (url, rx)
}

async fn converse(
    mut socket: WebSocket,
    behaviour: Behaviour,
    events: Arc<Mutex<mpsc::UnboundedSender<&'static str>>>,
) {
    if matches!(behaviour, Behaviour::Silent) {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
        let _ = events.lock().await.send("closed by the bridge");
        return;
    }
    let metadata = AgentMessage::ConversationInitiationMetadata {
        conversation_initiation_metadata_event: InitiationMetadata {
            conversation_id: "conv_driver".into(),
            agent_output_audio_format: "ulaw_8000".into(),
            user_input_audio_format: "ulaw_8000".into(),
        },
    };
    socket
        .send(Message::Text(metadata.to_json().into()))
        .await
        .unwrap();
    match behaviour {
        Behaviour::WaitForClose => {
            while let Some(Ok(message)) = socket.recv().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
            let _ = events.lock().await.send("closed by the bridge");
        }
        Behaviour::ReportAudio => {
            while let Some(Ok(message)) = socket.recv().await {
                match message {
                    Message::Text(text) if text.contains("user_audio_chunk") => {
                        let _ = events.lock().await.send("audio");
                    }
                    Message::Close(_) => break,
                    _ => {}
                }
            }
            let _ = events.lock().await.send("closed by the bridge");
        }
        Behaviour::StopReading => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            drop(socket);
        }
        Behaviour::Silent => unreachable!("answered above"),
        Behaviour::FailAfter(after) => {
            tokio::time::sleep(after).await;
            let close = CloseFrame {
                code: 1011,
                reason: "internal error".into(),
            };
            let _ = socket.send(Message::Close(Some(close))).await;
            let _ = events.lock().await.send("failed");
        }
    }
}

#[tokio::test]
async fn twilio_stop_closes_the_agent_socket() {
    let (agent_url, mut events) = agent(Behaviour::WaitForClose).await;
    let bridge = TestBridge::start(&agent_url).await;
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, bridge.number());
    config.agent_speaks_first = false;
    config.linger = Duration::from_millis(400);
    let report = place_call(&config, None).await.unwrap();
    assert!(!report.ended_by_bridge, "the caller hung up (Twilio stop)");
    let event = tokio::time::timeout(PATIENCE, events.recv())
        .await
        .expect("the agent saw the close");
    assert_eq!(event, Some("closed by the bridge"));
    let calls = &bridge.server.app.calls;
    tokio::time::timeout(PATIENCE, calls.finished())
        .await
        .expect("the call's driver finished");
    let active = &bridge.server.app.metrics.calls.active_calls;
    assert_eq!(active.load(Ordering::Relaxed), 0, "the call is no longer counted");
}

#[tokio::test]
async fn an_agent_failing_mid_call_ends_the_stream_into_the_fallback() {
    let (agent_url, _events) = agent(Behaviour::FailAfter(Duration::from_millis(500))).await;
    let bridge = TestBridge::start(&agent_url).await;
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, bridge.number());
    config.agent_speaks_first = false;
    config.max_duration = Duration::from_secs(10);
    let report = place_call(&config, None).await.unwrap();
    // The caller would hang up after 10 s: the bridge ended the stream first.
    assert!(report.ended_by_bridge, "the bridge ended the stream");
    let action = report.action.expect("Twilio asked the connect action");
    assert!(
        action.contains("<Say>") && action.contains("<Record"),
        "the fallback: {action}"
    );
    let metrics = bridge.server.app.metrics.render(0);
    assert!(
        metrics.contains("switchboard_calls_ended_total{reason=\"upstream_failed\"} 1"),
        "{metrics}"
    );
}

const STREAM: &str = "MZ00000000000000000000000000000042";

pub(crate) type TwilioSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The media-stream handshake, signed as Twilio signs it.
pub(crate) async fn handshake(bridge: &TestBridge, stream_url: &str) -> TwilioSocket {
    let mut request = stream_url.into_client_request().unwrap();
    request.headers_mut().insert(
        "X-Twilio-Signature",
        bridge.hooks.sign(stream_url, &[]).parse().unwrap(),
    );
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

pub(crate) fn start(call_sid: &str, connect: &twiml::ParsedConnect) -> String {
    StreamMessage::Start {
        sequence_number: "1".into(),
        stream_sid: STREAM.into(),
        start: Start {
            account_sid: "AC1".into(),
            stream_sid: STREAM.into(),
            call_sid: call_sid.into(),
            tracks: vec!["inbound".into()],
            media_format: MediaFormat::default(),
            custom_parameters: connect.parameters.iter().cloned().collect(),
        },
    }
    .to_json()
}

/// Plays Twilio by hand: the voice webhook, the signed stream handshake, then `start` with
/// the parameters the TwiML gave.
async fn open_stream(bridge: &TestBridge, call_sid: &str) -> TwilioSocket {
    let connect = bridge.answer_webhook(call_sid).await;
    let mut twilio = handshake(bridge, &connect.stream_url).await;
    twilio.send(start(call_sid, &connect).into()).await.unwrap();
    twilio
}

/// Reads until the bridge closes the stream; false if it does not within `within`.
pub(crate) async fn closed_by_bridge(
    stream: &mut (impl StreamExt<Item = Result<TwilioMessage, WsError>> + Unpin),
    within: Duration,
) -> bool {
    let closed = tokio::time::timeout(within, async {
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, TwilioMessage::Close(_)) {
                return;
            }
        }
    });
    closed.await.is_ok()
}

fn media(payload: &str) -> String {
    StreamMessage::Media {
        sequence_number: Some("2".into()),
        stream_sid: STREAM.into(),
        media: Media {
            payload: payload.into(),
            ..Media::default()
        },
    }
    .to_json()
}

fn silence() -> String {
    base64::engine::general_purpose::STANDARD.encode([0xffu8; 160])
}

#[tokio::test]
async fn bad_frames_on_the_stream_are_counted_and_the_call_goes_on() {
    let (agent_url, mut events) = agent(Behaviour::ReportAudio).await;
    let bridge = TestBridge::start(&agent_url).await;
    let mut twilio = open_stream(&bridge, "CAbad").await;
    let bad = [
        TwilioMessage::Binary(vec![1, 2, 3].into()),
        TwilioMessage::Text("{not json".into()),
        TwilioMessage::Text(media(&silence()).replace(STREAM, "MZother").into()),
        TwilioMessage::Text(media("!!!").into()),
        TwilioMessage::Text(media("!!!").into()),
    ];
    for message in bad {
        twilio.send(message).await.unwrap();
    }
    twilio.send(media(&silence()).into()).await.unwrap();
    let relayed = tokio::time::timeout(PATIENCE, events.recv()).await;
    assert_eq!(relayed.expect("the good frame reached the agent"), Some("audio"));
    let metrics = bridge.server.app.metrics.render(0);
    for counted in [
        "switchboard_bad_input_total{kind=\"twilio_binary\"} 1",
        "switchboard_bad_input_total{kind=\"twilio_malformed\"} 1",
        "switchboard_bad_input_total{kind=\"wrong_stream_sid\"} 1",
        "switchboard_bad_input_total{kind=\"invalid_base64\"} 2",
    ] {
        assert!(metrics.contains(counted), "{counted} in {metrics}");
    }
    assert_eq!(
        bridge
            .server
            .app
            .metrics
            .calls
            .active_calls
            .load(Ordering::Relaxed),
        1,
        "the call is still up"
    );
    twilio.close(None).await.unwrap();
}

#[tokio::test]
async fn an_agent_that_stops_reading_is_given_up_on_and_the_caller_hears_the_fallback() {
    let (agent_url, _events) = agent(Behaviour::StopReading).await;
    let bridge = TestBridge::start_with(&agent_url, |config| config.call.write_timeout_secs = 1).await;
    let (mut sink, mut stream) = open_stream(&bridge, "CAstuck").await.split();
    // Twilio keeps sending audio as fast as it can; the writes to the agent back up.
    let frame: TwilioMessage = media(&silence()).into();
    let caller = tokio::spawn(async move { while sink.send(frame.clone()).await.is_ok() {} });
    let ended = closed_by_bridge(&mut stream, Duration::from_secs(30)).await;
    caller.abort();
    assert!(ended, "the bridge ended the stream");
    let outcome = bridge.server.app.recorder.outcome("CAstuck").expect("ended here");
    assert!(outcome.wants_fallback(), "{outcome:?}");
    let metrics = bridge.server.app.metrics.render(0);
    assert!(
        metrics.contains("switchboard_calls_ended_total{reason=\"upstream_failed\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_replayed_stream_token_is_refused_and_only_that_stream_ends() {
    let (agent_url, _events) = agent(Behaviour::WaitForClose).await;
    let bridge = TestBridge::start(&agent_url).await;
    let mut live = bridge.server.app.live.subscribe();
    let connect = bridge.answer_webhook("CAreplay").await;
    let mut first = handshake(&bridge, &connect.stream_url).await;
    first.send(start("CAreplay", &connect).into()).await.unwrap();
    // The first stream has redeemed its token once its agent has spoken.
    until_an_agent_speaks(&mut live).await;
    let mut replay = handshake(&bridge, &connect.stream_url).await;
    replay.send(start("CAreplay", &connect).into()).await.unwrap();
    assert!(
        closed_by_bridge(&mut replay, PATIENCE).await,
        "the replay is ended"
    );
    let metrics = &bridge.server.app.metrics;
    assert_eq!(metrics.error_count(ErrorKind::BadStreamToken), 1);
    assert_eq!(
        metrics.calls.active_calls.load(Ordering::Relaxed),
        1,
        "the first call goes on"
    );
    first.close(None).await.unwrap();
}

#[tokio::test]
async fn an_agent_that_never_announces_its_conversation_is_given_up_and_the_caller_hears_the_fallback() {
    let (agent_url, mut events) = agent(Behaviour::Silent).await;
    let bridge =
        TestBridge::start_with(&agent_url, |config| config.call.agent_metadata_timeout_secs = 1).await;
    let mut twilio = open_stream(&bridge, "CAsilent").await;
    twilio.send(media(&silence()).into()).await.unwrap();
    assert!(
        closed_by_bridge(&mut twilio, PATIENCE).await,
        "the bridge ended the stream"
    );
    let outcome = bridge
        .server
        .app
        .recorder
        .outcome("CAsilent")
        .expect("ended here");
    assert!(outcome.wants_fallback(), "{outcome:?}");
    let metrics = bridge.server.app.metrics.render(0);
    assert!(
        metrics.contains("switchboard_calls_ended_total{reason=\"upstream_failed\"} 1"),
        "{metrics}"
    );
    let closed = tokio::time::timeout(PATIENCE, events.recv()).await;
    assert_eq!(
        closed.expect("the agent's socket was closed"),
        Some("closed by the bridge")
    );
}

#[tokio::test]
async fn oversized_frames_from_twilio_are_counted_and_one_beyond_the_protocol_ends_the_call_cleanly() {
    let (agent_url, mut events) = agent(Behaviour::ReportAudio).await;
    let bridge = TestBridge::start(&agent_url).await;
    let mut twilio = open_stream(&bridge, "CAbig").await;
    // Over the session's caps (a second of audio in one media frame; a 100 KiB frame), under
    // the socket's: counted, and the call goes on.
    let second = base64::engine::general_purpose::STANDARD.encode([0xffu8; 8000]);
    twilio.send(media(&second).into()).await.unwrap();
    twilio
        .send(TwilioMessage::Text("x".repeat(100 * 1024).into()))
        .await
        .unwrap();
    twilio.send(media(&silence()).into()).await.unwrap();
    let relayed = tokio::time::timeout(PATIENCE, events.recv()).await;
    assert_eq!(relayed.expect("the good frame reached the agent"), Some("audio"));
    let metrics = bridge.server.app.metrics.render(0);
    assert!(
        metrics.contains("switchboard_bad_input_total{kind=\"twilio_oversized\"} 2"),
        "{metrics}"
    );
    // Beyond anything Twilio's protocol sends: the socket refuses it, the stream is broken,
    // and the call ends as the caller's end (the agent's socket closed with it).
    let _ = twilio
        .send(TwilioMessage::Text("x".repeat(200 * 1024).into()))
        .await;
    let _ = closed_by_bridge(&mut twilio, PATIENCE).await;
    let closed = tokio::time::timeout(PATIENCE, events.recv()).await;
    assert_eq!(
        closed.expect("the agent's socket was closed"),
        Some("closed by the bridge")
    );
    // Counted before the sockets were closed.
    let metrics = bridge.server.app.metrics.render(0);
    assert!(
        metrics.contains("switchboard_calls_ended_total{reason=\"caller_hung_up\"} 1"),
        "{metrics}"
    );
}
