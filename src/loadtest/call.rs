//! One simulated Twilio call of a load test, as one task: the signed voice webhook, the
//! signed media-stream handshake, `connected` and `start` with the TwiML's `<Parameter>`s,
//! then a looped fixture in real-time 20 ms frames until the run ends, with what comes back
//! played Twilio's way (marks echoed when reached, `clear` honoured; see
//! [`MarkClock`](crate::sim::caller::playout::MarkClock)). Echoes are read cheaply where
//! their shape allows ([`echo`](super::echo)). Optionally the caller presses `*`
//! every so often, which an echo agent answers with an interruption, to time the `clear`.
//!
//! Everything it measures goes into its own [`CallStats`]; the shared [`Live`] counters see
//! batched frame counts only.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use base64::Engine;
use futures::{SinkExt, StreamExt};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

use super::audio::CallerAudio;
use super::echo::{self, Echo, EchoPayload};
use super::live::{FrameTally, Live};
use super::matcher::{EchoMatcher, Matching, RoundTrip};
use super::message::TaggedMedia;
use super::stats::{CallOutcome, CallStats, Stage};
use super::tag::TAG_BYTES;
use crate::sim::caller::playout::MarkClock;
use crate::sim::caller::stream::{self, CallerMessages, FRAME, FRAME_BYTES, Socket, echo_marks};
use crate::sim::caller::webhook::WebhookError;
use crate::sim::caller::{InboundCall, Webhooks, random_sid};
use crate::wire::twilio::StreamMessage;
use crate::wire::twiml;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// Read buffer per stream. tungstenite zero-fills the buffer's free room before every read
/// attempt, including the attempts that find nothing (a call polls its socket on every
/// wake-up, its frame clock's too): with 4 KiB that was a quarter of the load generator's
/// instructions. An echo is about 300 bytes, so 1 KiB still reads three at once; larger
/// messages arrive over several reads.
const READ_BUFFER: usize = 1024;
/// How long hanging up may take before the socket is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the webhook, and then the stream handshake, may take before the call gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// What every call of a run shares.
pub struct CallSetup {
    pub webhook_url: String,
    pub to: String,
    pub from: String,
    pub account_sid: String,
    pub hooks: Webhooks,
    pub audio: CallerAudio,
    pub interrupt_every: Option<Duration>,
    /// `None` chooses per call from the first frame back.
    pub matching: Option<Matching>,
    /// After the last frame, how long to wait for the echoes still on their way.
    pub drain: Duration,
    pub live: Arc<Live>,
}

/// Places call number `index` and streams until the run ends.
pub async fn run(setup: Arc<CallSetup>, index: u64) -> CallStats {
    let live = &setup.live;
    live.calls_placed.fetch_add(1, Relaxed);
    let stats = connect_and_stream(&setup, index).await;
    match &stats.outcome {
        CallOutcome::FailedToConnect { .. } => {
            live.calls_failed.fetch_add(1, Relaxed);
        }
        CallOutcome::Dropped { .. } => {
            live.calls_dropped.fetch_add(1, Relaxed);
        }
        CallOutcome::Refused { .. } => {
            live.calls_refused.fetch_add(1, Relaxed);
        }
        CallOutcome::Completed => {}
    }
    stats
}

