//! A process's CPU time and resident memory from Linux's `/proc`, the whole machine's CPU
//! time and what machine it is, which process listens on a local TCP port, and the bytes
//! waiting unread in a process's TCP receive queues (proc(5): `/proc/<pid>/stat`,
//! `/proc/<pid>/status`, `/proc/stat`, `/proc/cpuinfo`, `/proc/sys/kernel/osrelease`,
//! `/proc/net/tcp`, `/proc/<pid>/fd`).

use std::io;
use std::path::Path;

/// One reading of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcReading {
    /// User plus system CPU time, in clock ticks.
    pub cpu_ticks: u64,
    /// Of `cpu_ticks`, the system time: the kernel working on the process's behalf (its
    /// socket calls, mostly).
    pub kernel_ticks: u64,
    pub rss_kib: u64,
    pub threads: u64,
}

/// Reads `pid`'s CPU time and resident set size.
pub fn read(pid: u32) -> io::Result<ProcReading> {
    let dir = Path::new("/proc").join(pid.to_string());
    let stat = std::fs::read_to_string(dir.join("stat"))?;
    let status = std::fs::read_to_string(dir.join("status"))?;
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("/proc/{pid}/{what}"));
    let (cpu_ticks, kernel_ticks, threads) = parse_stat(&stat).ok_or_else(|| invalid("stat"))?;
    let rss_kib = parse_status_rss_kib(&status).ok_or_else(|| invalid("status"))?;
    Ok(ProcReading {
        cpu_ticks,
        kernel_ticks,
        rss_kib,
        threads,
    })
}

/// The machine's CPU time over all cores, in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MachineCpu {
    /// Time spent running anything: user, nice, system, irq, softirq.
    pub busy: u64,
    /// `busy` plus idle, iowait and steal.
    pub total: u64,
    /// Time the hypervisor ran other guests instead.
    pub steal: u64,
    /// CPUs online (the `cpuN` lines): all of them, whatever this process is pinned to.
    pub cpus: usize,
}

/// Reads the machine's CPU time from `/proc/stat`.
pub fn machine_cpu() -> io::Result<MachineCpu> {
    let text = std::fs::read_to_string("/proc/stat")?;
    parse_machine_cpu(&text).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "/proc/stat"))
}

/// The first line of `/proc/stat`: `cpu user nice system idle iowait irq softirq steal …`.
/// Steal (time the hypervisor gave to other guests) is neither ours nor idle, so it only
/// counts towards the total.
fn parse_machine_cpu(text: &str) -> Option<MachineCpu> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let at = |i: usize| fields.get(i).copied().unwrap_or(0);
    let busy = at(0) + at(1) + at(2) + at(5) + at(6);
    let cpus = text
        .lines()
        .filter(|l| {
            l.strip_prefix("cpu")
                .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count();
    Some(MachineCpu {
        busy,
        total: busy + at(3) + at(4) + at(7),
        steal: at(7),
        cpus: cpus.max(1),
    })
}

/// Clock ticks per second, the unit of `/proc/<pid>/stat`'s CPU times.
pub fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf only reads a system constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as u64 } else { 100 }
}

/// `utime + stime`, `stime` and the thread count from the text of `/proc/<pid>/stat`. The
/// command name (field 2) may hold spaces and parentheses, so fields are counted from its
/// last `)`.
fn parse_stat(text: &str) -> Option<(u64, u64, u64)> {
    let after_name = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Field 3 (state) is fields[0]; utime is field 14, stime 15, num_threads 20.
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    let (user, system) = (field(14)?, field(15)?);
    Some((user.saturating_add(system), system, field(20)?))
}

/// What machine the figures come from: the same work costs very different CPU time on
/// different processors and kernels, so a report names both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MachineIdentity {
    /// The processor's name, as `/proc/cpuinfo` gives it (`model name`; `None` where the
    /// kernel gives none, as on most ARM machines).
    pub cpu_model: Option<String>,
    /// The running kernel's release (`uname -r`).
    pub kernel: Option<String>,
}

/// Reads this machine's identity. Whatever cannot be read is `None`: the report goes on.
pub fn machine_identity() -> MachineIdentity {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    MachineIdentity {
        cpu_model: read("/proc/cpuinfo").and_then(|text| parse_cpu_model(&text)),
        kernel: read("/proc/sys/kernel/osrelease")
            .map(|text| text.trim().to_owned())
            .filter(|release| !release.is_empty()),
    }
}

/// The first `model name` of `/proc/cpuinfo`, with runs of spaces made one.
fn parse_cpu_model(text: &str) -> Option<String> {
    let line = text
        .lines()
        .find(|l| l.split(':').next().is_some_and(|key| key.trim() == "model name"))?;
    let (_, value) = line.split_once(':')?;
    let model = value.split_whitespace().collect::<Vec<_>>().join(" ");
    (!model.is_empty()).then_some(model)
}

/// `VmRSS` in KiB from the text of `/proc/<pid>/status`.
fn parse_status_rss_kib(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    line["VmRSS:".len()..].split_whitespace().next()?.parse().ok()
}

