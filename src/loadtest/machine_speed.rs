//! A machine-speed probe: a fixed, deterministic, single-threaded CPU workload, timed. Load
//! figures taken on different days (or on a shared machine whose virtual CPUs run slower at
//! times) compare only beside how fast the same machine ran this fixed work then.
//! `scripts/bench-capacity.sh` runs it as `switchboard machine-speed` (a hidden command).
//!
//! The workload is written out here, not borrowed from switchboard's own code or a crate, so
//! that it stays the same work whatever else changes: a xorshift generator, loads and stores
//! in a 256 KiB table (the size of a core's L2 cache or less), and a branch taken at random.
//! Its result is a checksum, so none of it can be optimized away, and a test pins it: a
//! changed workload would make old figures incomparable.

use std::time::{Duration, Instant};

use serde::Serialize;

/// Operations per round: about a tenth of a CPU second on a 2026 server core (optimized build).
pub const OPS_PER_ROUND: u64 = 25_000_000;
/// Table entries: 64 Ki `u32`s, 256 KiB.
const TABLE_ENTRIES: usize = 1 << 16;

/// Runs `ops` steps of the fixed workload and returns its checksum.
pub fn workload(ops: u64) -> u64 {
    let mut table = vec![0u32; TABLE_ENTRIES];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut acc: u64 = 0;
    for i in 0..ops {
        // xorshift64 (Marsaglia 2003, shifts 13, 7, 17).
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let index = (x >> 48) as usize;
        let value = table[index];
        table[index] = value.wrapping_add(x as u32) ^ (i as u32);
        if value & 1 == 0 {
            acc = acc.wrapping_add(u64::from(value));
        } else {
            acc ^= u64::from(value.rotate_left(5));
        }
    }
    acc ^ x
}

/// One timed round.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Round {
    pub wall_s: f64,
    /// CPU time of the thread that ran it: time it waited for a core is not in it.
    pub cpu_s: f64,
}

/// The probe's result, as `switchboard machine-speed` prints it (one JSON line).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MachineSpeed {
    pub ops_per_round: u64,
    pub checksum: u64,
    pub rounds: Vec<Round>,
    /// Millions of operations per CPU second in the fastest round: the machine's speed.
    pub mops_per_cpu_s: f64,
}

impl MachineSpeed {
    /// The result of `rounds` of `ops_per_round` operations each.
    pub fn of(ops_per_round: u64, checksum: u64, rounds: Vec<Round>) -> MachineSpeed {
        let fastest = rounds
            .iter()
            .map(|round| round.cpu_s)
            .filter(|cpu_s| *cpu_s > 0.0)
            .fold(f64::INFINITY, f64::min);
        let mops_per_cpu_s = if fastest.is_finite() {
            (ops_per_round as f64 / fastest / 1e6 * 10.0).round() / 10.0
        } else {
            0.0
        };
        MachineSpeed {
            ops_per_round,
            checksum,
            rounds,
            mops_per_cpu_s,
        }
    }
}

/// Runs the workload `rounds` times and times each round.
pub fn measure(rounds: u32) -> MachineSpeed {
    let mut timed = Vec::new();
    let mut checksum = 0;
    for _ in 0..rounds {
        let cpu = thread_cpu_time();
        let wall = Instant::now();
        checksum = std::hint::black_box(workload(std::hint::black_box(OPS_PER_ROUND)));
        timed.push(Round {
            wall_s: wall.elapsed().as_secs_f64(),
            cpu_s: (thread_cpu_time() - cpu).as_secs_f64(),
        });
    }
    MachineSpeed::of(OPS_PER_ROUND, checksum, timed)
}

/// CPU time of the calling thread (std has no clock for it).
fn thread_cpu_time() -> Duration {
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given; the clock id is a constant.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) };
    assert_eq!(status, 0, "CLOCK_THREAD_CPUTIME_ID is always available on Linux");
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `workload(1_000_000)`, as first measured.
    const PINNED_CHECKSUM: u64 = 4_501_342_239_860_724_534;

    #[test]
    fn the_workload_is_the_same_work_every_time() {
        // Pinned: changing the workload makes every recorded speed incomparable.
        assert_eq!(workload(1_000_000), PINNED_CHECKSUM);
        assert_eq!(workload(1_000_000), workload(1_000_000));
        assert_ne!(workload(1_000_000), workload(1_000_001));
    }

    #[test]
    fn speed_is_the_fastest_round_in_cpu_time() {
        let rounds = vec![
            Round {
                wall_s: 3.0,
                cpu_s: 0.8,
            },
            Round {
                wall_s: 0.5,
                cpu_s: 0.5,
            },
            Round {
                wall_s: 0.9,
                cpu_s: 0.6,
            },
        ];
        let speed = MachineSpeed::of(100_000_000, 7, rounds);
        assert_eq!(speed.mops_per_cpu_s, 200.0);
        assert_eq!(speed.rounds.len(), 3);
        assert_eq!(MachineSpeed::of(1, 7, Vec::new()).mops_per_cpu_s, 0.0);
    }
}
