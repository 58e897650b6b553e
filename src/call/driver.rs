//! The driver: one tokio task per call that owns the caller's and the agent's sockets.
//!
//! It is deliberately thin. It waits on the two sockets, the session's next deadline, the
//! tools it is running and the signal to hang up; hands whatever happens to the [`Session`]
//! with the current time; and writes what the session queued. Every decision is the
//! session's. Frames are written as they are produced (Twilio queues agent audio and plays it
//! in order), never paced. Both sockets are generic ([`Socket`]), so a whole call can run
//! over in-memory channels in a test.
//!
//! Per frame it takes no lock: the session's deadline is one timer for the whole call, moved
//! only when the deadline changes (a timer made and dropped per frame would take the
//! runtime's timer lock each time), a write gets a timer of its own only if the peer does not
//! take it at once, and the hang-up signal is polled as the caller provides it (see
//! `crate::shutdown::Signal` for one that costs an atomic load).

use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures::stream::FuturesUnordered;
use futures::{SinkExt, StreamExt};
use tracing::Instrument;

use super::event::{EndReason, Event, Started, Transmit};
use super::leg::CallerLeg;
use super::metrics::{CallMetrics, Direction};
use super::session::{Relayed, Session, SessionConfig};
use super::socket::{Message, Received, Socket};
use super::tools::{ToolContext, ToolOutcome, ToolRegistry};

/// The agent side, once attached.
pub struct Attached<S: Socket> {
    pub socket: S,
    /// Messages the agent sent before the caller's stream started, each with the instant it
    /// arrived; relayed first, in order, and timed from that instant.
    pub held: Vec<(Instant, S::Message)>,
    /// Messages dropped before the stream started, over the budget of the hold that kept
    /// them; counted as bad input.
    pub dropped: u64,
    /// How the agent's socket ended before the stream started, if it ended without a close
    /// message (an error, or the connection just dropped).
    pub closed: Option<Closed>,
    /// Whom the tools work for in this call.
    pub tool_context: ToolContext,
    /// Where the call's audio is copied, when the call is recorded; `None` costs nothing.
    pub recording: Option<super::recording_tap::RecordingTap>,
}

/// A socket's end, as the session hears of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub code: Option<u16>,
    pub reason: String,
}

/// Finds the agent connection for a stream that has started: claims a pre-warmed one or opens
/// a new one. On an error the call ends with the fallback, and the error is logged.
pub trait Attach: Send {
    type Agent: Socket;
    type Error: AttachFailure;
    fn attach(
        &mut self,
        started: &Started,
    ) -> impl Future<Output = Result<Attached<Self::Agent>, Self::Error>> + Send;
}

/// Why a stream got no agent, and whose failure that was: the agent's side (its connection
/// could not be opened) ends the call as [`EndReason::UpstreamFailed`]; this server's own (a
/// refused stream token, the database, an agent deleted meanwhile) as [`EndReason::Server`].
/// Either way the caller hears the fallback.
pub trait AttachFailure: std::error::Error + Send {
    fn is_agents_side(&self) -> bool;
}

/// Sees every session event of the call (not per frame): logging, the call records, live
/// views.
pub trait CallObserver: Send + Sync {
    fn on_event(&self, call_sid: Option<&str>, event: &Event);
}

/// What every call shares.
pub struct DriverDeps {
    pub config: SessionConfig,
    /// Longest one write to either socket may block. A peer that stops reading (or vanishes
    /// without closing) would otherwise stall both directions of the call, and its end,
    /// until TCP gives up many minutes later.
    pub write_timeout: Duration,
    pub tools: Arc<dyn ToolRegistry>,
    pub metrics: Arc<CallMetrics>,
    pub observer: Arc<dyn CallObserver>,
}

type ToolTask = tokio::task::JoinHandle<(String, ToolOutcome)>;

/// Why the server hangs up the calls still up when it stops.
pub const SHUTTING_DOWN: &str = "the server is shutting down";

