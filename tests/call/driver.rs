//! The driver running whole calls over in-memory sockets: no bridge, no network. The test
//! plays both peers through the other ends of the sockets and waits for what the driver
//! writes, so nothing depends on timing.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::{Sink, Stream};
use serde_json::json;
use switchboard::call::driver::{
    self, Attach, AttachFailure, Attached, CallObserver, Closed, DriverDeps, SHUTTING_DOWN,
};
use switchboard::call::metrics::{CallMetrics, Direction};
use switchboard::call::{
    CallControl, EndReason, Event, Session, SessionConfig, Started, ToolCall, ToolContext, ToolOutcome,
    ToolRegistry,
};
use switchboard::wire::elevenlabs::ClientMessage;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use crate::support::*;

/// How long a test waits for something the driver must do; only reached when it is broken.
const PATIENCE: Duration = Duration::from_secs(10);

/// How long before the stream started the test's held agent messages arrived.
const HELD_FOR: Duration = Duration::from_secs(2);

/// One end of an in-memory WebSocket: a `Stream` of what the other end sent, a `Sink` to it.
struct End {
    incoming: mpsc::UnboundedReceiver<Message>,
    outgoing: mpsc::UnboundedSender<Message>,
}

fn socket_pair() -> (End, End) {
    let (a_tx, a_rx) = mpsc::unbounded_channel();
    let (b_tx, b_rx) = mpsc::unbounded_channel();
    (
        End {
            incoming: a_rx,
            outgoing: b_tx,
        },
        End {
            incoming: b_rx,
            outgoing: a_tx,
        },
    )
}

impl Stream for End {
    type Item = Result<Message, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.incoming.poll_recv(cx).map(|message| message.map(Ok))
    }
}

impl Sink<Message> for End {
    type Error = Infallible;

    fn poll_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Infallible> {
        // The other end may be gone already; like a socket's peer, it then reads nothing.
        let _ = self.outgoing.send(message);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }
}

/// The test's side of a socket.
struct Peer(End);

impl Peer {
    fn send(&self, text: impl Into<String>) {
        self.0.outgoing.send(Message::Text(text.into().into())).unwrap();
    }

    /// The next message the driver wrote.
    async fn next(&mut self) -> Message {
        tokio::time::timeout(PATIENCE, self.0.incoming.recv())
            .await
            .expect("the driver wrote in time")
            .expect("the driver's end is open")
    }

    async fn next_text(&mut self) -> String {
        match self.next().await {
            Message::Text(text) => text.to_string(),
            other => panic!("expected text, got {other:?}"),
        }
    }

    /// Reads until the driver closes this socket; what came before the close.
    async fn until_closed(&mut self) -> Vec<String> {
        let mut texts = Vec::new();
        loop {
            match self.next().await {
                Message::Text(text) => texts.push(text.to_string()),
                Message::Close(_) => return texts,
                _ => {}
            }
        }
    }
}

/// An agent as the test sets it up: attached at once, or not at all.
struct TestAttach {
    agent: Option<End>,
    held: Vec<Message>,
    /// Messages the hold dropped over its budget.
    dropped: u64,
    closed: Option<Closed>,
    started: Arc<Mutex<Option<Started>>>,
    /// Whether a missing agent is this server's failure (the database, say) rather than the
    /// agent's (its connection).
    failure_is_ours: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("no agent for this test")]
struct NoAgent {
    ours: bool,
}

impl AttachFailure for NoAgent {
    fn is_agents_side(&self) -> bool {
        !self.ours
    }
}

impl Attach for TestAttach {
    type Agent = End;
    type Error = NoAgent;

    async fn attach(&mut self, started: &Started) -> Result<Attached<End>, NoAgent> {
        *self.started.lock().unwrap() = Some(started.clone());
        let socket = self.agent.take().ok_or(NoAgent {
            ours: self.failure_is_ours,
        })?;
        let received = Instant::now().checked_sub(HELD_FOR).unwrap_or_else(Instant::now);
        Ok(Attached {
            recording: None,
            socket,
            held: std::mem::take(&mut self.held)
                .into_iter()
                .map(|message| (received, message))
                .collect(),
            dropped: self.dropped,
            closed: self.closed.take(),
            tool_context: ToolContext {
                account_id: "account-1".into(),
                agent_id: "agent-1".into(),
                call_sid: started.call_sid.clone(),
                caller_number: None,
                called_number: None,
            },
        })
    }
}

