//! Whether new calls are taken: closed while the server drains, full when it has all the
//! calls it may take, or overloaded (`overload`: its scheduler runs late or its database
//! answers slowly). A call is admitted for the time its voice webhook is answered, so that
//! a drain, once it has closed admission, can wait for the answers already under way: each
//! may still issue a stream token, whose stream the drain then waits for too. A call about to
//! be connected holds a place ([`Place`]) until its stream token is out, so a burst of
//! webhooks can neither overshoot the call limit together nor refuse each other.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};

use tokio::sync::Notify;

use super::overload::Overload;
use super::route::Intake;

/// The calls a server holds when a new one asks to be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    /// Calls whose media stream is up.
    pub streaming: usize,
    /// Calls answered whose stream has not started yet (their tokens are outstanding).
    pub answered: usize,
    /// Calls being connected right now, their tokens not issued yet.
    pub placed: usize,
}

/// Whether a server holding `load` takes one more call, with room for `max_calls` (0: no
/// limit).
pub fn intake(draining: bool, load: Load, max_calls: usize) -> Intake {
    let held = load.streaming + load.answered + load.placed;
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
    /// Places held by calls being connected ([`Place`]).
    placed: AtomicUsize,
    /// Set by the overload probes while the server is too busy for one more call: its
    /// scheduler runs late, its database answers slowly.
    scheduler_late: AtomicBool,
    database_slow: AtomicBool,
}

/// A place under the call limit, held by a call being connected until its stream token is
/// issued (from then on the token counts it).
#[derive(Debug)]
pub struct Place<'a>(&'a Admission);

/// Why [`Admission::take_place`] found no place: the reason is the one read when it refused,
/// so the refusal is counted and logged under the cause that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoPlace {
    /// Every call the server may take is taken.
    Full,
    /// The server is overloaded for this cause.
    Overloaded(Overload),
}

impl From<NoPlace> for Intake {
    fn from(no_place: NoPlace) -> Intake {
        match no_place {
            NoPlace::Full => Intake::Full,
            NoPlace::Overloaded(cause) => Intake::Overloaded(cause),
        }
    }
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

    /// Turns new calls away (`true`) or takes them again for `cause`, as its overload rule
    /// decides; calls are taken only while neither cause holds.
    pub fn set_overloaded(&self, cause: Overload, overloaded: bool) {
        match cause {
            Overload::SchedulerLate => self.scheduler_late.store(overloaded, Relaxed),
            Overload::DatabaseSlow => self.database_slow.store(overloaded, Relaxed),
        }
    }

    /// Why the server turns new calls away now, if it does.
    pub fn overload(&self) -> Option<Overload> {
        if self.scheduler_late.load(Relaxed) {
            Some(Overload::SchedulerLate)
        } else if self.database_slow.load(Relaxed) {
            Some(Overload::DatabaseSlow)
        } else {
            None
        }
    }

    pub fn is_overloaded(&self) -> bool {
        self.overload().is_some()
    }

