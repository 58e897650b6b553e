//! The driver: one tokio task per call that owns the Twilio and agent sockets.
//!
//! It is deliberately thin. It waits on the two sockets, the session's next deadline and the
//! tools it is running; hands whatever happens to the [`Session`] with the current time; and
//! writes what the session queued. Every decision is the session's. Frames are written as
//! they are produced (Twilio queues agent audio and plays it in order), never paced.
//!
//! Per frame it takes no lock: the session's deadline is one timer for the whole call, moved
//! only when the deadline changes (a timer made and dropped per frame would take the
//! runtime's timer lock each time), and a write gets a timer of its own only if the peer
//! does not take it at once.

use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use axum::extract::ws::{self, WebSocket};
use futures::stream::FuturesUnordered;
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::{self, Message as AgentMessage};
use tracing::Instrument;

use crate::metrics::{Direction, Metrics};
use crate::upstream::{AgentSocket, Held};

use super::event::{EndReason, Event, Started, Transmit};
use super::session::{Frame, Relayed, Session, SessionConfig};
use super::tools::{ToolContext, ToolOutcome, ToolRegistry};

/// The agent side, once attached.
pub struct Attached {
    pub socket: AgentSocket,
    /// Frames the agent sent before the stream started; relayed first.
    pub held: Vec<Held>,
    /// Whom the tools work for in this call.
    pub tool_context: ToolContext,
}

/// Finds the agent connection for a stream that has started: claims the pre-warmed one or
/// opens a new one. On an error the call ends with the fallback, and the error is logged.
pub trait Attach: Send {
    type Error: std::error::Error + Send;
    fn attach(&mut self, started: &Started) -> impl Future<Output = Result<Attached, Self::Error>> + Send;
}

/// Sees every session event of the call (not per frame): logging, the call log, live views.
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
    pub metrics: Arc<Metrics>,
    pub observer: Arc<dyn CallObserver>,
}

type ToolTask = tokio::task::JoinHandle<(String, ToolOutcome)>;

/// Runs one call to its end. Returns the reason it ended.
pub async fn run(twilio: WebSocket, mut attach: impl Attach, deps: &DriverDeps) -> EndReason {
    let began = Instant::now();
    let mut call = Call {
        session: Session::new(deps.config.clone(), began),
        twilio,
        twilio_gone: false,
        agent: None,
        tool_context: ToolContext::default(),
        call_sid: None,
        tools: FuturesUnordered::new(),
        deps,
    };
    let mut armed = call.session.poll_timeout();
    let timer = tokio::time::sleep_until(armed.unwrap_or(began).into());
    tokio::pin!(timer);
    loop {
        let deadline = call.session.poll_timeout();
        if deadline != armed {
            if let Some(at) = deadline {
                timer.as_mut().reset(at.into());
            }
            armed = deadline;
        }
        tokio::select! {
            biased;
            frame = call.twilio.recv() => {
                let received = Instant::now();
                let relayed = match &frame {
                    Some(Ok(ws::Message::Text(text))) => call.session.on_caller(received, Frame::Text(text.as_str())),
                    Some(Ok(ws::Message::Binary(bytes))) => call.session.on_caller(received, Frame::Binary(bytes)),
                    Some(Ok(ws::Message::Ping(_) | ws::Message::Pong(_))) => Relayed::Nothing,
                    Some(Ok(ws::Message::Close(_))) | None => {
                        call.session.on_caller_closed(received);
                        Relayed::Nothing
                    }
                    Some(Err(e)) => {
                        // Ends the call, so this is logged once.
                        tracing::warn!(error = %e, "media stream failed; ending the call");
                        call.twilio_gone = true;
                        call.session.on_caller_closed(received);
                        Relayed::Nothing
                    }
                };
                call.flush(received, relayed, Direction::CallerToAgent).await;
            }
            frame = next_agent_frame(&mut call.agent) => {
                let received = Instant::now();
                let relayed = call.on_agent_frame(received, frame);
                call.flush(received, relayed, Direction::AgentToCaller).await;
            }
            Some(done) = call.tools.next() => {
                let now = Instant::now();
                match done {
                    Ok((id, outcome)) => call.session.on_tool_result(now, &id, outcome),
                    // A panicking tool is a failed tool; the session times the call out and
                    // answers the agent, so nothing more is needed here.
                    Err(e) => tracing::error!(error = %e, "tool task failed"),
                }
                call.flush(now, Relayed::Nothing, Direction::AgentToCaller).await;
            }
            () = &mut timer, if armed.is_some() => {
                // Re-armed on the next turn even if the deadline did not move.
                armed = None;
                let now = Instant::now();
                call.session.on_tick(now);
                call.flush(now, Relayed::Nothing, Direction::AgentToCaller).await;
            }
        }
        if let Some(reason) = call.handle_events(&mut attach).await {
            call.close().await;
            return reason;
        }
    }
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

async fn next_agent_frame(
    agent: &mut Option<AgentSocket>,
) -> Option<Result<AgentMessage, tungstenite::Error>> {
    match agent {
        Some(socket) => socket.next().await,
        None => std::future::pending().await,
    }
}

struct Call<'d> {
    session: Session,
    twilio: WebSocket,
    /// Twilio's socket failed or stopped taking writes: nothing more is written to it.
    twilio_gone: bool,
    agent: Option<AgentSocket>,
    tool_context: ToolContext,
    call_sid: Option<String>,
    tools: FuturesUnordered<ToolTask>,
    deps: &'d DriverDeps,
}