/// Answers `lookup` with what it was asked; `end_call` as every call does.
struct EchoTools;

impl ToolRegistry for EchoTools {
    fn call(&self, ctx: &ToolContext, call: ToolCall) -> BoxFuture<'static, ToolOutcome> {
        let outcome = match call.name.as_str() {
            "lookup" => ToolOutcome::ok(json!({"call": ctx.call_sid, "asked": call.parameters}).to_string()),
            _ => CallControl::outcome(&call).unwrap_or_else(|| CallControl::unknown(&call)),
        };
        Box::pin(async move { outcome })
    }
}

/// Keeps every event the driver reports.
#[derive(Default)]
struct Recorded(Mutex<Vec<Event>>);

impl CallObserver for Recorded {
    fn on_event(&self, _call_sid: Option<&str>, event: &Event) {
        self.0.lock().unwrap().push(event.clone());
    }
}

impl Recorded {
    fn names(&self) -> Vec<&'static str> {
        let events = self.0.lock().unwrap();
        events
            .iter()
            .map(|event| match event {
                Event::Started(_) => "started",
                Event::ConversationStarted { .. } => "conversation",
                Event::ToolCall(_) => "tool call",
                Event::ToolFinished { .. } => "tool finished",
                Event::Ended { .. } => "ended",
                _ => "other",
            })
            .filter(|name| *name != "other")
            .collect()
    }
}

/// A call under test: its two peers, and the driver's task.
struct Call {
    twilio: Peer,
    agent: Peer,
    started: Arc<Mutex<Option<Started>>>,
    events: Arc<Recorded>,
    metrics: Arc<CallMetrics>,
    hang_up: Option<oneshot::Sender<()>>,
    driver: tokio::task::JoinHandle<EndReason>,
}

impl Call {
    fn start(held: Vec<Message>, closed: Option<Closed>, attachable: bool) -> Call {
        Call::start_with(held, 0, closed, attachable)
    }

    /// Like [`Call::start`], with `dropped` messages lost by the hold before the attach.
    fn start_with(held: Vec<Message>, dropped: u64, closed: Option<Closed>, attachable: bool) -> Call {
        Call::build(held, dropped, closed, attachable, false)
    }

    /// A call whose agent cannot be attached through this server's own failure.
    fn start_failing_on_our_side() -> Call {
        Call::build(Vec::new(), 0, None, false, true)
    }

    fn build(
        held: Vec<Message>,
        dropped: u64,
        closed: Option<Closed>,
        attachable: bool,
        failure_is_ours: bool,
    ) -> Call {
        let (twilio_end, twilio_peer) = socket_pair();
        let (agent_end, agent_peer) = socket_pair();
        let events = Arc::new(Recorded::default());
        let metrics = Arc::new(CallMetrics::new());
        let deps = DriverDeps {
            config: SessionConfig::default(),
            write_timeout: Duration::from_secs(5),
            tools: Arc::new(EchoTools),
            metrics: metrics.clone(),
            observer: events.clone(),
        };
        let started = Arc::new(Mutex::new(None));
        let attach = TestAttach {
            agent: attachable.then_some(agent_end),
            held,
            dropped,
            closed,
            started: started.clone(),
            failure_is_ours,
        };
        let (hang_up, hung_up) = oneshot::channel::<()>();
        let session = Session::new(deps.config.clone(), Instant::now());
        let driver = tokio::spawn(async move {
            let signal = async move {
                let _ = hung_up.await;
            };
            driver::run(session, twilio_end, attach, &deps, signal).await
        });
        Call {
            twilio: Peer(twilio_peer),
            agent: Peer(agent_peer),
            started,
            events,
            metrics,
            hang_up: Some(hang_up),
            driver,
        }
    }

