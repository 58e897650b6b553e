//! The clock echo mode reads when it times caller audio against its declared format: the
//! system's, or one a test moves by hand, so a conversation's audio can be timed as if it
//! streamed in real time without the test waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The system clock unless made with [`AudioClock::manual`]; clones share one manual time.
#[derive(Debug, Clone, Default)]
pub struct AudioClock(Option<Arc<ManualTime>>);

#[derive(Debug)]
struct ManualTime {
    start: Instant,
    advanced_us: AtomicU64,
}

impl AudioClock {
    /// A clock that stands still until [`advance`](Self::advance)d.
    pub fn manual() -> Self {
        AudioClock(Some(Arc::new(ManualTime {
            start: Instant::now(),
            advanced_us: AtomicU64::new(0),
        })))
    }

    /// Moves a manual clock on by `by`; the system clock moves by itself.
    ///
    /// # Panics
    /// On the system clock.
    pub fn advance(&self, by: Duration) {
        let manual = self.0.as_ref().expect("only a manual clock is advanced");
        manual
            .advanced_us
            .fetch_add(by.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn now(&self) -> Instant {
        match &self.0 {
            None => Instant::now(),
            Some(manual) => manual.start + Duration::from_micros(manual.advanced_us.load(Ordering::Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let clock = AudioClock::manual();
        let shared = clock.clone();
        let before = clock.now();
        assert_eq!(clock.now(), before);
        shared.advance(Duration::from_millis(20));
        assert_eq!(clock.now() - before, Duration::from_millis(20));
        let system = AudioClock::default();
        assert!(system.now() <= Instant::now());
    }
}
