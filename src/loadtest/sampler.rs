//! Samples the CPU time and resident memory of the processes under test (the bridge, the
//! agent if given, and the load generator itself) and the whole machine's CPU time at a
//! fixed interval through the run, with the frames sent so far, and turns the samples into
//! figures: CPU over the steady window, CPU per frame, RSS per call, the RSS trend, and how
//! busy the machine was with anything else. Where the bridge is local it also samples the
//! bytes queued unread in the bridge's sockets from the callers, for an estimate of how long
//! frames wait there before the bridge reads them ([`receive_queue_wait`]).

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::live::Live;
use super::procfs::{self, MachineCpu, MachineIdentity, ProcReading};
use super::report::{MachineUsage, ProcessUsage, ReceiveQueueWait, UsagePoint, round3};

/// One sample of one process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub at_us: u64,
    pub proc: ProcReading,
    /// Caller frames sent by all calls when the sample was taken.
    pub frames_sent: u64,
}

/// The samples of one process.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub pid: u32,
    pub readings: Vec<Reading>,
    /// Why sampling stopped early (the process exited), if it did.
    pub error: Option<String>,
}

/// Which receive queues to sample: the bridge's connections on its listening port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueWatch {
    pub pid: u32,
    pub port: u16,
}

/// One sample of the bridge's receive queues from the callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueReading {
    pub at_us: u64,
    /// Bytes queued unread; `None` when the bridge had no connection on the port.
    pub queued_bytes: Option<u64>,
    /// Bytes of caller frames the load generator had written by then ([`Live`]).
    pub arrived_bytes: u64,
}

/// Everything sampled in a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Samples {
    pub processes: Vec<Series>,
    /// The machine's CPU time, µs since the run began.
    pub machine: Vec<(u64, MachineCpu)>,
    pub queues: Vec<QueueReading>,
    /// Why the receive queues could not be read, when they could not.
    pub queue_error: Option<String>,
}

/// A sampler running in the background.
pub struct Sampler {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Samples>,
}

impl Sampler {
    /// Reads every pid at once (the baseline, before any call), then every `interval`.
    /// With `queues`, also samples those receive queues.
    pub fn start(pids: Vec<u32>, queues: Option<QueueWatch>, interval: Duration, live: Arc<Live>) -> Sampler {
        let (stop, mut stopped) = oneshot::channel();
        let mut samples = Samples {
            processes: pids
                .into_iter()
                .map(|pid| Series {
                    pid,
                    readings: Vec::new(),
                    error: None,
                })
                .collect(),
            machine: Vec::new(),
            queues: Vec::new(),
            queue_error: None,
        };
        sample(&mut samples, queues, &live);
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await;
            loop {
                tokio::select! {
                    _ = ticker.tick() => sample(&mut samples, queues, &live),
                    _ = &mut stopped => break,
                }
            }
            sample(&mut samples, queues, &live);
            samples
        });
        Sampler { stop, task }
    }

    /// Takes a last sample and returns them all.
    pub async fn finish(self) -> Samples {
        let _ = self.stop.send(());
        self.task.await.unwrap_or_default()
    }
}

fn sample(samples: &mut Samples, queues: Option<QueueWatch>, live: &Live) {
    let frames_sent = live.frames_sent.load(Relaxed);
    if let Some(watch) = queues
        && samples.queue_error.is_none()
    {
        let arrived_bytes = live.frame_bytes_sent.load(Relaxed);
        match procfs::receive_queue_bytes(watch.pid, watch.port) {
            Ok(queued_bytes) => samples.queues.push(QueueReading {
                at_us: live.now_us(),
                queued_bytes,
                arrived_bytes,
            }),
            Err(e) => samples.queue_error = Some(format!("/proc of pid {}: {e}", watch.pid)),
        }
    }
    if let Ok(cpu) = procfs::machine_cpu() {
        samples.machine.push((live.now_us(), cpu));
    }
    for s in samples.processes.iter_mut().filter(|s| s.error.is_none()) {
        match procfs::read(s.pid) {
            Ok(proc) => s.readings.push(Reading {
                at_us: live.now_us(),
                proc,
                frames_sent,
            }),
            Err(e) => s.error = Some(e.to_string()),
        }
    }
}

/// The steady window, in µs since the run began, and how many calls were up in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub from_us: u64,
    pub to_us: u64,
    pub calls: u64,
}