    async fn ended(self) -> EndReason {
        tokio::time::timeout(PATIENCE, self.driver)
            .await
            .expect("the call ended in time")
            .unwrap()
    }
}

fn client_message(text: &str) -> ClientMessage<'_> {
    ClientMessage::parse(text).unwrap()
}

#[tokio::test]
async fn a_whole_call_runs_over_in_memory_sockets() {
    let mut call = Call::start(Vec::new(), None, true);
    call.twilio.send(start());
    call.agent.send(metadata("ulaw_8000", "ulaw_8000"));

    // Caller audio reaches the agent as it came.
    call.twilio.send(media(2, &[0x11; 160]));
    let chunk = call.agent.next_text().await;
    let ClientMessage::UserAudioChunk { user_audio_chunk } = client_message(&chunk) else {
        panic!("{chunk}")
    };
    assert_eq!(unb64(&user_audio_chunk), [0x11; 160]);

    // Agent audio reaches the caller, then a mark once the agent pauses.
    call.agent.send(agent_audio(1, &[0x22; 160]));
    let played = call.twilio.next_text().await;
    assert_eq!(media_payload(&played).unwrap(), [0x22; 160]);
    let mark = mark_name(&call.twilio.next_text().await).expect("a mark after the burst");
    call.twilio.send(mark_echo(&mark));

    // A tool the agent calls is run and answered with the call's context.
    call.agent
        .send(tool_call("t1", "lookup", json!({"what": "hours"})));
    let answer = call.agent.next_text().await;
    let ClientMessage::ClientToolResult {
        tool_call_id,
        result,
        is_error,
    } = client_message(&answer)
    else {
        panic!("{answer}")
    };
    assert_eq!((tool_call_id.as_ref(), is_error), ("t1", false));
    assert!(result.contains(CALL) && result.contains("hours"), "{result}");

    // Twilio's stop ends the call and closes the agent's socket.
    call.twilio.send(stop());
    call.agent.until_closed().await;
    let started = call.started.lock().unwrap().clone().expect("attached");
    assert_eq!(started.call_sid, CALL);
    assert_eq!(started.parameters["token"], "t");
    let events = call.events.clone();
    let metrics = call.metrics.clone();
    assert_eq!(call.ended().await, EndReason::CallerHungUp);
    assert_eq!(
        events.names(),
        ["started", "conversation", "tool call", "tool finished", "ended"]
    );
    assert_eq!(metrics.active_calls.load(std::sync::atomic::Ordering::Relaxed), 0);
}

#[tokio::test]
async fn what_the_agent_said_before_the_stream_started_is_relayed_first_in_order() {
    let held = vec![
        Message::Text(metadata("ulaw_8000", "ulaw_8000").into()),
        Message::Text(agent_audio(1, &[1; 160]).into()),
        Message::Text(agent_audio(2, &[2; 160]).into()),
    ];
    let mut call = Call::start_with(held, 2, None, true);
    call.twilio.send(start());
    assert_eq!(media_payload(&call.twilio.next_text().await).unwrap(), [1; 160]);
    assert_eq!(media_payload(&call.twilio.next_text().await).unwrap(), [2; 160]);
    call.twilio.send(stop());
    let metrics = call.metrics.clone();
    assert_eq!(call.ended().await, EndReason::CallerHungUp);
    // Counted as relayed, and timed from when they arrived, not from the attach.
    let relayed = metrics.relay_latency(Direction::AgentToCaller);
    assert_eq!(relayed.count(), 2);
    assert!(
        relayed.quantile(0.0).unwrap() >= HELD_FOR / 2,
        "{:?}",
        relayed.quantile(0.0)
    );
    // What the hold dropped over its budget is counted as bad input.
    let mut text = String::new();
    metrics.render(&mut text);
    assert!(
        text.contains("switchboard_bad_input_total{kind=\"hold_overflow\"} 2"),
        "{text}"
    );
}