/// Runs one call to its end: `session` relays between the `caller` socket and the agent that
/// `attach` finds once the stream starts. When `hang_up` resolves, the call ends through its
/// normal close, as a server-side end (so the caller hears the fallback). Returns the reason
/// it ended.
pub fn run<'d, L, C, A>(
    session: Session<L>,
    caller: C,
    attach: A,
    deps: &'d DriverDeps,
    hang_up: impl Future<Output = ()> + 'd,
) -> impl Future<Output = EndReason> + 'd
where
    L: CallerLeg + 'd,
    C: Socket + 'd,
    A: Attach + 'd,
{
    // The arguments go straight into the relay, whose own future takes them by value: an
    // async fn would keep a second copy of each argument in every state of its future, and
    // a call's task carries that future for the whole call.
    let relay = Relay {
        session,
        caller,
        caller_gone: false,
        agent: None,
        tool_context: ToolContext::default(),
        call_sid: None,
        tools: FuturesUnordered::new(),
        deps,
    };
    relay.run(attach, hang_up)
}

/// How a socket write went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Done,
    Failed,
    TimedOut,
}

/// Awaits one socket write for at most `limit`. A write the peer takes at once (every write,
/// with a healthy peer) never sets up a timer.
async fn bounded<E>(limit: Duration, write: impl Future<Output = Result<(), E>>) -> Write {
    let mut write = std::pin::pin!(write);
    let done = match futures::poll!(write.as_mut()) {
        Poll::Ready(done) => done,
        Poll::Pending => match tokio::time::timeout(limit, write).await {
            Ok(done) => done,
            Err(_) => return Write::TimedOut,
        },
    };
    if done.is_ok() { Write::Done } else { Write::Failed }
}

async fn next_agent_frame<S: Socket>(
    agent: &mut Option<S>,
) -> Option<Result<S::Message, <S as Socket>::Error>> {
    match agent {
        Some(socket) => socket.next().await,
        None => std::future::pending().await,
    }
}

/// One call in flight: the session between its two sockets.
struct Relay<'d, L, C, A: Socket> {
    session: Session<L>,
    caller: C,
    /// The caller's socket failed or stopped taking writes: nothing more is written to it.
    caller_gone: bool,
    agent: Option<A>,
    tool_context: ToolContext,
    call_sid: Option<String>,
    tools: FuturesUnordered<ToolTask>,
    deps: &'d DriverDeps,
}