/// Fewest calls up in the steady window for a per-call figure: below that, a few MiB of
/// allocator slack or a warm cache divided by the calls reads as a cost per call.
pub const PER_CALL_MIN_CALLS: u64 = 5;
/// Shortest steady window for a per-call figure: memory grown in the first seconds (buffers
/// filling, pools warming) is not yet what a call holds.
pub const PER_CALL_MIN_WINDOW_US: u64 = 60_000_000;

/// Why per-call figures would mislead for `window`, or `None` when they may be given.
pub fn per_call_withheld(window: &Window) -> Option<String> {
    let length_us = window.to_us.saturating_sub(window.from_us);
    if window.calls < PER_CALL_MIN_CALLS {
        Some(format!(
            "{} calls in the steady window; per-call figures need at least {PER_CALL_MIN_CALLS}",
            window.calls
        ))
    } else if length_us < PER_CALL_MIN_WINDOW_US {
        Some(format!(
            "the steady window is {:.1} s; per-call figures need at least {} s",
            length_us as f64 / 1e6,
            PER_CALL_MIN_WINDOW_US / 1_000_000
        ))
    } else {
        None
    }
}

/// Turns one process's samples into figures. `ticks_per_second` converts CPU ticks.
pub fn usage(series: &Series, window: Option<Window>, ticks_per_second: u64) -> Option<ProcessUsage> {
    let readings = &series.readings;
    let first = readings.first()?;
    let last = readings.last()?;
    let tick_us = 1e6 / ticks_per_second as f64;
    let cpu_percent = |a: &Reading, b: &Reading| {
        let wall = b.at_us.saturating_sub(a.at_us) as f64;
        (wall > 0.0).then(|| round3((b.proc.cpu_ticks - a.proc.cpu_ticks) as f64 * tick_us / wall * 100.0))
    };
    let timeline: Vec<UsagePoint> = readings
        .windows(2)
        .map(|pair| UsagePoint {
            t_s: pair[1].at_us as f64 / 1e6,
            cpu_percent: cpu_percent(&pair[0], &pair[1]).unwrap_or(0.0),
            rss_kib: pair[1].proc.rss_kib,
        })
        .collect();
    let mut usage = ProcessUsage {
        pid: series.pid,
        cpu_seconds: round3((last.proc.cpu_ticks - first.proc.cpu_ticks) as f64 * tick_us / 1e6),
        cpu_percent_steady: None,
        cpu_percent_max: timeline.iter().map(|p| p.cpu_percent).fold(0.0, f64::max),
        cpu_us_per_frame: None,
        cpu_kernel_us_per_frame: None,
        rss_baseline_kib: first.proc.rss_kib,
        rss_peak_kib: readings.iter().map(|r| r.proc.rss_kib).max().unwrap_or(0),
        rss_end_kib: last.proc.rss_kib,
        rss_steady_mean_kib: None,
        rss_per_call_bytes: None,
        per_call_withheld: None,
        rss_slope_kib_per_minute: None,
        threads_max: readings.iter().map(|r| r.proc.threads).max().unwrap_or(0),
        sampling_error: series.error.clone(),
        timeline,
    };
    let Some(window) = window else {
        return Some(usage);
    };
    let inside: Vec<&Reading> = readings
        .iter()
        .filter(|r| (window.from_us..=window.to_us).contains(&r.at_us))
        .collect();
    if let (Some(a), Some(b)) = (inside.first(), inside.last())
        && inside.len() >= 2
    {
        usage.cpu_percent_steady = cpu_percent(a, b);
        let frames = b.frames_sent.saturating_sub(a.frames_sent);
        if frames > 0 {
            let per_frame = |ticks: u64| Some(round3(ticks as f64 * tick_us / frames as f64));
            usage.cpu_us_per_frame = per_frame(b.proc.cpu_ticks - a.proc.cpu_ticks);
            usage.cpu_kernel_us_per_frame = per_frame(b.proc.kernel_ticks - a.proc.kernel_ticks);
        }
        let mean = inside.iter().map(|r| r.proc.rss_kib as f64).sum::<f64>() / inside.len() as f64;
        usage.rss_steady_mean_kib = Some(mean.round() as u64);
        usage.per_call_withheld = per_call_withheld(&window);
        if usage.per_call_withheld.is_none() {
            let grown = (mean - first.proc.rss_kib as f64) * 1024.0;
            usage.rss_per_call_bytes = Some(round3(grown / window.calls as f64));
        }
        usage.rss_slope_kib_per_minute = slope_per_minute(&inside).map(round3);
    }
    Some(usage)
}