async fn connect_and_stream(setup: &CallSetup, index: u64) -> CallStats {
    let call_sid = random_sid("CA");
    let call = InboundCall {
        call_sid: &call_sid,
        account_sid: &setup.account_sid,
        from: &setup.from,
        to: &setup.to,
    };
    let params = call.params("ringing");
    let asked = Instant::now();
    let posted = setup.hooks.post(&setup.webhook_url, &params);
    let answer = match tokio::time::timeout(CONNECT_TIMEOUT, posted).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(WebhookError::Status { status, .. })) => {
            return CallStats::failed(Stage::Webhook, format!("HTTP {status}"));
        }
        Ok(Err(e)) => return CallStats::failed(Stage::Webhook, e.to_string()),
        Err(_) => return CallStats::failed(Stage::Webhook, "no answer in time"),
    };
    let webhook_us = asked.elapsed().as_micros() as u64;
    let connect = match twiml::parse_connect(&answer) {
        Ok(Some(connect)) => connect,
        Ok(None) => {
            return match twiml::response_verbs(&answer) {
                Ok(Some(verbs)) => CallStats::refused(&verbs, webhook_us),
                _ => CallStats::failed(Stage::Twiml, "no <Connect><Stream> in the answer"),
            };
        }
        Err(e) => return CallStats::failed(Stage::Twiml, e.to_string()),
    };

    let opened = Instant::now();
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let handshake = stream::open(&setup.hooks, &connect.stream_url, Some(config));
    let mut socket = match tokio::time::timeout(CONNECT_TIMEOUT, handshake).await {
        Ok(Ok(socket)) => socket,
        Ok(Err(e)) => return CallStats::failed(Stage::Stream, e.to_string()),
        Err(_) => return CallStats::failed(Stage::Stream, "no handshake in time"),
    };
    let stream_connect_us = opened.elapsed().as_micros() as u64;
    let mut messages = CallerMessages::new(&random_sid("MZ"));
    let start = messages.start(&setup.account_sid, &call_sid, &connect.parameters);
    for message in [CallerMessages::connected(), start] {
        if let Err(e) = socket.send(Message::Text(message.into())).await {
            return CallStats::failed(Stage::Stream, e.to_string());
        }
    }

    let live = &setup.live;
    live.calls_connected.fetch_add(1, Relaxed);
    live.calls_active.fetch_add(1, Relaxed);
    let mut call = Streaming::new(setup, messages, index);
    call.stats.webhook_us = Some(webhook_us);
    call.stats.stream_connect_us = Some(stream_connect_us);
    let outcome = call.stream(&mut socket).await;
    live.calls_active.fetch_sub(1, Relaxed);
    if outcome == CallOutcome::Completed {
        let stop = call.messages.stop(&setup.account_sid, &call_sid);
        hang_up(&mut socket, stop).await;
    }
    call.finish(outcome)
}

async fn hang_up(socket: &mut Socket, stop: String) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        let _ = socket.send(Message::Text(stop.into())).await;
        let _ = socket.close(None).await;
    })
    .await;
}

/// A call while its media stream is up.
struct Streaming<'s> {
    setup: &'s CallSetup,
    live: &'s Live,
    messages: CallerMessages,
    media: TaggedMedia,
    matcher: EchoMatcher,
    playback: MarkClock,
    stats: CallStats,
    tally: FrameTally,
    index: u64,
    /// Where in the fixture loop this call starts, so calls don't all say the same thing.
    audio_offset: u64,
    started_us: u64,
    /// A frame's decoded audio, when it has to be decoded.
    decoded: Vec<u8>,
    /// When each `*` still waiting for its `clear` was pressed, in µs since the run began.
    presses: VecDeque<u64>,
}

impl<'s> Streaming<'s> {
    fn new(setup: &'s CallSetup, messages: CallerMessages, index: u64) -> Self {
        let live = &*setup.live;
        Streaming {
            setup,
            live,
            messages,
            media: TaggedMedia::default(),
            matcher: EchoMatcher::new(setup.matching),
            playback: MarkClock::default(),
            stats: CallStats::new(),
            tally: FrameTally::default(),
            index,
            audio_offset: index.wrapping_mul(37) % setup.audio.len() as u64,
            started_us: live.now_us(),
            decoded: Vec::with_capacity(4 * FRAME_BYTES),
            presses: VecDeque::new(),
        }
    }

