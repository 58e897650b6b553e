//! How many connections the HTTP listener holds: a cap on all of them (a semaphore's
//! permits) and on those of one client address, so that idle or hostile sockets cannot use up
//! the process's file descriptors and shut out Twilio's webhooks and `/healthz`. A connection
//! over either cap is closed as soon as it is accepted; the refusals are counted, and logged
//! at most once per interval ([`RefusalLog`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::telephony::{ConnectionRefusal, Metrics};

/// Descriptors kept for everything but inbound connections: the database pool, the listener,
/// logs, the agents' connections being opened.
const DESCRIPTORS_RESERVED: u64 = 64;
/// An "unlimited" descriptor limit is counted as this many.
const DESCRIPTORS_CEILING: u64 = 1 << 20;

/// The connection cap when none is configured: half the descriptors the process may open
/// (each call holds Twilio's socket and the agent's), less a reserve.
pub fn default_max_connections() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the limit into the struct it is given, nothing else.
    let soft = match unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } {
        0 => limit.rlim_cur,
        _ => 1024,
    };
    let usable = soft.min(DESCRIPTORS_CEILING).saturating_sub(DESCRIPTORS_RESERVED) / 2;
    usize::try_from(usable.max(1)).unwrap_or(usize::MAX)
}

/// Connections held per client address.
type ByAddress = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// The caps, shared by the accept loop and the connections' slots.
pub struct ConnectionLimits {
    total: Arc<Semaphore>,
    per_address: usize,
    by_address: ByAddress,
    metrics: Arc<Metrics>,
}

/// A connection's place under the caps, given back when it is dropped (with the connection's
/// socket, so a media stream keeps its place for the whole call).
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    address: Option<(IpAddr, ByAddress)>,
    metrics: Arc<Metrics>,
}

impl ConnectionLimits {
    /// `max` connections in all, `per_address` from one address (0: no such limit).
    pub fn new(max: usize, per_address: usize, metrics: Arc<Metrics>) -> Self {
        ConnectionLimits {
            total: Arc::new(Semaphore::new(max.clamp(1, Semaphore::MAX_PERMITS))),
            per_address,
            by_address: Arc::default(),
            metrics,
        }
    }

    /// A place for a connection from `address`, or the limit it meets (counted).
    pub fn admit(&self, address: IpAddr) -> Result<Slot, ConnectionRefusal> {
        let refused = |why| {
            self.metrics.http_refused(why);
            Err(why)
        };
        let Ok(permit) = self.total.clone().try_acquire_owned() else {
            return refused(ConnectionRefusal::MaxConnections);
        };
        let address = match self.per_address {
            0 => None,
            cap => {
                let mut by_address = self.by_address.lock().expect("connections by address");
                let held = by_address.entry(address).or_insert(0);
                if *held >= cap {
                    return refused(ConnectionRefusal::MaxConnectionsPerAddress);
                }
                *held += 1;
                Some((address, self.by_address.clone()))
            }
        };
        self.metrics.http_connection(true);
        Ok(Slot {
            _permit: permit,
            address,
            metrics: self.metrics.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.metrics.http_connection(false);
        if let Some((address, by_address)) = self.address.take() {
            let mut by_address = by_address.lock().expect("connections by address");
            if let Some(held) = by_address.get_mut(&address) {
                *held -= 1;
                if *held == 0 {
                    by_address.remove(&address);
                }
            }
        }
    }
}

/// Refusals logged at most once per interval, with how many there were since the last line:
/// a flood must not turn into a flood of log lines.
#[derive(Debug)]
pub struct RefusalLog {
    every: Duration,
    last_line: Option<Instant>,
    unlogged: u64,
}

impl RefusalLog {
    pub fn new(every: Duration) -> Self {
        RefusalLog {
            every,
            last_line: None,
            unlogged: 0,
        }
    }

    /// A refusal at `now`: how many refusals to report in a log line now (this one
    /// included), or `None` when the line waits.
    pub fn refused(&mut self, now: Instant) -> Option<u64> {
        self.unlogged += 1;
        if self.last_line.is_some_and(|last| now < last + self.every) {
            return None;
        }
        self.last_line = Some(now);
        Some(std::mem::take(&mut self.unlogged))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn the_total_cap_refuses_past_it_and_frees_a_place_when_a_connection_closes() {
        let metrics = Arc::new(Metrics::new());
        let limits = ConnectionLimits::new(2, 0, metrics.clone());
        let first = limits.admit(ip(1)).unwrap();
        let _second = limits.admit(ip(2)).unwrap();
        assert_eq!(limits.admit(ip(3)).err(), Some(ConnectionRefusal::MaxConnections));
        assert_eq!(metrics.http_connections(), 2);
        assert_eq!(metrics.http_refused_count(ConnectionRefusal::MaxConnections), 1);
        drop(first);
        assert_eq!(metrics.http_connections(), 1);
        assert!(limits.admit(ip(3)).is_ok());
    }

    #[test]
    fn one_address_cannot_take_more_than_its_share() {
        let metrics = Arc::new(Metrics::new());
        let limits = ConnectionLimits::new(10, 2, metrics.clone());
        let first = limits.admit(ip(1)).unwrap();
        let _second = limits.admit(ip(1)).unwrap();
        assert_eq!(
            limits.admit(ip(1)).err(),
            Some(ConnectionRefusal::MaxConnectionsPerAddress)
        );
        assert!(limits.admit(ip(2)).is_ok(), "another address is not held back");
        drop(first);
        assert!(limits.admit(ip(1)).is_ok());
        assert_eq!(
            metrics.http_refused_count(ConnectionRefusal::MaxConnectionsPerAddress),
            1
        );
    }

    #[test]
    fn a_refused_connection_gives_its_total_place_back() {
        let limits = ConnectionLimits::new(2, 1, Arc::new(Metrics::new()));
        let _held = limits.admit(ip(1)).unwrap();
        assert!(limits.admit(ip(1)).is_err());
        assert!(limits.admit(ip(2)).is_ok(), "the refusal did not keep a permit");
    }

    #[test]
    fn refusals_are_logged_once_per_interval_with_their_count() {
        let mut log = RefusalLog::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(log.refused(t0), Some(1));
        for i in 1..1000 {
            assert_eq!(log.refused(t0 + Duration::from_millis(i)), None);
        }
        assert_eq!(log.refused(t0 + Duration::from_secs(10)), Some(1000));
        assert_eq!(log.refused(t0 + Duration::from_secs(11)), None);
    }

    #[test]
    fn the_default_cap_stays_below_the_descriptor_limit() {
        let cap = default_max_connections() as u64;
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) }, 0);
        assert!(cap >= 1);
        assert!(cap < limit.rlim_cur.max(2), "{cap}");
    }
}