/// How busy the whole machine was in the window, and how much of that was none of the
/// `watched` processes (other work, and kernel time not charged to any of them). `None`
/// without machine samples.
pub fn machine_usage(
    machine: &[(u64, MachineCpu)],
    identity: MachineIdentity,
    window: Option<Window>,
    watched: &[&ProcessUsage],
) -> Option<MachineUsage> {
    let cpus = machine.first()?.1.cpus;
    let mut usage = MachineUsage {
        cpus,
        cpu_model: identity.cpu_model,
        kernel: identity.kernel,
        busy_percent_steady: None,
        others_percent_steady: None,
        steal_percent_steady: None,
    };
    let Some(window) = window else {
        return Some(usage);
    };
    let inside: Vec<&(u64, MachineCpu)> = machine
        .iter()
        .filter(|(at, _)| (window.from_us..=window.to_us).contains(at))
        .collect();
    if let (Some((_, a)), Some((_, b))) = (inside.first(), inside.last())
        && b.total > a.total
    {
        // Shares of all ticks, scaled so that 100 is one core, like a process's figure.
        let share = |ticks: u64| ticks as f64 / (b.total - a.total) as f64 * 100.0 * cpus as f64;
        let busy = share(b.busy - a.busy);
        usage.busy_percent_steady = Some(round3(busy));
        usage.steal_percent_steady = Some(round3(share(b.steal - a.steal)));
        let ours: f64 = watched.iter().filter_map(|u| u.cpu_percent_steady).sum();
        usage.others_percent_steady = Some(round3((busy - ours).max(0.0)));
    }
    Some(usage)
}

/// How long the callers' frames waited, on average, queued unread in the bridge's sockets:
/// by Little's law, mean bytes queued = byte arrival rate × mean wait, so the wait is the
/// mean of the queue samples inside the steady window divided by the rate at which the load
/// generator wrote frame bytes to the bridge over that window. A mean over samples a second
/// apart, not a distribution; `Err` says why it is withheld.
pub fn receive_queue_wait(
    readings: &[QueueReading],
    window: Option<Window>,
) -> Result<ReceiveQueueWait, String> {
    let window = window.ok_or("no steady window")?;
    let inside: Vec<&QueueReading> = readings
        .iter()
        .filter(|r| (window.from_us..=window.to_us).contains(&r.at_us))
        .collect();
    let (Some(first), Some(last)) = (inside.first(), inside.last()) else {
        return Err("no sample of the receive queues in the steady window".into());
    };
    if inside.len() < 2 || last.at_us <= first.at_us {
        return Err("fewer than two samples of the receive queues in the steady window".into());
    }
    let arrived = last.arrived_bytes.saturating_sub(first.arrived_bytes);
    if arrived == 0 {
        return Err("no frame bytes sent in the steady window".into());
    }
    let seconds = (last.at_us - first.at_us) as f64 / 1e6;
    let rate = arrived as f64 / seconds;
    // While every call is up, the callers' connections must be there: if they are not, the
    // port leads elsewhere (a proxy in front of the bridge), and an empty queue would lie.
    let queued: Option<Vec<u64>> = inside.iter().map(|r| r.queued_bytes).collect();
    let queued = queued.ok_or("the bridge had no connection on its port while every call was up")?;
    let mean_queued = queued.iter().map(|&b| b as f64).sum::<f64>() / queued.len() as f64;
    Ok(ReceiveQueueWait {
        samples: inside.len() as u64,
        mean_queued_bytes: round3(mean_queued),
        arrival_bytes_per_second: round3(rate),
        mean_wait_us: round3(mean_queued / rate * 1e6),
    })
}