    /// Streams until the run says stop and the echoes are back, or the stream breaks.
    async fn stream(&mut self, socket: &mut Socket) -> CallOutcome {
        // Real calls start at random moments, so their 20 ms clocks are out of step. Calls
        // placed at a steady rate would otherwise tick together (at 50 calls/s, exactly in
        // step) and every frame of every call would reach the bridge in one burst.
        let mut ticker = tokio::time::interval_at(Instant::now() + frame_phase(self.index), FRAME);
        // Twilio keeps the audio clock: frames delayed here go out back to back.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let every = self.setup.interrupt_every;
        // One timer each for the key presses and the drain, reset when they fire: a timer
        // made afresh on every pass of the loop would be registered and removed twice a frame.
        let first_press = every.map(|e| Instant::now() + e.mul_f64(rand::random::<f64>()));
        let press = tokio::time::sleep_until(first_press.unwrap_or_else(Instant::now));
        let drain = tokio::time::sleep_until(Instant::now());
        tokio::pin!(press, drain);
        let mut draining = false;
        let mut drain_until: Option<Instant> = None;
        loop {
            tokio::select! {
                biased;
                message = socket.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        if let Err(e) = self.on_text(socket, text.as_str()).await {
                            return self.broken(drain_until, e.to_string());
                        }
                    }
                    Some(Ok(Message::Binary(_))) => self.stats.bad_messages += 1,
                    Some(Ok(Message::Close(_))) | None => {
                        return self.broken(drain_until, "the bridge closed the stream".into());
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return self.broken(drain_until, e.to_string()),
                },
                scheduled = ticker.tick(), if !draining => {
                    let now = Instant::now();
                    if self.live.should_stop(self.live.us_at(now.into_std())) {
                        self.matcher.stop_sending();
                        let until = now + self.setup.drain;
                        drain.as_mut().reset(until);
                        drain_until = Some(until);
                        draining = true;
                        continue;
                    }
                    if let Err(e) = self.send_frame(socket, scheduled, now).await {
                        return CallOutcome::Dropped { error: e.to_string() };
                    }
                }
                _ = &mut press, if every.is_some() && !draining => {
                    let dtmf = self.messages.dtmf("*");
                    self.presses.push_back(self.live.now_us());
                    self.stats.interruptions_sent += 1;
                    if let Err(e) = socket.send(Message::Text(dtmf.into())).await {
                        return CallOutcome::Dropped { error: e.to_string() };
                    }
                    if let Some(every) = every {
                        let next = press.deadline() + every;
                        press.as_mut().reset(next);
                    }
                }
                _ = &mut drain, if draining => return CallOutcome::Completed,
            }
            if draining && self.matcher.all_back() {
                return CallOutcome::Completed;
            }
        }
    }

    /// A stream that broke while draining has done its work; before that, it dropped.
    fn broken(&self, drain_until: Option<Instant>, error: String) -> CallOutcome {
        match drain_until {
            Some(_) => CallOutcome::Completed,
            None => CallOutcome::Dropped { error },
        }
    }

    /// Sends the next frame, due at `scheduled`, at `now`.
    async fn send_frame(
        &mut self,
        socket: &mut Socket,
        scheduled: Instant,
        now: Instant,
    ) -> Result<(), tungstenite::Error> {
        let seq = self.matcher.next_seq();
        let audio_index = self.audio_offset + u64::from(seq);
        let text = self
            .media
            .write(&mut self.messages, &self.setup.audio, audio_index, seq);
        self.stats
            .send_lag
            .saturating_record(now.saturating_duration_since(scheduled).as_micros().max(1) as u64);
        self.matcher.sent(self.live.us_at(now.into_std()));
        self.tally.sent(self.live, websocket_client_frame_len(text.len()));
        socket.send(Message::Text(text)).await?;
        // Twilio plays what it holds in real time, one frame per frame sent.
        let (_, passed) = self.playback.play(FRAME_BYTES);
        self.stats.marks_echoed += echo_marks(socket, &mut self.messages, passed).await?;
        Ok(())
    }

    async fn on_text(&mut self, socket: &mut Socket, text: &str) -> Result<(), tungstenite::Error> {
        let now_us = self.live.now_us();
        // Nearly every message is an echoed frame: read without a parse where its shape
        // allows. Any other text, and a payload that is not base64, takes the full parse.
        if let Some(payload) = echo::media_payload(text)
            && self.on_payload(payload, now_us)
        {
            return Ok(());
        }
        match StreamMessage::parse(text) {
            Ok(StreamMessage::Media { media, .. }) => {
                if !self.on_payload(&media.payload, now_us) {
                    self.stats.bad_messages += 1;
                }
            }
            Ok(StreamMessage::Mark { mark, .. }) => {
                let reached = self.playback.push_mark(mark.name.into_owned());
                self.stats.marks_echoed += echo_marks(socket, &mut self.messages, reached).await?;
            }
            Ok(StreamMessage::Clear { .. }) => {
                self.stats.clears += 1;
                match self.presses.pop_front() {
                    Some(pressed) => self
                        .stats
                        .interruption_to_clear_us
                        .push(now_us.saturating_sub(pressed).min(u64::from(u32::MAX)) as u32),
                    None => self.stats.unexpected_clears += 1,
                }
                let flushed = self.playback.clear();
                self.stats.marks_echoed += echo_marks(socket, &mut self.messages, flushed).await?;
            }
            _ => self.stats.bad_messages += 1,
        }
        Ok(())
    }

    /// One echoed frame, `payload` its base64; `false`, with nothing counted, if the payload
    /// is not base64.
    fn on_payload(&mut self, payload: &str, now_us: u64) -> bool {
        let (audio, offset) = (&self.setup.audio, self.audio_offset);
        // `None`: the payload was, character for character, the base64 of the frame its tag
        // names, so it is intact and needs no decoding.
        let (echo, decoded) = match EchoPayload::read(payload, audio, offset) {
            EchoPayload::Intact { seq } => (EchoPayload::intact_echo(seq), None),
            EchoPayload::NeedsDecoding => {
                self.decoded.clear();
                if B64.decode_vec(payload, &mut self.decoded).is_err() {
                    return false;
                }
                (Echo::of_audio(&self.decoded), Some(&self.decoded[..]))
            }
        };
        if self.stats.first_audio_us.is_none() {
            self.stats.first_audio_us = Some(now_us.saturating_sub(self.started_us));
        }
        let intact = |seq: u32| {
            decoded.is_none_or(|bytes| {
                bytes.get(TAG_BYTES..) == Some(&audio.frame(offset + u64::from(seq))[TAG_BYTES..])
            })
        };
        let (live, stats) = (self.live, &mut self.stats);
        self.matcher
            .received(echo, now_us, intact, |trip| record(stats, live, trip));
        self.playback.push_audio(echo.len);
        self.tally.received(self.live);
        true
    }

    fn finish(mut self, outcome: CallOutcome) -> CallStats {
        self.tally.flush(self.live);
        let (live, mut stats) = (self.live, self.stats);
        let (matching, frames) = self.matcher.finish(|trip| record(&mut stats, live, trip));
        stats.matching = matching;
        stats.frames = frames;
        stats.outcome = outcome;
        stats
    }
}

