//! What one simulated call measured, and the sum over all calls.
//!
//! Each call keeps its own histograms (no lock or shared cache line per frame); they are
//! merged once, at the end. Histograms hold microseconds with two significant digits (1 %
//! resolution, about 10 KiB per histogram at 32-bit counts), from 1 µs to a minute.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use super::matcher::{MatchCounts, Matching};
use super::timeline::{CallTimeline, Timeline};

/// Largest duration a histogram tracks, in µs; longer ones are recorded as this.
const HISTOGRAM_MAX_US: u64 = 60_000_000;
const SIGNIFICANT_DIGITS: u8 = 2;

/// A histogram with the load test's bounds and precision.
pub fn histogram<T: hdrhistogram::Counter>() -> Histogram<T> {
    Histogram::new_with_bounds(1, HISTOGRAM_MAX_US, SIGNIFICANT_DIGITS).expect("the bounds are valid")
}

/// Where a call that never streamed gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The voice webhook failed or answered an error.
    Webhook,
    /// The webhook's TwiML had no `<Connect><Stream>`.
    Twiml,
    /// The media-stream WebSocket could not be opened.
    Stream,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Webhook => "webhook",
            Stage::Twiml => "twiml",
            Stage::Stream => "stream",
        })
    }
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// Streamed until the end of the run and hung up.
    Completed,
    /// The bridge answered the webhook with TwiML that connects no stream (a busy line, a
    /// number not in service): a clean refusal, not a failure.
    Refused { verbs: String },
    /// Never got a media stream going.
    FailedToConnect { stage: Stage, error: String },
    /// The stream broke or the bridge closed it before the end of the run.
    Dropped { error: String },
}

/// Everything one call measured.
#[derive(Debug)]
pub struct CallStats {
    pub outcome: CallOutcome,
    pub matching: Option<Matching>,
    pub frames: MatchCounts,
    /// Echo round trips of frames sent while every call was up.
    pub rtt_steady: Histogram<u32>,
    /// Echo round trips of frames sent while calls were still being placed or ending.
    pub rtt_ramp: Histogram<u32>,
    /// How late each frame left after its 20 ms tick: the load generator's own delay.
    pub send_lag: Histogram<u32>,
    /// Every round trip, by the 10 s window it was sent in.
    pub rtt_timeline: CallTimeline,
    pub webhook_us: Option<u64>,
    pub stream_connect_us: Option<u64>,
    /// From `start` sent to the first audio back.
    pub first_audio_us: Option<u64>,
    pub interruptions_sent: u64,
    /// From each DTMF `*` sent to the `clear` that answered it.
    pub interruption_to_clear_us: Vec<u32>,
    pub clears: u64,
    /// `clear`s with no key press waiting for one.
    pub unexpected_clears: u64,
    pub marks_echoed: u64,
    /// Messages from the bridge that were not valid Twilio stream messages.
    pub bad_messages: u64,
}

impl CallStats {
    pub fn new() -> Self {
        CallStats {
            outcome: CallOutcome::Completed,
            matching: None,
            frames: MatchCounts::default(),
            rtt_steady: histogram(),
            rtt_ramp: histogram(),
            send_lag: histogram(),
            rtt_timeline: CallTimeline::default(),
            webhook_us: None,
            stream_connect_us: None,
            first_audio_us: None,
            interruptions_sent: 0,
            interruption_to_clear_us: Vec::new(),
            clears: 0,
            unexpected_clears: 0,
            marks_echoed: 0,
            bad_messages: 0,
        }
    }

    pub fn failed(stage: Stage, error: impl Into<String>) -> Self {
        CallStats {
            outcome: CallOutcome::FailedToConnect {
                stage,
                error: error.into(),
            },
            ..CallStats::new()
        }
    }

    /// A call the bridge refused in TwiML after `webhook_us`; `verbs` is what it answered.
    pub fn refused(verbs: &[String], webhook_us: u64) -> Self {
        CallStats {
            outcome: CallOutcome::Refused {
                verbs: verbs.join(", "),
            },
            webhook_us: Some(webhook_us),
            ..CallStats::new()
        }
    }

    /// Whether the call got its media stream going.
    pub fn connected(&self) -> bool {
        matches!(self.outcome, CallOutcome::Completed | CallOutcome::Dropped { .. })
    }
}

impl Default for CallStats {
    fn default() -> Self {
        CallStats::new()
    }
}

