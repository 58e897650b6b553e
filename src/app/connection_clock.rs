//! When an HTTP connection has waited too long, as a pure rule: the listener tells it what it
//! sees (requests begun and in flight, bytes read so far, `now`) and is told until when the connection
//! may stay, and why.
//!
//! A connection with no request in flight is either idle (nothing read since its last
//! response, or since it opened) and may stay for the idle timeout, or is sending a request's
//! headers (bytes arrived) and must finish them within the header timeout, counted from the
//! first byte. While a request is in flight no deadline applies here: the request timeout
//! bounds the handler. hyper's own header timer cannot be used for this, because it starts as
//! soon as the connection waits for a request, so it would close every idle keep-alive
//! connection after the header timeout.

use std::time::{Duration, Instant};

/// The limits a connection waits under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub header_read: Duration,
    pub idle: Duration,
}

/// What a connection was doing when its time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overdue {
    /// It sent nothing.
    Idle,
    /// It started a request and did not finish its headers.
    Headers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle { since: Instant, bytes_then: u64 },
    ReadingHeaders { since: Instant },
    Busy,
}

/// What the connection has done so far, as its listener counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Requests begun since the connection opened.
    pub requests: u64,
    /// Of them, those not answered yet.
    pub in_flight: usize,
    /// Bytes read since the connection opened.
    pub bytes_read: u64,
}

/// One connection's waiting, observed each time the connection makes progress.
#[derive(Debug)]
pub struct ConnectionClock {
    timeouts: Timeouts,
    phase: Phase,
    /// Requests begun when last observed: a request may begin and end between observations.
    requests_seen: u64,
}

impl ConnectionClock {
    /// A connection opened at `now`, nothing read yet.
    pub fn new(timeouts: Timeouts, now: Instant) -> Self {
        ConnectionClock {
            timeouts,
            phase: Phase::Idle {
                since: now,
                bytes_then: 0,
            },
            requests_seen: 0,
        }
    }

    /// The connection's `progress` at `now`: the instant past which it should be closed, and
    /// why; `None` while a request is in flight.
    pub fn observe(&mut self, now: Instant, progress: Progress) -> Option<(Instant, Overdue)> {
        let answered = progress.requests != self.requests_seen;
        self.requests_seen = progress.requests;
        let bytes_read = progress.bytes_read;
        if progress.in_flight > 0 {
            self.phase = Phase::Busy;
            return None;
        }
        self.phase = match self.phase {
            _ if answered => Phase::Idle {
                since: now,
                bytes_then: bytes_read,
            },
            Phase::Busy => Phase::Idle {
                since: now,
                bytes_then: bytes_read,
            },
            Phase::Idle { bytes_then, .. } if bytes_read > bytes_then => Phase::ReadingHeaders { since: now },
            waiting => waiting,
        };
        match self.phase {
            Phase::Idle { since, .. } => Some((since + self.timeouts.idle, Overdue::Idle)),
            Phase::ReadingHeaders { since } => Some((since + self.timeouts.header_read, Overdue::Headers)),
            Phase::Busy => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUTS: Timeouts = Timeouts {
        header_read: Duration::from_secs(10),
        idle: Duration::from_secs(60),
    };

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn progress(requests: u64, in_flight: usize, bytes_read: u64) -> Progress {
        Progress {
            requests,
            in_flight,
            bytes_read,
        }
    }

    #[test]
    fn a_silent_connection_gets_the_idle_timeout_from_when_it_opened() {
        let t0 = Instant::now();
        let mut clock = ConnectionClock::new(TIMEOUTS, t0);
        assert_eq!(
            clock.observe(t0, progress(0, 0, 0)),
            Some((t0 + secs(60), Overdue::Idle))
        );
        assert_eq!(
            clock.observe(t0 + secs(30), progress(0, 0, 0)),
            Some((t0 + secs(60), Overdue::Idle))
        );
    }

    #[test]
    fn headers_begun_must_end_within_the_header_timeout_of_their_first_byte() {
        let t0 = Instant::now();
        let mut clock = ConnectionClock::new(TIMEOUTS, t0);
        clock.observe(t0, progress(0, 0, 0));
        let first_byte = t0 + secs(20);
        assert_eq!(
            clock.observe(first_byte, progress(0, 0, 12)),
            Some((first_byte + secs(10), Overdue::Headers))
        );
        // More bytes do not buy more time.
        assert_eq!(
            clock.observe(first_byte + secs(5), progress(0, 0, 40)),
            Some((first_byte + secs(10), Overdue::Headers))
        );
    }

    #[test]
    fn no_deadline_while_a_request_is_in_flight_and_idle_again_after_it() {
        let t0 = Instant::now();
        let mut clock = ConnectionClock::new(TIMEOUTS, t0);
        clock.observe(t0, progress(0, 0, 30));
        assert_eq!(clock.observe(t0 + secs(1), progress(1, 1, 200)), None);
        assert_eq!(clock.observe(t0 + secs(300), progress(1, 1, 200)), None);
        let done = t0 + secs(301);
        assert_eq!(
            clock.observe(done, progress(1, 0, 200)),
            Some((done + secs(60), Overdue::Idle))
        );
        let next_request = done + secs(40);
        assert_eq!(
            clock.observe(next_request, progress(1, 0, 230)),
            Some((next_request + secs(10), Overdue::Headers))
        );
    }

    #[test]
    fn a_request_begun_and_answered_between_two_looks_leaves_the_connection_idle() {
        let t0 = Instant::now();
        let mut clock = ConnectionClock::new(TIMEOUTS, t0);
        clock.observe(t0, progress(0, 0, 0));
        let answered = t0 + secs(2);
        assert_eq!(
            clock.observe(answered, progress(1, 0, 80)),
            Some((answered + secs(60), Overdue::Idle)),
            "not headers begun"
        );
        let again = answered + secs(1);
        assert_eq!(
            clock.observe(again, progress(2, 0, 160)),
            Some((again + secs(60), Overdue::Idle))
        );
    }
}
