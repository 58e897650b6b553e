//! The kernel's floor for one relayed frame: one Twilio `media` WebSocket frame written into a
//! connected loopback socket and read from the other end, on one thread, with blocking std
//! sockets (TCP with `TCP_NODELAY`, as the bridge's legs are; and a Unix socketpair for
//! comparison). A frame crossing the bridge is one read on one leg and one write on the
//! other, so one write+read pair here is what the kernel charges per relayed frame, before
//! any runtime, parser or WebSocket code.
//!
//! Criterion times the pairs; beside each result this prints the process's CPU time per pair
//! split into user and system (`getrusage` around the measured loops), so the kernel's share
//! shows. `cargo bench --bench loopback`.

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use base64::Engine;
use criterion::{Criterion, criterion_group, criterion_main};
use switchboard::wire::twilio::{Media, StreamMessage};

/// A masked client frame with a payload of 126..=65535 bytes: two bytes of header, two of
/// length, four of mask (RFC 6455 §5.2). Twilio's frames to the bridge and the bridge's
/// frames to ElevenLabs are client frames.
const WEBSOCKET_HEADER_BYTES: usize = 8;

/// One 20 ms μ-law frame as Twilio sends it, with its WebSocket framing: the bytes one write
/// of a relayed frame hands to the kernel.
fn media_frame() -> Vec<u8> {
    let payload = base64::engine::general_purpose::STANDARD.encode([0x7f_u8; 160]);
    let text = StreamMessage::Media {
        sequence_number: Some("1042".into()),
        stream_sid: "MZ00000000000000000000000000000001".into(),
        media: Media {
            track: Some("inbound".into()),
            chunk: Some("1041".into()),
            timestamp: Some("20820".into()),
            payload: payload.into(),
        },
    }
    .to_json();
    let mut frame = vec![0x81, 0xfe];
    frame.extend_from_slice(&(text.len() as u16).to_be_bytes());
    frame.extend_from_slice(&[0x12, 0x34, 0x56, 0x78]);
    frame.extend_from_slice(text.as_bytes());
    debug_assert_eq!(frame.len(), text.len() + WEBSOCKET_HEADER_BYTES);
    frame
}

/// Two connected loopback TCP sockets with Nagle's algorithm off.
fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let writer = TcpStream::connect(listener.local_addr().unwrap()).expect("connect");
    let (reader, _) = listener.accept().expect("accept");
    writer.set_nodelay(true).unwrap();
    reader.set_nodelay(true).unwrap();
    (writer, reader)
}

/// The process's user and system CPU time so far.
fn cpu_times() -> (Duration, Duration) {
    // std has no getrusage; the libc call is one struct read.
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()), 0);
        usage.assume_init()
    };
    let time =
        |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    (time(usage.ru_utime), time(usage.ru_stime))
}

/// CPU time spent in the measured loops, summed over every batch criterion ran.
#[derive(Default)]
struct CpuSplit {
    pairs: u64,
    user: Duration,
    system: Duration,
}

impl CpuSplit {
    fn report(&self, name: &str) {
        if self.pairs == 0 {
            return;
        }
        let per_pair = |d: Duration| d.as_nanos() as f64 / self.pairs as f64;
        let (user, system) = (per_pair(self.user), per_pair(self.system));
        println!(
            "{name}: CPU per write+read pair {:.0} ns = user {user:.0} ns + system {system:.0} ns \
             ({:.0} % in the kernel), over {} pairs",
            user + system,
            100.0 * system / (user + system).max(f64::MIN_POSITIVE),
            self.pairs
        );
    }
}

/// Times `frame` written into `writer` and read whole from `reader`, one pair per iteration.
fn write_read_pairs(
    c: &mut Criterion,
    name: &str,
    mut writer: impl Write,
    mut reader: impl Read,
    frame: &[u8],
) {
    let mut received = vec![0u8; frame.len()];
    let mut cpu = CpuSplit::default();
    c.bench_function(name, |b| {
        b.iter_custom(|pairs| {
            let (user, system) = cpu_times();
            let start = Instant::now();
            for _ in 0..pairs {
                writer.write_all(black_box(frame)).unwrap();
                reader.read_exact(&mut received).unwrap();
            }
            let elapsed = start.elapsed();
            let (user_after, system_after) = cpu_times();
            cpu.pairs += pairs;
            cpu.user += user_after - user;
            cpu.system += system_after - system;
            elapsed
        })
    });
    assert_eq!(received, frame, "the frame arrived changed");
    cpu.report(name);
}

fn loopback(c: &mut Criterion) {
    let frame = media_frame();
    println!(
        "one Twilio media frame: {} bytes ({} of JSON)",
        frame.len(),
        frame.len() - WEBSOCKET_HEADER_BYTES
    );
    let (writer, reader) = tcp_pair();
    write_read_pairs(
        c,
        "media frame write+read, loopback TCP (TCP_NODELAY)",
        writer,
        reader,
        &frame,
    );
    let (writer, reader) = UnixStream::pair().expect("socketpair");
    write_read_pairs(
        c,
        "media frame write+read, Unix socketpair",
        writer,
        reader,
        &frame,
    );
}

criterion_group!(benches, loopback);
criterion_main!(benches);