/// Calls by how they went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallCounts {
    pub attempted: u64,
    pub connected: u64,
    pub completed: u64,
    pub failed_to_connect: u64,
    pub dropped: u64,
    /// Answered in TwiML without a stream: refused cleanly (e.g. over capacity).
    #[serde(default)]
    pub refused: u64,
}

/// Calls by how their echoes were paired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MatchingCounts {
    pub tag: u64,
    pub order: u64,
    /// Calls that got no audio back at all.
    pub none: u64,
}

/// The sum of every call.
#[derive(Debug)]
pub struct Totals {
    pub calls: CallCounts,
    /// Failure and drop reasons, `"<stage>: <error>"`, with how many calls gave each.
    pub failures: BTreeMap<String, u64>,
    pub matching: MatchingCounts,
    pub frames: MatchCounts,
    pub rtt_steady: Histogram<u64>,
    pub rtt_ramp: Histogram<u64>,
    pub send_lag: Histogram<u64>,
    pub rtt_timeline: Timeline,
    pub webhook: Histogram<u64>,
    /// Webhook answer times of the refused calls alone.
    pub refusal: Histogram<u64>,
    /// What refused calls were answered with, and how many were.
    pub refusals: BTreeMap<String, u64>,
    pub stream_connect: Histogram<u64>,
    pub first_audio: Histogram<u64>,
    pub interruption_to_clear: Histogram<u64>,
    pub interruptions_sent: u64,
    pub clears: u64,
    pub unexpected_clears: u64,
    pub marks_echoed: u64,
    pub bad_messages: u64,
}

impl Default for Totals {
    fn default() -> Self {
        Totals {
            calls: CallCounts::default(),
            failures: BTreeMap::new(),
            matching: MatchingCounts::default(),
            frames: MatchCounts::default(),
            rtt_steady: histogram(),
            rtt_ramp: histogram(),
            send_lag: histogram(),
            rtt_timeline: Timeline::default(),
            webhook: histogram(),
            refusal: histogram(),
            refusals: BTreeMap::new(),
            stream_connect: histogram(),
            first_audio: histogram(),
            interruption_to_clear: histogram(),
            interruptions_sent: 0,
            clears: 0,
            unexpected_clears: 0,
            marks_echoed: 0,
            bad_messages: 0,
        }
    }
}

impl Totals {
    /// Adds one call.
    pub fn add(&mut self, call: &CallStats) {
        self.calls.attempted += 1;
        match &call.outcome {
            CallOutcome::Completed => {
                self.calls.connected += 1;
                self.calls.completed += 1;
            }
            CallOutcome::Refused { verbs } => {
                self.calls.refused += 1;
                *self.refusals.entry(verbs.clone()).or_default() += 1;
                if let Some(us) = call.webhook_us {
                    self.refusal.saturating_record(us.max(1));
                }
            }
            CallOutcome::FailedToConnect { stage, error } => {
                self.calls.failed_to_connect += 1;
                *self.failures.entry(format!("{stage}: {error}")).or_default() += 1;
            }
            CallOutcome::Dropped { error } => {
                self.calls.connected += 1;
                self.calls.dropped += 1;
                *self.failures.entry(format!("dropped: {error}")).or_default() += 1;
            }
        }
        if call.connected() {
            match call.matching {
                Some(Matching::Tag) => self.matching.tag += 1,
                Some(Matching::Order) => self.matching.order += 1,
                None => self.matching.none += 1,
            }
        }
        let (t, f) = (&mut self.frames, &call.frames);
        t.sent += f.sent;
        t.received += f.received;
        t.lost += f.lost;
        t.lost_before_first_echo += f.lost_before_first_echo;
        t.lost_at_hang_up += f.lost_at_hang_up;
        t.out_of_order += f.out_of_order;
        t.duplicated += f.duplicated;
        t.corrupted += f.corrupted;
        t.late += f.late;
        t.unmatched += f.unmatched;
        t.sent_bytes += f.sent_bytes;
        t.received_bytes += f.received_bytes;
        merge(&mut self.rtt_steady, &call.rtt_steady);
        merge(&mut self.rtt_ramp, &call.rtt_ramp);
        merge(&mut self.send_lag, &call.send_lag);
        self.rtt_timeline.add(&call.rtt_timeline);
        for (total, value) in [
            (&mut self.webhook, call.webhook_us),
            (&mut self.stream_connect, call.stream_connect_us),
            (&mut self.first_audio, call.first_audio_us),
        ] {
            if let Some(us) = value {
                total.saturating_record(us.max(1));
            }
        }
        for &us in &call.interruption_to_clear_us {
            self.interruption_to_clear.saturating_record(u64::from(us).max(1));
        }
        self.interruptions_sent += call.interruptions_sent;
        self.clears += call.clears;
        self.unexpected_clears += call.unexpected_clears;
        self.marks_echoed += call.marks_echoed;
        self.bad_messages += call.bad_messages;
    }
}