/// Least-squares slope of RSS over time, in KiB per minute.
fn slope_per_minute(readings: &[&Reading]) -> Option<f64> {
    let n = readings.len() as f64;
    if n < 2.0 {
        return None;
    }
    let xs = || readings.iter().map(|r| r.at_us as f64 / 60e6);
    let mean_x = xs().sum::<f64>() / n;
    let mean_y = readings.iter().map(|r| r.proc.rss_kib as f64).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, r) in xs().zip(readings) {
        sxy += (x - mean_x) * (r.proc.rss_kib as f64 - mean_y);
        sxx += (x - mean_x) * (x - mean_x);
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reading of a process that spends three fifths of its CPU time in the kernel.
    fn reading(at_s: u64, cpu_ticks: u64, rss_kib: u64, frames_sent: u64) -> Reading {
        Reading {
            at_us: at_s * 1_000_000,
            proc: ProcReading {
                cpu_ticks,
                kernel_ticks: cpu_ticks * 3 / 5,
                rss_kib,
                threads: 3,
            },
            frames_sent,
        }
    }

    #[test]
    fn steady_figures_come_from_the_samples_inside_the_window() {
        // Baseline 10 MiB; calls ramp up over two seconds; 100 calls steady from 2 s to 6 s
        // at half a core, RSS growing 60 KiB a second; then the calls end.
        let series = Series {
            pid: 7,
            readings: vec![
                reading(0, 0, 10_240, 0),
                reading(1, 20, 12_000, 2_500),
                reading(2, 60, 15_000, 7_500),
                reading(3, 110, 15_060, 12_500),
                reading(4, 160, 15_120, 17_500),
                reading(5, 210, 15_180, 22_500),
                reading(6, 260, 15_240, 27_500),
                reading(7, 270, 14_000, 28_000),
            ],
            error: None,
        };
        let window = Window {
            from_us: 2_000_000,
            to_us: 6_000_000,
            calls: 100,
        };
        let usage = usage(&series, Some(window), 100).unwrap();
        assert_eq!(usage.cpu_percent_steady, Some(50.0));
        // 2 s of CPU for 20 000 frames.
        assert_eq!(usage.cpu_us_per_frame, Some(100.0));
        // 1.2 s of it in the kernel.
        assert_eq!(usage.cpu_kernel_us_per_frame, Some(60.0));
        assert_eq!(usage.rss_steady_mean_kib, Some(15_120));
        // Four seconds is too short a window for a figure per call.
        assert_eq!(usage.rss_per_call_bytes, None);
        assert_eq!(
            usage.per_call_withheld.as_deref(),
            Some("the steady window is 4.0 s; per-call figures need at least 60 s")
        );
        let slope = usage.rss_slope_kib_per_minute.unwrap();
        assert!((slope - 3_600.0).abs() < 1e-3, "{slope}");
        assert!((usage.cpu_seconds - 2.7).abs() < 1e-9);
        assert_eq!(usage.rss_peak_kib, 15_240);
        assert_eq!(usage.timeline.len(), 7);
        assert_eq!(usage.cpu_percent_max, 50.0);
    }

    #[test]
    fn per_call_figures_need_a_handful_of_calls_and_a_minute() {
        // Baseline 10 MiB, 15 MiB through a steady minute.
        let series = Series {
            pid: 7,
            readings: vec![
                reading(0, 0, 10_240, 0),
                reading(10, 100, 15_360, 1_000),
                reading(40, 400, 15_360, 4_000),
                reading(70, 700, 15_360, 7_000),
            ],
            error: None,
        };
        let steady = |calls| Window {
            from_us: 10_000_000,
            to_us: 70_000_000,
            calls,
        };
        let usage5 = usage(&series, Some(steady(5)), 100).unwrap();
        assert_eq!(usage5.per_call_withheld, None);
        assert_eq!(usage5.rss_per_call_bytes, Some(1024.0 * 1024.0));
        let usage4 = usage(&series, Some(steady(4)), 100).unwrap();
        assert_eq!(usage4.rss_per_call_bytes, None);
        assert_eq!(
            usage4.per_call_withheld.as_deref(),
            Some("4 calls in the steady window; per-call figures need at least 5")
        );
        let short = Window {
            to_us: 69_999_999,
            ..steady(100)
        };
        assert!(per_call_withheld(&short).is_some());
        assert_eq!(
            per_call_withheld(&steady(0)).as_deref(),
            Some("0 calls in the steady window; per-call figures need at least 5")
        );
    }

    #[test]
    fn without_a_window_only_the_run_figures_are_given() {
        let series = Series {
            pid: 1,
            readings: vec![reading(0, 0, 100, 0), reading(1, 100, 100, 0)],
            error: Some("gone".into()),
        };
        let usage = usage(&series, None, 100).unwrap();
        assert_eq!(usage.cpu_percent_max, 100.0);
        assert_eq!(usage.cpu_percent_steady, None);
        assert_eq!(usage.sampling_error.as_deref(), Some("gone"));
        let empty = Series {
            pid: 1,
            readings: vec![],
            error: None,
        };
        assert!(super::usage(&empty, None, 100).is_none());
    }

    #[test]
    fn the_machine_figure_is_what_the_watched_processes_leave() {
        let cpu = |busy, total| MachineCpu {
            busy,
            total,
            steal: total / 100,
            cpus: 2,
        };
        let machine = [
            (1_000_000, cpu(0, 100)),
            (2_000_000, cpu(100, 400)),
            (6_000_000, cpu(500, 1_200)),
        ];
        let window = Window {
            from_us: 2_000_000,
            to_us: 6_000_000,
            calls: 10,
        };
        let series = Series {
            pid: 3,
            readings: vec![reading(2, 0, 1, 0), reading(6, 100, 1, 0)],
            error: None,
        };
        let process = usage(&series, Some(window), 100).unwrap();
        assert_eq!(process.cpu_percent_steady, Some(25.0));
        let identity = MachineIdentity {
            cpu_model: Some("Some CPU".into()),
            kernel: Some("6.1.0".into()),
        };
        let m = machine_usage(&machine, identity.clone(), Some(window), &[&process]).unwrap();
        assert_eq!(
            (m.cpu_model.as_deref(), m.kernel.as_deref()),
            (Some("Some CPU"), Some("6.1.0"))
        );
        // Half of all ticks were busy: half of each of the two cores.
        assert_eq!(m.busy_percent_steady, Some(100.0));
        assert_eq!(m.others_percent_steady, Some(75.0));
        assert_eq!(m.steal_percent_steady, Some(2.0));
        let unwindowed = machine_usage(&machine, identity.clone(), None, &[]).unwrap();
        assert_eq!((unwindowed.cpus, unwindowed.busy_percent_steady), (2, None));
        assert_eq!(unwindowed.cpu_model.as_deref(), Some("Some CPU"));
        assert_eq!(machine_usage(&[], identity, Some(window), &[]), None);
    }

    #[test]
    fn the_receive_queue_wait_is_mean_queued_bytes_over_the_arrival_rate() {
        let at = |s: u64, queued_bytes, arrived_bytes| QueueReading {
            at_us: s * 1_000_000,
            queued_bytes: Some(queued_bytes),
            arrived_bytes,
        };
        // 1,000,000 bytes a second arrive from 2 s to 6 s; 1,000 bytes queued on average:
        // each byte waited 1 ms. The samples outside the window do not count.
        let readings = [
            at(0, 90_000, 0),
            at(2, 500, 1_000_000),
            at(3, 1_500, 2_000_000),
            at(4, 1_000, 3_000_000),
            at(5, 0, 4_000_000),
            at(6, 2_000, 5_000_000),
            at(7, 90_000, 5_000_000),
        ];
        let window = Window {
            from_us: 2_000_000,
            to_us: 6_000_000,
            calls: 50,
        };
        let wait = receive_queue_wait(&readings, Some(window)).unwrap();
        assert_eq!(
            wait,
            ReceiveQueueWait {
                samples: 5,
                mean_queued_bytes: 1_000.0,
                arrival_bytes_per_second: 1_000_000.0,
                mean_wait_us: 1_000.0,
            }
        );
        assert_eq!(
            receive_queue_wait(&readings, None).unwrap_err(),
            "no steady window"
        );
        let late = Window {
            from_us: 8_000_000,
            to_us: 9_000_000,
            calls: 50,
        };
        assert!(receive_queue_wait(&readings, Some(late)).is_err());
        let one = Window {
            from_us: 3_000_000,
            to_us: 3_500_000,
            calls: 50,
        };
        assert!(
            receive_queue_wait(&readings, Some(one))
                .unwrap_err()
                .contains("fewer than two")
        );
        let idle = [at(2, 10, 7), at(3, 10, 7)];
        assert_eq!(
            receive_queue_wait(&idle, Some(window)).unwrap_err(),
            "no frame bytes sent in the steady window"
        );
        let mut elsewhere = readings;
        elsewhere[3].queued_bytes = None;
        assert!(
            receive_queue_wait(&elsewhere, Some(window))
                .unwrap_err()
                .contains("no connection")
        );
    }

    #[tokio::test]
    async fn the_sampler_reads_this_process_until_finished() {
        let live = Arc::new(Live::new(std::time::Instant::now()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let watch = QueueWatch {
            pid: std::process::id(),
            port: listener.local_addr().unwrap().port(),
        };
        let sampler = Sampler::start(
            vec![std::process::id()],
            Some(watch),
            Duration::from_millis(20),
            live,
        );
        tokio::time::sleep(Duration::from_millis(70)).await;
        let samples = sampler.finish().await;
        let series = &samples.processes;
        assert_eq!(series.len(), 1);
        assert!(series[0].readings.len() >= 3, "{}", series[0].readings.len());
        assert!(series[0].readings.windows(2).all(|w| w[0].at_us <= w[1].at_us));
        assert_eq!(samples.machine.len(), series[0].readings.len());
        assert_eq!(samples.queue_error, None);
        assert_eq!(samples.queues.len(), series[0].readings.len());
        // The listener has no connection.
        assert!(samples.queues.iter().all(|q| q.queued_bytes.is_none()));
    }
}
