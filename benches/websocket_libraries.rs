//! What one relayed frame costs a WebSocket library on the bridge's side of a socket:
//! `tokio-tungstenite` (what both of a call's legs use) against `fastwebsockets`, on
//! loopback TCP, with the frame the bridge sees most (a Twilio `media` message, ~330 bytes
//! framed).
//!
//! A server thread with its own single-threaded tokio runtime reads one masked text message
//! and writes one unmasked text message back, as the bridge does once per frame on each leg;
//! a client thread plays the peer with pre-encoded bytes on a plain socket, so it costs both
//! libraries the same. The server thread's CPU time is read with `getrusage(RUSAGE_THREAD)`,
//! split into user and kernel time: a wall-clock harness such as criterion would show neither
//! the split nor the server's cost alone, which is why this bench keeps its own tiny harness.
//!
//! Run: `cargo bench --bench websocket_libraries` (add `-- 200000` for the frames per round;
//! each library runs three alternating rounds and the middle figure is printed).
//! `WS_LIBRARY=Tungstenite` or `FastWebSockets` runs one round of one library only, and
//! `WS_READ_BUFFER` sets tungstenite's read buffer (8 KiB, as the agent's leg), so the same
//! binary under `valgrind --tool=callgrind` counts instructions per frame: the difference
//! between two runs of different frame counts, divided by the difference in frames.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Instant;

use fastwebsockets::{FragmentCollector, Frame, OpCode, Payload, Role, WebSocket};
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::{Role as TungsteniteRole, WebSocketConfig};

/// A Twilio `media` message as the bridge receives it (160 bytes of μ-law in base64).
const MEDIA: &str = concat!(
    r#"{"event":"media","sequenceNumber":"42","media":{"track":"inbound","chunk":"41","#,
    r#""timestamp":"820","payload":""#,
    "/////////////////////////////////////////////////////////////////////////////////////////",
    "/////////////////////////////////////////////////////////////////////////////////////////",
    "//////////////////////////////////////",
    r#""},"streamSid":"MZ00000000000000000000000000000001"}"#
);

#[derive(Debug, Clone, Copy)]
enum Library {
    Tungstenite,
    FastWebSockets,
}

/// CPU time of the calling thread: (user, kernel) in microseconds.
fn thread_cpu() -> (f64, f64) {
    // SAFETY: getrusage only writes into the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_THREAD, &mut usage);
        usage
    };
    let micros = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    (micros(usage.ru_utime), micros(usage.ru_stime))
}

/// A masked client text frame carrying `payload` (RFC 6455 §5.2), as a browser or Twilio
/// would send it.
fn masked_text_frame(payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x81];
    match payload.len() {
        len @ 0..=125 => frame.push(0x80 | len as u8),
        len @ 126..=0xffff => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

/// The length of an unmasked server frame carrying `len` bytes.
fn server_frame_len(len: usize) -> usize {
    match len {
        0..=125 => 2 + len,
        126..=0xffff => 4 + len,
        _ => 10 + len,
    }
}

/// One round: `frames` request/answer pairs; the server's CPU per frame (user, kernel) in µs.
fn round(library: Library, frames: u64) -> (f64, f64) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        socket.set_nodelay(true).unwrap();
        socket.set_nonblocking(true).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let socket = tokio::net::TcpStream::from_std(socket).unwrap();
            let before = thread_cpu();
            match library {
                Library::Tungstenite => serve_tungstenite(socket, frames).await,
                Library::FastWebSockets => serve_fastwebsockets(socket, frames).await,
            }
            let after = thread_cpu();
            let per_frame = |a: f64, b: f64| (b - a) / frames as f64;
            (per_frame(before.0, after.0), per_frame(before.1, after.1))
        })
    });
    let mut client = TcpStream::connect(address).unwrap();
    client.set_nodelay(true).unwrap();
    let request = masked_text_frame(MEDIA.as_bytes());
    let mut answer = vec![0; server_frame_len(MEDIA.len())];
    for _ in 0..frames {
        client.write_all(&request).unwrap();
        client.read_exact(&mut answer).unwrap();
    }
    assert_eq!(&answer[answer.len() - MEDIA.len()..], MEDIA.as_bytes());
    server.join().unwrap()
}

/// The bridge's way with tokio-tungstenite: the configuration of its legs (8 KiB read
/// buffer), a message fed and then flushed.
async fn serve_tungstenite(socket: tokio::net::TcpStream, frames: u64) {
    let config = WebSocketConfig::default()
        .read_buffer_size(env_number("WS_READ_BUFFER").unwrap_or(8 * 1024))
        .max_message_size(Some(128 * 1024));
    let mut ws = WebSocketStream::from_raw_socket(socket, TungsteniteRole::Server, Some(config)).await;
    for _ in 0..frames {
        let Some(Ok(Message::Text(text))) = ws.next().await else {
            panic!("a text message");
        };
        ws.feed(Message::Text(text.as_str().into())).await.unwrap();
        ws.flush().await.unwrap();
    }
}

/// fastwebsockets with the same checks: whole messages (fragments collected), UTF-8 checked,
/// close and ping answered, a message size limit; one vectored write per message.
async fn serve_fastwebsockets(socket: tokio::net::TcpStream, frames: u64) {
    let mut ws = WebSocket::after_handshake(socket, Role::Server);
    ws.set_auto_close(true);
    ws.set_auto_pong(true);
    ws.set_max_message_size(128 * 1024);
    ws.set_writev(true);
    let mut ws = FragmentCollector::new(ws);
    for _ in 0..frames {
        let frame = ws.read_frame().await.unwrap();
        assert_eq!(frame.opcode, OpCode::Text);
        let text = std::str::from_utf8(&frame.payload).unwrap().to_owned();
        let answer = Frame::text(Payload::Owned(text.into_bytes()));
        ws.write_frame(answer).await.unwrap();
    }
}

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|value| value.parse().ok())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a number among the arguments sets the frames per round.
    let frames = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(100_000u64);
    println!(
        "{frames} frames per round, {} bytes each; server-side CPU per frame:",
        MEDIA.len()
    );
    let mut results = [
        (Library::Tungstenite, vec![], vec![]),
        (Library::FastWebSockets, vec![], vec![]),
    ];
    let only = std::env::var("WS_LIBRARY").ok();
    let rounds = if only.is_some() { 1 } else { 3 };
    for _ in 0..rounds {
        for (library, user, kernel) in &mut results {
            if only.as_deref().is_some_and(|only| only != format!("{library:?}")) {
                continue;
            }
            let started = Instant::now();
            let (u, k) = round(*library, frames);
            user.push(u);
            kernel.push(k);
            eprintln!(
                "  {library:?}: user {u:.2} µs, kernel {k:.2} µs ({:?})",
                started.elapsed()
            );
        }
    }
    for (library, user, kernel) in results {
        if user.is_empty() {
            continue;
        }
        let (user, kernel) = (median(user), median(kernel));
        println!(
            "{library:?}: user {user:.2} µs + kernel {kernel:.2} µs = {:.2} µs per frame (median of the rounds)",
            user + kernel
        );
    }
}