/// Adds a call's 32-bit histogram into a total of the same bounds.
fn merge(total: &mut Histogram<u64>, part: &Histogram<u32>) {
    for bucket in part.iter_recorded() {
        total.saturating_record_n(bucket.value_iterated_to(), u64::from(bucket.count_at_value()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_with(rtts: &[u64], sent: u64, lost: u64) -> CallStats {
        let mut call = CallStats::new();
        for &us in rtts {
            call.rtt_steady.saturating_record(us);
        }
        call.matching = Some(Matching::Tag);
        call.frames.sent = sent;
        call.frames.received = sent - lost;
        call.frames.lost = lost;
        call.webhook_us = Some(3_000);
        call
    }

    #[test]
    fn merged_histograms_keep_every_count_and_the_quantiles() {
        let mut totals = Totals::default();
        // 1000 frames at 1..=1000 µs over two calls, split unevenly.
        let first: Vec<u64> = (1..=300).collect();
        let second: Vec<u64> = (301..=1000).collect();
        totals.add(&call_with(&first, 300, 0));
        totals.add(&call_with(&second, 702, 2));
        assert_eq!(totals.rtt_steady.len(), 1000);
        for (q, truth) in [(0.5, 500.0), (0.9, 900.0), (0.99, 990.0)] {
            let got = totals.rtt_steady.value_at_quantile(q) as f64;
            assert!((got - truth).abs() / truth < 0.02, "q{q}: {got} vs {truth}");
        }
        assert!(totals.rtt_steady.max() >= 1000 && totals.rtt_steady.max() < 1010);
        assert_eq!((totals.frames.sent, totals.frames.lost), (1002, 2));
        assert_eq!(totals.webhook.len(), 2);
        assert_eq!(totals.matching.tag, 2);
        assert_eq!(totals.calls.completed, 2);
    }

    #[test]
    fn refusals_are_counted_apart_from_failures_with_their_answer_times() {
        let mut totals = Totals::default();
        let busy = ["Say".to_owned(), "Hangup".to_owned()];
        totals.add(&CallStats::refused(&busy, 40_000));
        totals.add(&CallStats::refused(&busy, 900_000));
        totals.add(&call_with(&[500], 10, 0));
        assert_eq!((totals.calls.refused, totals.calls.failed_to_connect), (2, 0));
        assert_eq!((totals.calls.connected, totals.calls.completed), (1, 1));
        assert_eq!(totals.refusals["Say, Hangup"], 2);
        assert_eq!(totals.refusal.len(), 2);
        assert!(totals.refusal.max() >= 900_000 && totals.refusal.max() < 910_000);
        assert_eq!(totals.webhook.len(), 3, "every answer is a webhook answer");
        assert_eq!(totals.matching.tag, 1, "refused calls matched nothing");
    }

    #[test]
    fn failures_are_grouped_by_stage_and_error() {
        let mut totals = Totals::default();
        totals.add(&CallStats::failed(Stage::Webhook, "HTTP 503"));
        totals.add(&CallStats::failed(Stage::Webhook, "HTTP 503"));
        totals.add(&CallStats::failed(Stage::Stream, "refused"));
        let dropped = CallStats {
            outcome: CallOutcome::Dropped {
                error: "closed by the bridge".into(),
            },
            ..CallStats::new()
        };
        totals.add(&dropped);
        assert_eq!(
            totals.calls,
            CallCounts {
                attempted: 4,
                connected: 1,
                completed: 0,
                failed_to_connect: 3,
                dropped: 1,
                refused: 0,
            }
        );
        assert_eq!(totals.failures["webhook: HTTP 503"], 2);
        assert_eq!(totals.failures["stream: refused"], 1);
        assert_eq!(totals.failures["dropped: closed by the bridge"], 1);
        assert_eq!(totals.matching.none, 1, "only connected calls are counted");
    }

    #[test]
    fn a_call_histogram_is_small() {
        let h = histogram::<u32>();
        // 2 significant digits up to a minute: a few thousand 32-bit counters.
        assert!(h.distinct_values() < 4_000, "{}", h.distinct_values());
    }
}
