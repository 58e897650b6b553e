//! The progress bar on stderr while a run goes on: time through the run, calls up, failures
//! and frames each way, redrawn a few times a second from the shared [`Live`] counters.
//! indicatif draws nothing when stderr is not a terminal.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinHandle;

use super::live::Live;

const REDRAW: Duration = Duration::from_millis(250);

pub struct Progress {
    bar: ProgressBar,
    task: JoinHandle<()>,
}

impl Progress {
    /// A bar over the planned length of the run (placing `calls`, then `steady`).
    pub fn start(live: Arc<Live>, calls: u64, planned: Duration, visible: bool) -> Progress {
        let bar = if visible {
            ProgressBar::new(planned.as_millis() as u64)
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:24}] {msg}")
            .expect("the template is valid")
            .progress_chars("=> ");
        bar.set_style(style);
        let shown = bar.clone();
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(REDRAW);
            loop {
                ticker.tick().await;
                let elapsed = live.began().elapsed().as_millis() as u64;
                shown.set_position(elapsed.min(shown.length().unwrap_or(elapsed)));
                shown.set_message(status(&live, calls));
            }
        });
        Progress { bar, task }
    }

    pub fn finish(self) {
        self.task.abort();
        self.bar.finish_and_clear();
    }
}

fn status(live: &Live, calls: u64) -> String {
    let phase = match (live.steady_from_us(), live.stop_at_us()) {
        (_, Some(stop)) if live.now_us() >= stop => "hanging up",
        (Some(_), _) => "all calls up",
        _ => "placing calls",
    };
    format!(
        "{phase}: {} of {calls} up, {} failed, {} dropped | frames {} out, {} back",
        live.calls_active.load(Relaxed),
        live.calls_failed.load(Relaxed),
        live.calls_dropped.load(Relaxed),
        live.frames_sent.load(Relaxed),
        live.frames_received.load(Relaxed),
    )
}