fn record(stats: &mut CallStats, live: &Live, trip: RoundTrip) {
    stats.rtt_timeline.record(trip.sent_us, trip.rtt_us);
    let histogram = if live.in_steady_window(trip.sent_us) {
        &mut stats.rtt_steady
    } else {
        &mut stats.rtt_ramp
    };
    histogram.saturating_record(trip.rtt_us.max(1));
}

/// Bytes on the wire of a client's WebSocket message of `payload` bytes (RFC 6455 §5.2): two
/// bytes of header, the extended length (2 or 8 bytes) beyond 125 and 65,535 bytes, and the
/// 4-byte mask every client frame carries.
fn websocket_client_frame_len(payload: usize) -> u64 {
    let extended = match payload {
        0..=125 => 0,
        126..=65_535 => 2,
        _ => 8,
    };
    (2 + extended + 4 + payload) as u64
}

/// Where in the 20 ms frame period call `index` sends: the golden-ratio sequence spreads
/// any number of calls evenly over the period, each new one in the largest gap left.
fn frame_phase(index: u64) -> Duration {
    const GOLDEN_FRACTION: f64 = 0.618_033_988_749_895;
    FRAME.mul_f64((index as f64 * GOLDEN_FRACTION).fract())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_carry_header_extended_length_and_mask() {
        assert_eq!(websocket_client_frame_len(0), 6);
        assert_eq!(websocket_client_frame_len(125), 131);
        assert_eq!(websocket_client_frame_len(126), 134);
        assert_eq!(websocket_client_frame_len(330), 338);
        assert_eq!(websocket_client_frame_len(65_535), 65_543);
        assert_eq!(websocket_client_frame_len(65_536), 65_550);
    }

    #[test]
    fn frame_phases_spread_calls_over_the_period() {
        for calls in [2u64, 10, 50, 1000] {
            let mut phases: Vec<Duration> = (0..calls).map(frame_phase).collect();
            assert!(phases.iter().all(|p| *p < FRAME));
            phases.sort();
            let widest = phases
                .windows(2)
                .map(|w| w[1] - w[0])
                .chain([FRAME - phases[phases.len() - 1] + phases[0]])
                .max()
                .unwrap();
            // Evenly spread would leave FRAME / calls between neighbours; the golden-ratio
            // sequence never leaves more than about 2.6 times that.
            assert!(
                widest <= FRAME.mul_f64(2.7 / calls as f64),
                "{calls} calls: {widest:?}"
            );
        }
    }
}
