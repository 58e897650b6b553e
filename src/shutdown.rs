//! Shutdown as a small value handed to every task: the signal to stop, and the tracker that
//! knows when every task it started has finished (tokio-util's `CancellationToken` and
//! `TaskTracker`, used as mini-redis hands its `Shutdown` to each connection).
//!
//! The server keeps two: one for calls (the drivers and the agent connections held for them),
//! which are drained first, and one for background workers (the call recorder), which stop
//! after the calls so that the calls' last writes are not lost.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

use futures::task::AtomicWaker;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TrackedFuture;

/// A group of tasks that stop together.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
    tracker: TaskTracker,
}

impl Shutdown {
    pub fn new() -> Self {
        Shutdown::default()
    }

    /// Spawns `task`, counted until it finishes.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tracker.spawn(task)
    }

    /// Runs `round` as one of the group's tasks: at once, then every `period` (a round that
    /// runs late delays the next rather than bunching them), until the group is told to stop.
    /// A round under way finishes first, so a sweep is never cut off halfway.
    pub fn spawn_every<F, R>(&self, period: std::time::Duration, mut round: F)
    where
        F: FnMut() -> R + Send + 'static,
        R: Future<Output = ()> + Send + 'static,
    {
        let stopping = self.clone();
        self.spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    () = stopping.stopping() => return,
                    _ = ticks.tick() => {}
                }
                round().await;
            }
        });
    }

    /// `task`, counted until it finishes (for a future something else spawns, such as the
    /// task hyper runs an upgraded connection on).
    pub fn track<F: Future>(&self, task: F) -> TrackedFuture<F> {
        self.tracker.track_future(task)
    }

    /// Tells every task of the group to stop.
    pub fn stop(&self) {
        self.token.cancel();
    }

    /// Resolves once the group is told to stop.
    pub async fn stopping(&self) {
        self.token.cancelled().await
    }

    /// Like [`Shutdown::stopping`], as a future that costs an atomic load to poll again while
    /// nothing happened: for a loop that polls it every time it waits, as a call's driver
    /// does once per audio frame.
    pub fn signal(&self) -> Signal {
        Signal::new(self.token.clone().cancelled_owned())
    }

    /// Resolves once every task of the group has finished; no task may be added after.
    pub async fn finished(&self) {
        self.tracker.close();
        self.tracker.wait().await
    }

    /// Tasks of the group still running.
    pub fn running(&self) -> usize {
        self.tracker.len()
    }
}

/// Resolves when its [`Shutdown`] is told to stop; cheap to poll again and again.
///
/// Polling `CancellationToken::cancelled()` while it waits takes two mutex locks (the token's
/// state, then its waiter list) every time. This polls that future only after it woke the
/// task, or when the task's waker changed; any other poll is one atomic swap.
pub struct Signal {
    inner: Pin<Box<WaitForCancellationFutureOwned>>,
    wake: Arc<Wakeup>,
    /// Wakes `wake`; what `inner` is polled with.
    inner_waker: Waker,
    polled: bool,
}

/// Whether `inner` woke us since we last polled it, and the task to wake.
#[derive(Default)]
struct Wakeup {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl std::task::Wake for Wakeup {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl Signal {
    fn new(inner: WaitForCancellationFutureOwned) -> Self {
        let wake = Arc::new(Wakeup::default());
        Signal {
            inner: Box::pin(inner),
            inner_waker: Waker::from(wake.clone()),
            wake,
            polled: false,
        }
    }
}

impl Future for Signal {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        // Stores a clone only when the task changed.
        this.wake.task.register(cx.waker());
        if this.polled && !this.wake.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        this.polled = true;
        let mut inner_cx = Context::from_waker(&this.inner_waker);
        this.inner.as_mut().poll(&mut inner_cx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_signal_resolves_when_its_group_stops_and_not_before() {
        let shutdown = Shutdown::new();
        let mut signal = std::pin::pin!(shutdown.signal());
        for _ in 0..3 {
            assert!(futures::poll!(signal.as_mut()).is_pending());
        }
        let waiter = tokio::spawn(shutdown.signal());
        shutdown.stop();
        assert!(futures::poll!(signal.as_mut()).is_ready());
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiting task was woken")
            .unwrap();
    }

    #[tokio::test]
    async fn a_signal_made_after_the_stop_is_ready_at_once() {
        let shutdown = Shutdown::new();
        shutdown.stop();
        assert!(futures::poll!(shutdown.signal()).is_ready());
    }

    #[tokio::test]
    async fn finished_waits_for_every_tracked_task() {
        let shutdown = Shutdown::new();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        shutdown.spawn(async move {
            let _ = released.await;
        });
        assert_eq!(shutdown.running(), 1);
        let mut finished = std::pin::pin!(shutdown.finished());
        assert!(futures::poll!(finished.as_mut()).is_pending());
        release.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), finished)
            .await
            .expect("the task finished");
        assert_eq!(shutdown.running(), 0);
    }
}