impl Call<'_> {
    fn on_agent_frame(
        &mut self,
        now: Instant,
        frame: Option<Result<AgentMessage, tungstenite::Error>>,
    ) -> Relayed {
        match frame {
            Some(Ok(AgentMessage::Text(text))) => self.session.on_agent(now, Frame::Text(text.as_str())),
            Some(Ok(AgentMessage::Binary(bytes))) => self.session.on_agent(now, Frame::Binary(&bytes)),
            Some(Ok(AgentMessage::Close(close))) => {
                let (code, reason) = close.map_or((None, String::new()), |c| {
                    (Some(c.code.into()), c.reason.to_string())
                });
                self.agent = None;
                self.session.on_agent_closed(now, code, &reason);
                Relayed::Nothing
            }
            Some(Ok(_)) => Relayed::Nothing,
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

    /// Writes everything the session queued, then records how long the frame received at
    /// `received` took to cross the bridge.
    async fn flush(&mut self, received: Instant, relayed: Relayed, direction: Direction) {
        let limit = self.deps.write_timeout;
        let (mut to_twilio, mut to_agent) = (false, false);
        while let Some(transmit) = self.session.poll_transmit() {
            match transmit {
                Transmit::Caller(text) if !self.twilio_gone => {
                    to_twilio = true;
                    let written = bounded(limit, self.twilio.feed(ws::Message::Text(text.into()))).await;
                    self.after_twilio_write(written);
                }
                Transmit::Caller(_) => {}
                Transmit::Agent(text) => {
                    if let Some(agent) = self.agent.as_mut() {
                        to_agent = true;
                        let written = bounded(limit, agent.feed(AgentMessage::Text(text.into()))).await;
                        self.after_agent_write(written);
                    }
                }
            }
        }
        if to_twilio && !self.twilio_gone {
            let written = bounded(limit, self.twilio.flush()).await;
            self.after_twilio_write(written);
        }
        if to_agent && let Some(agent) = self.agent.as_mut() {
            let written = bounded(limit, agent.flush()).await;
            self.after_agent_write(written);
        }
        match relayed {
            Relayed::Audio => self.deps.metrics.relayed(direction, received.elapsed()),
            Relayed::Clear => self.deps.metrics.interruption(received.elapsed()),
            Relayed::Nothing => {}
        }
    }

    fn after_twilio_write(&mut self, written: Write) {
        match written {
            Write::Done => return,
            Write::Failed => {}
            Write::TimedOut => {
                tracing::warn!("Twilio stopped taking the media stream's frames; ending the call")
            }
        }
        self.twilio_gone = true;
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
    async fn handle_events(&mut self, attach: &mut impl Attach) -> Option<EndReason> {
        while let Some(event) = self.session.poll_event() {
            self.deps.observer.on_event(self.call_sid.as_deref(), &event);
            match event {
                Event::Started(started) => {
                    self.call_sid = Some(started.call_sid.clone());
                    self.deps.metrics.call_started();
                    self.attach(attach, &started).await;
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

    async fn attach(&mut self, attach: &mut impl Attach, started: &Started) {
        match attach.attach(started).await {
            Ok(attached) => {
                self.agent = Some(attached.socket);
                self.tool_context = attached.tool_context;
                let now = Instant::now();
                for held in attached.held {
                    match held {
                        Held::Text(text) => {
                            self.session.on_agent(now, Frame::Text(&text));
                        }
                        Held::Binary(bytes) => {
                            self.session.on_agent(now, Frame::Binary(&bytes));
                        }
                        Held::Closed(code, reason) => {
                            self.agent = None;
                            self.session.on_agent_closed(now, code, &reason);
                        }
                    }
                }
                self.flush(now, Relayed::Nothing, Direction::AgentToCaller).await;
            }
            Err(why) => {
                tracing::warn!(call_sid = %started.call_sid, %why, "no agent for the stream; ending it for the fallback");
                self.session
                    .on_agent_closed(Instant::now(), None, &why.to_string());
            }
        }
    }

    /// Closes both sockets: the agent's normally, Twilio's so that Twilio moves on to the
    /// `<Connect action>` URL.
    async fn close(&mut self) {
        for task in self.tools.iter() {
            task.abort();
        }
        let limit = self.deps.write_timeout;
        if let Some(mut agent) = self.agent.take() {
            let _ = bounded(limit, agent.close(None)).await;
        }
        if !self.twilio_gone {
            let _ = bounded(limit, self.twilio.send(ws::Message::Close(None))).await;
        }
    }
}
