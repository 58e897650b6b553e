//! Whether new calls are taken: closed while the server drains, full when it has all the
//! calls it may take. A call is admitted for the time its voice webhook is answered, so that
//! a drain, once it has closed admission, can wait for the answers already under way: each
//! may still issue a stream token, whose stream the drain then waits for too. The same count
//! keeps a burst of webhooks from overshooting the call limit together.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use tokio::sync::Notify;

use super::route::Intake;

/// The calls a server holds when a new one asks to be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    /// Calls whose media stream is up.
    pub streaming: usize,
    /// Calls answered whose stream has not started yet (their tokens are outstanding).
    pub answered: usize,
    /// Other answers being given at this moment.
    pub answering: usize,
}

/// Whether a server holding `load` takes one more call, with room for `max_calls` (0: no
/// limit).
pub fn intake(draining: bool, load: Load, max_calls: usize) -> Intake {
    let held = load.streaming + load.answered + load.answering;
    match () {
        () if draining => Intake::Draining,
        () if max_calls > 0 && held >= max_calls => Intake::Full,
        () => Intake::Open,
    }
}

#[derive(Debug, Default)]
pub struct Admission {
    draining: AtomicBool,
    /// Calls admitted whose answer is not given yet.
    answering: AtomicUsize,
    /// Woken when the last answer under way is given.
    answered: Notify,
}

/// A call admitted, until its answer is given (dropped).
#[derive(Debug)]
pub struct Admitted<'a>(&'a Admission);

impl Admission {
    /// Stops taking new calls.
    pub fn close(&self) {
        self.draining.store(true, SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(SeqCst)
    }

    /// Admits a new call, unless draining; hold the result while the call is answered.
    pub fn admit(&self) -> Option<Admitted<'_>> {
        // Counted first, then checked: a drain that closes admission and then finds no answer
        // under way cannot miss one (both sides are sequentially consistent).
        self.answering.fetch_add(1, SeqCst);
        let admitted = Admitted(self);
        (!self.is_draining()).then_some(admitted)
    }

    /// Calls admitted whose answer is being given, this one's included.
    pub fn answering(&self) -> usize {
        self.answering.load(SeqCst)
    }

    /// Resolves once no call admitted is still being answered.
    pub async fn answers_given(&self) {
        loop {
            let mut answered = std::pin::pin!(self.answered.notified());
            answered.as_mut().enable();
            if self.answering.load(SeqCst) == 0 {
                return;
            }
            answered.await;
        }
    }
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        if self.0.answering.fetch_sub(1, SeqCst) == 1 {
            self.0.answered.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_beyond_the_limit_finds_the_server_full_counting_every_call_on_its_way() {
        let load = |streaming, answered, answering| Load {
            streaming,
            answered,
            answering,
        };
        assert_eq!(intake(false, load(9, 0, 0), 10), Intake::Open);
        assert_eq!(intake(false, load(10, 0, 0), 10), Intake::Full);
        assert_eq!(
            intake(false, load(7, 2, 1), 10),
            Intake::Full,
            "answered and answering count"
        );
        assert_eq!(intake(false, load(7, 2, 0), 10), Intake::Open);
        assert_eq!(
            intake(false, load(50_000, 0, 0), 0),
            Intake::Open,
            "0 is no limit"
        );
        assert_eq!(intake(true, load(0, 0, 0), 10), Intake::Draining);
    }

    #[tokio::test]
    async fn a_drain_waits_for_the_answers_admitted_before_it_and_admits_no_more() {
        let admission = Admission::default();
        let under_way = admission.admit().expect("open");
        admission.close();
        assert!(admission.admit().is_none(), "closed");
        let mut given = std::pin::pin!(admission.answers_given());
        assert!(futures::poll!(given.as_mut()).is_pending());
        drop(under_way);
        assert!(futures::poll!(given.as_mut()).is_ready());
    }
}