impl<L: CallerLeg, C: Socket, A: Socket> Relay<'_, L, C, A> {
    /// Relays until the call ends; see [`run`]. (An async block rather than an async fn: an
    /// async fn moves its arguments into locals of its own, and both copies stay in the
    /// future's every state.)
    #[allow(clippy::manual_async_fn)] // deliberately not an async fn: see above
    fn run<'r>(
        mut self,
        mut attach: impl Attach<Agent = A> + 'r,
        hang_up: impl Future<Output = ()> + 'r,
    ) -> impl Future<Output = EndReason> + 'r
    where
        Self: 'r,
    {
        async move {
            let began = Instant::now();
            let mut armed = self.session.poll_timeout();
            let timer = tokio::time::sleep_until(armed.unwrap_or(began).into());
            tokio::pin!(timer);
            tokio::pin!(hang_up);
            let mut hung_up = false;
            loop {
                let deadline = self.session.poll_timeout();
                if deadline != armed {
                    if let Some(at) = deadline {
                        timer.as_mut().reset(at.into());
                    }
                    armed = deadline;
                }
                tokio::select! {
                    biased;
                    frame = self.caller.next() => {
                        let received = Instant::now();
                        let relayed = self.on_caller_frame(received, frame);
                        self.flush(received, relayed, Direction::CallerToAgent).await;
                    }
                    frame = next_agent_frame(&mut self.agent) => {
                        let received = Instant::now();
                        let relayed = self.on_agent_frame(received, frame);
                        self.flush(received, relayed, Direction::AgentToCaller).await;
                    }
                    Some(done) = self.tools.next() => {
                        let now = Instant::now();
                        match done {
                            Ok((id, outcome)) => self.session.on_tool_result(now, &id, outcome),
                            // A panicking tool is a failed tool; the session times the call out
                            // and answers the agent, so nothing more is needed here.
                            Err(e) => tracing::error!(error = %e, "tool task failed"),
                        }
                        self.flush(now, Relayed::Nothing, Direction::AgentToCaller).await;
                    }
                    () = &mut timer, if armed.is_some() => {
                        // Re-armed on the next turn even if the deadline did not move.
                        armed = None;
                        let now = Instant::now();
                        self.session.on_tick(now);
                        self.flush(now, Relayed::Nothing, Direction::AgentToCaller).await;
                    }
                    () = &mut hang_up, if !hung_up => {
                        hung_up = true;
                        let now = Instant::now();
                        tracing::info!("hanging up: {SHUTTING_DOWN}");
                        self.session.hang_up(now, EndReason::Server(SHUTTING_DOWN.into()));
                        self.flush(now, Relayed::Nothing, Direction::AgentToCaller).await;
                    }
                }
                if let Some(reason) = self.handle_events(&mut attach).await {
                    // Boxed, like the attach: once per call, and kept out of the call's future.
                    Box::pin(self.close()).await;
                    return reason;
                }
            }
        }
    }

    fn on_caller_frame(
        &mut self,
        now: Instant,
        frame: Option<Result<C::Message, <C as Socket>::Error>>,
    ) -> Relayed {
        match &frame {
            Some(Ok(message)) => match message.read() {
                Received::Frame(frame) => self.session.on_caller(now, frame),
                Received::Closed { .. } => {
                    self.session.on_caller_closed(now);
                    Relayed::Nothing
                }
                Received::Control => Relayed::Nothing,
            },
            None => {
                self.session.on_caller_closed(now);
                Relayed::Nothing
            }
            Some(Err(e)) => {
                // Ends the call, so this is logged once.
                tracing::warn!(error = %e, "the caller's stream failed; ending the call");
                self.caller_gone = true;
                self.session.on_caller_closed(now);
                Relayed::Nothing
            }
        }
    }

    fn on_agent_frame(
        &mut self,
        now: Instant,
        frame: Option<Result<A::Message, <A as Socket>::Error>>,
    ) -> Relayed {
        match frame {
            Some(Ok(message)) => self.on_agent_message(now, &message),
            Some(Err(e)) => {
                self.agent = None;
                self.session.on_agent_closed(now, None, &e.to_string());
                Relayed::Nothing
            }
            None => {
                self.agent = None;
                self.session.on_agent_closed(now, None, "connection closed");
                Relayed::Nothing
            }
        }
    }

    fn on_agent_message(&mut self, now: Instant, message: &A::Message) -> Relayed {
        match message.read() {
            Received::Frame(frame) => self.session.on_agent(now, frame),
            Received::Closed { code, reason } => {
                self.agent = None;
                self.session.on_agent_closed(now, code, reason);
                Relayed::Nothing
            }
            Received::Control => Relayed::Nothing,
        }
    }

    /// Writes everything the session queued, then records how long the frame received at
    /// `received` took to cross the bridge.
    async fn flush(&mut self, received: Instant, relayed: Relayed, direction: Direction) {
        let limit = self.deps.write_timeout;
        let (mut to_caller, mut to_agent) = (false, false);
        while let Some(transmit) = self.session.poll_transmit() {
            match transmit {
                Transmit::Caller(text) if !self.caller_gone => {
                    to_caller = true;
                    let written = bounded(limit, self.caller.feed(C::Message::text(text))).await;
                    self.after_caller_write(written);
                }
                Transmit::Caller(_) => {}
                Transmit::Agent(text) => {
                    if let Some(agent) = self.agent.as_mut() {
                        to_agent = true;
                        let written = bounded(limit, agent.feed(A::Message::text(text))).await;
                        self.after_agent_write(written);
                    }
                }
            }
        }
        if to_caller && !self.caller_gone {
            let written = bounded(limit, self.caller.flush()).await;
            self.after_caller_write(written);
        }
        if to_agent && let Some(agent) = self.agent.as_mut() {
            let written = bounded(limit, agent.flush()).await;
            self.after_agent_write(written);
        }
        self.record(relayed, direction, received);
        // Held frames the step released (caller audio waiting for the agent's formats): each
        // is timed from its own arrival.
        while let Some((direction, received)) = self.session.poll_released() {
            self.deps.metrics.relayed(direction, received.elapsed());
        }
    }

    /// Counts a frame that crossed the bridge, and how long it took since it was `received`.
    #[inline]
    fn record(&self, relayed: Relayed, direction: Direction, received: Instant) {
        match relayed {
            Relayed::Audio => self.deps.metrics.relayed(direction, received.elapsed()),
            Relayed::Clear => self.deps.metrics.interruption(received.elapsed()),
            Relayed::Nothing => {}
        }
    }

    fn after_caller_write(&mut self, written: Write) {
        match written {
            Write::Done => return,
            Write::Failed => {}
            Write::TimedOut => {
                tracing::warn!("the caller's side stopped taking the stream's frames; ending the call")
            }
        }
        self.caller_gone = true;
        self.session.on_caller_closed(Instant::now());
    }

    fn after_agent_write(&mut self, written: Write) {
        let why = match written {
            Write::Done => return,
            Write::Failed => "write failed",
            Write::TimedOut => "the agent stopped reading (write timed out)",
        };
        self.agent = None;
        self.session.on_agent_closed(Instant::now(), None, why);
    }

    /// Acts on the session's events. Returns the end reason once the call is over.
    async fn handle_events(&mut self, attach: &mut impl Attach<Agent = A>) -> Option<EndReason> {
        while let Some(event) = self.session.poll_event() {
            self.deps.observer.on_event(self.call_sid.as_deref(), &event);
            match event {
                Event::Started(started) => {
                    self.call_sid = Some(started.call_sid.clone());
                    self.deps.metrics.call_started();
                    // Boxed: connecting an agent (the signed URL over HTTP, then the WebSocket
                    // handshake) is a large future; held inline it would stay part of every
                    // call's future for the whole call, boxed it is freed once attached.
                    Box::pin(self.attach(attach, &started)).await;
                }
                Event::ToolCall(call) => {
                    let id = call.id.clone();
                    let work = self.deps.tools.call(&self.tool_context, call);
                    let task = async move { (id, work.await) };
                    self.tools.push(tokio::spawn(task.in_current_span()));
                }
                Event::Ended { reason, .. } => {
                    self.deps.metrics.call_ended(&reason, self.call_sid.is_some());
                    return Some(reason);
                }
                Event::BadInput { kind, .. } => self.deps.metrics.bad_input(kind),
                Event::ToolFinished {
                    is_error,
                    timed_out,
                    elapsed,
                    ..
                } => self.deps.metrics.tool_finished(is_error, timed_out, elapsed),
                _ => {}
            }
        }
        None
    }

    async fn attach(&mut self, attach: &mut impl Attach<Agent = A>, started: &Started) {
        match attach.attach(started).await {
            Ok(attached) => {
                self.agent = Some(attached.socket);
                self.tool_context = attached.tool_context;
                if let Some(tap) = attached.recording {
                    self.session.record_to(tap);
                }
                let now = Instant::now();
                self.session.on_agent_attached(now, attached.dropped);
                // What each held message became, to count and time it once it is written.
                let mut relayed = Vec::with_capacity(attached.held.len());
                for (received, message) in &attached.held {
                    relayed.push((self.on_agent_message(now, message), *received));
                }
                if let Some(closed) = attached.closed {
                    self.agent = None;
                    self.session.on_agent_closed(now, closed.code, &closed.reason);
                }
                self.flush(now, Relayed::Nothing, Direction::AgentToCaller).await;
                for (what, received) in relayed {
                    self.record(what, Direction::AgentToCaller, received);
                }
            }
            Err(why) => {
                tracing::warn!(call_sid = %started.call_sid, %why, "no agent for the stream; ending it for the fallback");
                let now = Instant::now();
                match why.is_agents_side() {
                    true => self.session.on_agent_closed(now, None, &why.to_string()),
                    false => self.session.hang_up(now, EndReason::Server(why.to_string())),
                }
            }
        }
    }

    /// Closes both sockets: the caller's first, so that Twilio moves on to the `<Connect
    /// action>` URL at once even if the agent (given up on as unresponsive) does not take its
    /// close, then the agent's, normally.
    async fn close(&mut self) {
        for task in self.tools.iter() {
            task.abort();
        }
        let limit = self.deps.write_timeout;
        if !self.caller_gone {
            let _ = bounded(limit, self.caller.send(C::Message::close())).await;
        }
        if let Some(mut agent) = self.agent.take() {
            let _ = bounded(limit, agent.send(A::Message::close())).await;
        }
    }
}
