//! Whether the load generator itself was behind: when it sends late, the machine has no idle
//! core left, or the hypervisor took a share of the machine's time, an echo's round trip
//! measures the harness's own queueing (or the host) as much as the bridge, and the report
//! says so (a flag in the JSON, a loud line in the summary) rather than let the figure pass as
//! the bridge's.

use super::report::{LatencySummary, MachineUsage};

/// A send lag p99 above this means frames left well after their 20 ms tick: the generator is
/// not keeping time, so neither are the round trips it measures.
pub const SEND_LAG_P99_LIMIT_US: u64 = 20_000;
/// Busy within this much of every core (190 % on two): runnable tasks wait for a core, the
/// harness's as much as the bridge's.
pub const IDLE_HEADROOM_PERCENT: f64 = 10.0;
/// Time the hypervisor gave to other guests, above this (100 is one core): every process ran
/// slower than the same work does on this machine when it has its cores to itself. Seen here:
/// 300 calls' round-trip p99 at 1.6–1.9 ms with none stolen, 44.5 ms in a run with 11 %.
pub const STEAL_LIMIT_PERCENT: f64 = 5.0;

/// Why the run's round trips measure the harness, in words; empty when they do not.
pub fn reasons(send_lag: Option<&LatencySummary>, machine: Option<&MachineUsage>) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Some(lag) = send_lag.filter(|lag| lag.p99_us > SEND_LAG_P99_LIMIT_US) {
        reasons.push(format!(
            "the load generator's send lag p99 is {:.1} ms (over {} ms): it is not keeping its 20 ms clock",
            lag.p99_us as f64 / 1000.0,
            SEND_LAG_P99_LIMIT_US / 1000
        ));
    }
    if let Some(machine) = machine
        && let Some(busy) = machine.busy_percent_steady
    {
        let limit = machine.cpus as f64 * 100.0 - IDLE_HEADROOM_PERCENT;
        if busy > limit {
            reasons.push(format!(
                "the machine was {busy:.0} % busy of {} % ({} CPUs) while all calls were up: every process waited for a core",
                machine.cpus * 100,
                machine.cpus
            ));
        }
    }
    if let Some(steal) = machine
        .and_then(|m| m.steal_percent_steady)
        .filter(|&steal| steal > STEAL_LIMIT_PERCENT)
    {
        reasons.push(format!(
            "the hypervisor took {steal:.0} % of a core from this machine while all calls were up (steal, over {STEAL_LIMIT_PERCENT:.0} %): every process ran slower than on its own cores"
        ));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lag(p99_us: u64) -> LatencySummary {
        LatencySummary {
            count: 100,
            mean_us: 1_000.0,
            p50_us: 1_000,
            p90_us: 2_000,
            p99_us,
            p999_us: p99_us,
            max_us: p99_us,
        }
    }

    fn machine(cpus: usize, busy: f64) -> MachineUsage {
        MachineUsage {
            cpus,
            cpu_model: None,
            kernel: None,
            busy_percent_steady: Some(busy),
            others_percent_steady: Some(0.0),
            steal_percent_steady: Some(0.0),
        }
    }

    #[test]
    fn a_late_generator_or_a_full_machine_is_named() {
        assert!(reasons(Some(&lag(20_000)), Some(&machine(2, 190.0))).is_empty());
        assert!(reasons(None, None).is_empty());
        let late = reasons(Some(&lag(20_001)), Some(&machine(2, 150.0)));
        assert_eq!(late.len(), 1);
        assert!(late[0].contains("send lag p99 is 20.0 ms"), "{late:?}");
        let full = reasons(Some(&lag(1_000)), Some(&machine(2, 199.0)));
        assert_eq!(full.len(), 1);
        assert!(full[0].contains("199 % busy of 200 %"), "{full:?}");
        // Four cores have room at 199 %.
        assert!(reasons(None, Some(&machine(4, 199.0))).is_empty());
        assert_eq!(reasons(Some(&lag(45_000)), Some(&machine(2, 199.5))).len(), 2);
    }

    #[test]
    fn time_taken_by_the_hypervisor_is_named() {
        let stolen = |steal| MachineUsage {
            steal_percent_steady: Some(steal),
            ..machine(2, 120.0)
        };
        assert!(reasons(None, Some(&stolen(5.0))).is_empty());
        let slow = reasons(None, Some(&stolen(11.09)));
        assert_eq!(slow.len(), 1);
        assert!(slow[0].contains("took 11 % of a core"), "{slow:?}");
        let unknown = MachineUsage {
            steal_percent_steady: None,
            ..machine(2, 120.0)
        };
        assert!(reasons(None, Some(&unknown)).is_empty());
    }
}