#[tokio::test]
async fn caller_frames_held_for_the_agents_metadata_are_counted_and_timed() {
    let mut call = Call::start(Vec::new(), None, true);
    call.twilio.send(start());
    for n in 0..3u8 {
        call.twilio.send(media(u64::from(n) + 2, &[n; 160]));
    }
    call.twilio.send(dtmf("5"));
    // The key press reaches the agent at once, so the frames before it were read: held.
    let update = call.agent.next_text().await;
    assert!(update.contains("contextual_update"), "{update}");
    call.agent.send(metadata("ulaw_8000", "ulaw_8000"));
    for n in 0..3u8 {
        let chunk = call.agent.next_text().await;
        let ClientMessage::UserAudioChunk { user_audio_chunk } = client_message(&chunk) else {
            panic!("{chunk}")
        };
        assert_eq!(unb64(&user_audio_chunk), [n; 160]);
    }
    call.twilio.send(stop());
    let metrics = call.metrics.clone();
    assert_eq!(call.ended().await, EndReason::CallerHungUp);
    assert_eq!(metrics.frames(Direction::CallerToAgent), 3);
    assert_eq!(metrics.relay_latency(Direction::CallerToAgent).count(), 3);
}

#[tokio::test]
async fn a_stream_that_finds_no_agent_ends_for_the_fallback() {
    let mut call = Call::start(Vec::new(), None, false);
    call.twilio.send(start());
    call.twilio.until_closed().await;
    let reason = call.ended().await;
    assert!(reason.wants_fallback(), "{reason:?}");
    assert!(matches!(reason, EndReason::UpstreamFailed { .. }), "{reason:?}");
}

#[tokio::test]
async fn a_stream_that_finds_no_agent_through_our_own_failure_ends_as_the_servers_for_the_fallback() {
    let mut call = Call::start_failing_on_our_side();
    call.twilio.send(start());
    call.twilio.until_closed().await;
    let reason = call.ended().await;
    assert!(reason.wants_fallback(), "{reason:?}");
    assert!(
        matches!(reason, EndReason::Server(_)),
        "not the agent's failure: {reason:?}"
    );
}

#[tokio::test]
async fn an_agent_gone_before_the_stream_started_ends_the_call_for_the_fallback() {
    let closed = Closed {
        code: None,
        reason: "connection reset".into(),
    };
    let held = vec![Message::Text(metadata("ulaw_8000", "ulaw_8000").into())];
    let mut call = Call::start(held, Some(closed), true);
    call.twilio.send(start());
    call.twilio.until_closed().await;
    let reason = call.ended().await;
    assert_eq!(
        reason,
        EndReason::UpstreamFailed {
            code: None,
            reason: "connection reset".into()
        }
    );
}

#[tokio::test]
async fn an_agent_failing_mid_call_closes_the_callers_stream() {
    let mut call = Call::start(Vec::new(), None, true);
    call.twilio.send(start());
    call.agent.send(metadata("ulaw_8000", "ulaw_8000"));
    call.agent
        .0
        .outgoing
        .send(Message::Close(Some(CloseFrame {
            code: 1011.into(),
            reason: "internal error".into(),
        })))
        .unwrap();
    call.twilio.until_closed().await;
    let reason = call.ended().await;
    assert!(
        matches!(reason, EndReason::UpstreamFailed { code: Some(1011), .. }),
        "{reason:?}"
    );
}

#[tokio::test]
async fn hanging_up_ends_the_call_through_its_normal_close() {
    let mut call = Call::start(Vec::new(), None, true);
    call.twilio.send(start());
    call.agent.send(metadata("ulaw_8000", "ulaw_8000"));
    call.twilio.send(media(2, &[0x11; 160]));
    call.agent.next_text().await; // the call is up: audio flows
    call.hang_up.take().unwrap().send(()).unwrap();
    call.twilio.until_closed().await;
    call.agent.until_closed().await;
    let events = call.events.clone();
    let reason = call.ended().await;
    assert_eq!(reason, EndReason::Server(SHUTTING_DOWN.into()));
    assert!(reason.wants_fallback(), "the caller hears the fallback next");
    assert_eq!(events.names().last(), Some(&"ended"));
}