    /// Admits a new call, unless draining; hold the result while the call is answered.
    pub fn admit(&self) -> Option<Admitted<'_>> {
        // Counted first, then checked: a drain that closes admission and then finds no answer
        // under way cannot miss one (both sides are sequentially consistent).
        self.answering.fetch_add(1, SeqCst);
        let admitted = Admitted(self);
        (!self.is_draining()).then_some(admitted)
    }

    /// A place for one more call, if the server is not overloaded and the calls `held`
    /// (streaming and answered, read after the places) and the places held leave one under
    /// `max_calls` (0: no limit).
    ///
    /// Places are taken by compare-and-swap, so two webhooks never both take the last one, and
    /// a call refused never held one. A call moves from a place to an issued token (and from a
    /// token to a stream) by counting itself in the next before leaving the last; `held` is
    /// read after the places, so a call moving meanwhile is counted once or twice, never not.
    pub fn take_place(
        &self,
        max_calls: usize,
        held: impl Fn() -> (usize, usize),
    ) -> Result<Place<'_>, NoPlace> {
        if let Some(cause) = self.overload() {
            return Err(NoPlace::Overloaded(cause));
        }
        if max_calls == 0 {
            self.placed.fetch_add(1, SeqCst);
            return Ok(Place(self));
        }
        loop {
            let placed = self.placed.load(SeqCst);
            let (streaming, answered) = held();
            let load = Load {
                streaming,
                answered,
                placed,
            };
            if intake(false, load, max_calls) == Intake::Full {
                return Err(NoPlace::Full);
            }
            if self
                .placed
                .compare_exchange(placed, placed + 1, SeqCst, SeqCst)
                .is_ok()
            {
                return Ok(Place(self));
            }
        }
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

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.placed.fetch_sub(1, SeqCst);
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
        let load = |streaming, answered, placed| Load {
            streaming,
            answered,
            placed,
        };
        assert_eq!(intake(false, load(9, 0, 0), 10), Intake::Open);
        assert_eq!(intake(false, load(10, 0, 0), 10), Intake::Full);
        assert_eq!(
            intake(false, load(7, 2, 1), 10),
            Intake::Full,
            "answered and placed calls count"
        );
        assert_eq!(intake(false, load(7, 2, 0), 10), Intake::Open);
        assert_eq!(
            intake(false, load(50_000, 0, 0), 0),
            Intake::Open,
            "0 is no limit"
        );
        assert_eq!(intake(true, load(0, 0, 0), 10), Intake::Draining);
    }

    #[test]
    fn the_last_place_goes_to_one_call_and_comes_back_when_it_is_dropped() {
        let admission = Admission::default();
        let first = admission.take_place(2, || (1, 0)).expect("one place left");
        assert_eq!(
            admission.take_place(2, || (1, 0)).unwrap_err(),
            NoPlace::Full,
            "taken by the first"
        );
        drop(first);
        assert!(admission.take_place(2, || (1, 0)).is_ok());
        assert!(
            admission.take_place(0, || (usize::MAX / 2, 0)).is_ok(),
            "0 is no limit"
        );
    }

    #[test]
    fn an_overloaded_server_has_no_place_whatever_its_limit_and_has_again_once_it_recovers() {
        let admission = Admission::default();
        let late = Err(NoPlace::Overloaded(Overload::SchedulerLate));
        let slow = Err(NoPlace::Overloaded(Overload::DatabaseSlow));
        admission.set_overloaded(Overload::SchedulerLate, true);
        assert_eq!(admission.take_place(10, || (0, 0)).map(drop), late);
        assert_eq!(
            admission.take_place(0, || (0, 0)).map(drop),
            late,
            "not even without a limit"
        );
        assert_eq!(
            admission.take_place(1, || (5, 0)).map(drop),
            late,
            "overload is the reason even when the server is also full"
        );
        admission.set_overloaded(Overload::DatabaseSlow, true);
        admission.set_overloaded(Overload::SchedulerLate, false);
        assert_eq!(
            admission.overload(),
            Some(Overload::DatabaseSlow),
            "either cause holds it"
        );
        assert_eq!(admission.take_place(10, || (0, 0)).map(drop), slow);
        admission.set_overloaded(Overload::DatabaseSlow, false);
        assert_eq!(admission.overload(), None);
        assert!(admission.take_place(10, || (0, 0)).is_ok());
        assert!(admission.take_place(0, || (0, 0)).is_ok());
    }

    #[test]
    fn concurrent_calls_take_every_free_place_and_no_more() {
        let admission = Admission::default();
        let taken = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    let mut held = Vec::new();
                    for _ in 0..100 {
                        if let Ok(place) = admission.take_place(50, || (0, 0)) {
                            taken.fetch_add(1, SeqCst);
                            held.push(place);
                        }
                    }
                    std::mem::forget(held);
                });
            }
        });
        assert_eq!(taken.load(SeqCst), 50);
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
