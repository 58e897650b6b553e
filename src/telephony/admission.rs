//! Whether new calls are taken: closed while the server drains. A call is admitted for the
//! time its voice webhook is answered, so that a drain, once it has closed admission, can
//! wait for the answers already under way: each may still issue a stream token, whose stream
//! the drain then waits for too.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use tokio::sync::Notify;

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