/// The process listening on TCP `port` on this machine, if it can be found.
pub fn pid_listening_on(port: u16) -> io::Result<Option<u32>> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        match std::fs::read_to_string(table) {
            Ok(text) => inodes.extend(listening_inodes(&text, port)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    if inodes.is_empty() {
        return Ok(None);
    }
    let wanted: Vec<String> = inodes.iter().map(|i| format!("socket:[{i}]")).collect();
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        // Processes come and go, and some may not be ours to look into: skip those.
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path())
                && wanted.iter().any(|w| target.as_os_str() == w.as_str())
            {
                return Ok(Some(pid));
            }
        }
    }
    Ok(None)
}

/// Bytes received and not yet read by `pid`, summed over its TCP sockets whose local port is
/// `port` (for a server, the connections it accepted on that port): the `rx_queue` column of
/// `/proc/net/tcp` and `/proc/net/tcp6` for the socket inodes in `/proc/<pid>/fd`. `None`
/// when the process has no such socket.
pub fn receive_queue_bytes(pid: u32, port: u16) -> io::Result<Option<u64>> {
    let mut inodes = std::collections::HashSet::new();
    for fd in std::fs::read_dir(Path::new("/proc").join(pid.to_string()).join("fd"))? {
        // A descriptor closed between the listing and the read is simply gone.
        if let Ok(target) = std::fs::read_link(fd?.path())
            && let Some(inode) = socket_inode(target.as_os_str().to_str().unwrap_or(""))
        {
            inodes.insert(inode);
        }
    }
    let mut total = None;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        match std::fs::read_to_string(table) {
            Ok(text) => {
                if let Some(bytes) = queued_bytes(&text, port, |inode| inodes.contains(&inode)) {
                    total = Some(total.unwrap_or(0) + bytes);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

/// The inode of a socket descriptor's link target, `socket:[12345]`.
fn socket_inode(target: &str) -> Option<u64> {
    target.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
}

/// The `rx_queue` bytes summed over the connections (not listeners) of a `/proc/net/tcp{,6}`
/// table whose local port is `port` and whose inode `owned` accepts; `None` when there are
/// none.
fn queued_bytes(table: &str, port: u16, owned: impl Fn(u64) -> bool) -> Option<u64> {
    const LISTEN: &str = "0A";
    let mut total = None;
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // sl local_address rem_address st tx_queue:rx_queue tr:when retrnsmt uid timeout inode
        let (Some(local), Some(state), Some(queues), Some(inode)) =
            (fields.get(1), fields.get(3), fields.get(4), fields.get(9))
        else {
            continue;
        };
        let local_port = local
            .rsplit_once(':')
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
        let inode = inode.parse().ok();
        let rx = queues
            .split_once(':')
            .and_then(|(_, rx)| u64::from_str_radix(rx, 16).ok());
        if let (Some(local_port), Some(inode), Some(rx)) = (local_port, inode, rx)
            && local_port == port
            && *state != LISTEN
            && owned(inode)
        {
            total = Some(total.unwrap_or(0) + rx);
        }
    }
    total
}

/// Inodes of the sockets listening on `port` in a `/proc/net/tcp{,6}` table.
fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    const LISTEN: &str = "0A";
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            let local = fields.get(1)?;
            let (_, local_port) = local.rsplit_once(':')?;
            let local_port = u16::from_str_radix(local_port, 16).ok()?;
            (local_port == port && *fields.get(3)? == LISTEN)
                .then(|| fields.get(9)?.parse().ok())
                .flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_count_from_the_last_parenthesis() {
        let stat = "4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 300 0 0 0 123 45 0 0 20 0 7 0 \
                    1000 2000000 500 18446744073709551615";
        assert_eq!(parse_stat(stat), Some((168, 45, 7)));
        assert_eq!(parse_stat("garbage"), None);
        let huge = format!(
            "1 (x) S{} 18446744073709551615 18446744073709551615 0 0 0 0 9",
            " 0".repeat(10)
        );
        assert_eq!(parse_stat(&huge), Some((u64::MAX, u64::MAX, 9)));
    }

    #[test]
    fn machine_cpu_counts_busy_time_and_steal_as_not_idle() {
        let stat = "cpu  100 5 50 1000 20 3 2 7 0 0\ncpu0 50 2 25 500 10 1 1 3 0 0\nintr 1\n";
        assert_eq!(
            parse_machine_cpu(stat),
            Some(MachineCpu {
                busy: 160,
                total: 1187,
                steal: 7,
                cpus: 1,
            })
        );
        assert_eq!(parse_machine_cpu("intr 1\n"), None);
        assert!(machine_cpu().unwrap().total > 0);
    }

    #[test]
    fn the_cpu_model_is_the_first_model_name_with_its_spaces_tidied() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 143\n\
                       model name\t: Intel(R) Xeon(R)   Processor @ 2.1GHz \nflags\t: fpu\n\n\
                       processor\t: 1\nmodel name\t: Other\n";
        assert_eq!(
            parse_cpu_model(cpuinfo).as_deref(),
            Some("Intel(R) Xeon(R) Processor @ 2.1GHz")
        );
        // `model` alone is a number, not the name; ARM kernels give neither.
        assert_eq!(parse_cpu_model("processor\t: 0\nmodel\t\t: 143\n"), None);
        assert_eq!(parse_cpu_model("model name\t:   \n"), None);
        assert_eq!(parse_cpu_model(""), None);
        let here = machine_identity();
        assert!(here.kernel.is_some_and(|k| !k.is_empty() && !k.contains('\n')));
    }

    proptest::proptest! {
        /// Whatever `/proc/cpuinfo` holds, reading the model never panics, and a model read
        /// is the value after the first `model name` key, its spaces tidied.
        #[test]
        fn any_cpuinfo_gives_a_tidy_model_or_none(
            before in "[a-z \t:\n]{0,40}",
            name in "[A-Za-z0-9()@. \t]{0,40}",
            after in "[ -~\n]{0,80}",
        ) {
            let text = format!("{before}\nmodel name\t: {name}\n{after}");
            let model = parse_cpu_model(&text);
            // An earlier `model name` key in `before` would win; there is none without a `m`.
            if !before.contains('m') {
                let words: Vec<&str> = name.split_whitespace().collect();
                proptest::prop_assert_eq!(model.clone(), (!words.is_empty()).then(|| words.join(" ")));
            }
            if let Some(model) = model {
                proptest::prop_assert!(!model.is_empty() && !model.contains("  ") && model.trim() == model);
            }
        }

        /// Any text as `/proc/<pid>/stat`: no panic, and what is read adds up.
        #[test]
        fn any_stat_text_reads_or_is_refused(text in "[ -~]{0,200}") {
            if let Some((all, kernel, _threads)) = parse_stat(&text) {
                proptest::prop_assert!(kernel <= all);
            }
        }
    }

    #[test]
    fn rss_comes_from_vmrss() {
        let status = "Name:\tswitchboard\nVmPeak:\t  99999 kB\nVmRSS:\t   51234 kB\nThreads:\t3\n";
        assert_eq!(parse_status_rss_kib(status), Some(51234));
        assert_eq!(parse_status_rss_kib("Name:\tkthread\n"), None);
    }

    #[test]
    fn only_listening_sockets_on_the_port_count() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0 100 0 0 10 0\n\
           1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2222 1 0 20 4 30 10 -1\n\
           2: 00000000:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3333 1 0 100 0 0 10 0\n";
        assert_eq!(listening_inodes(table, 8080), vec![1111]);
        assert_eq!(listening_inodes(table, 8081), vec![3333]);
        assert!(listening_inodes(table, 9).is_empty());
    }

    #[test]
    fn receive_queues_are_summed_over_the_owned_connections_on_the_port() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000005 00:00000000 00000000     0        0 1111 1 0 100 0 0 10 0\n\
           1: 0100007F:1F90 0100007F:C350 01 00000000:00000152 00:00000000 00000000     0        0 2222 1 0 20 4 30 10 -1\n\
           2: 0100007F:1F90 0100007F:C351 01 00000010:00000000 00:00000000 00000000     0        0 2223 1 0 20 4 30 10 -1\n\
           3: 0100007F:1F90 0100007F:C352 01 00000000:00001000 00:00000000 00000000     0        0 9999 1 0 20 4 30 10 -1\n\
           4: 0100007F:C350 0100007F:1F90 01 00000000:00000100 00:00000000 00000000     0        0 3333 1 0 20 4 30 10 -1\n";
        let ours = |inode| [1111, 2222, 2223, 3333].contains(&inode);
        // 0x152 on the first connection, none on the second; the listener, another
        // process's connection (9999) and a connection from another port do not count.
        assert_eq!(queued_bytes(table, 8080, ours), Some(0x152));
        assert_eq!(queued_bytes(table, 50_000, ours), Some(0x100));
        assert_eq!(queued_bytes(table, 8081, ours), None);
        assert_eq!(queued_bytes("garbage\nmore garbage here\n", 8080, ours), None);
        assert_eq!(socket_inode("socket:[2222]"), Some(2222));
        assert_eq!(socket_inode("pipe:[2222]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
    }

    #[test]
    fn reads_the_receive_queue_of_this_process() {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(receive_queue_bytes(std::process::id(), port).unwrap(), None);
        let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (_accepted, _) = listener.accept().unwrap();
        client.write_all(&[7; 100]).unwrap();
        // Loopback delivers at once, but wait for it rather than assume it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut queued = receive_queue_bytes(std::process::id(), port).unwrap();
        while queued != Some(100) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
            queued = receive_queue_bytes(std::process::id(), port).unwrap();
        }
        assert_eq!(queued, Some(100));
    }

    #[test]
    fn finds_this_process_by_its_listening_port() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(pid_listening_on(port).unwrap(), Some(std::process::id()));
        drop(listener);
        assert_eq!(pid_listening_on(port).unwrap(), None);
    }

    #[test]
    fn reads_this_process() {
        let reading = read(std::process::id()).unwrap();
        assert!(reading.rss_kib > 0);
        assert!(reading.threads >= 1);
        assert!(clock_ticks_per_second() >= 100);
    }
}
