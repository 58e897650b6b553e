//! The recording tap: a per-call copy of the μ-law the call relays, handed in chunks to an
//! encoder running on a task of its own.
//!
//! Only calls on an account that records calls have one; the others pay nothing per frame.
//! Per frame the tap only copies the frame's bytes into a buffer reserved up front: no
//! allocation, lock or log line. Each entry is one byte saying what it is ([`Entry`]), two
//! bytes of length (little-endian) and the μ-law bytes. When the buffer holds about a second
//! of audio it is sent through a bounded channel and a recycled buffer taken in its place.
//! If the encoder falls so far behind that the channel is full, the recording is marked lost
//! (it would have a gap) and the tap stops; the encoder then drops it at the end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;

/// Bytes of entries after which a chunk is sent: about a second of both legs.
const CHUNK_BYTES: usize = 16_000;
/// The largest piece of audio in one entry; longer audio is split.
const MAX_PIECE: usize = 4_096;
/// Chunks in flight to the encoder before the tap gives up.
const CHUNKS_IN_FLIGHT: usize = 8;
/// Each chunk's capacity: room for one more entry past [`CHUNK_BYTES`].
const CAPACITY: usize = CHUNK_BYTES + MAX_PIECE + 3;

/// What an entry of a chunk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A frame of the caller's audio, as it arrived.
    Caller(&'a [u8]),
    /// Agent audio, as it was sent to the caller.
    Agent(&'a [u8]),
    /// The caller's side was told to clear what it had not played yet (a barge-in).
    Clear,
}

const CALLER: u8 = 0;
const AGENT: u8 = 1;
const CLEAR: u8 = 2;

/// The call's side of the tap.
#[derive(Debug)]
pub struct RecordingTap {
    chunk: Vec<u8>,
    full: mpsc::Sender<Vec<u8>>,
    spare: mpsc::Receiver<Vec<u8>>,
    lost: Arc<AtomicBool>,
    /// Stopped after a loss: nothing more is copied.
    stopped: bool,
}

/// The encoder's side: the chunks as they fill, and where to give their buffers back.
#[derive(Debug)]
pub struct TapChunks {
    full: mpsc::Receiver<Vec<u8>>,
    spare: mpsc::Sender<Vec<u8>>,
    lost: Arc<AtomicBool>,
}

/// A tap and its other end, with every buffer reserved.
pub fn recording_tap() -> (RecordingTap, TapChunks) {
    let (full_tx, full_rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let (spare_tx, spare_rx) = mpsc::channel(CHUNKS_IN_FLIGHT + 1);
    for _ in 0..2 {
        let _ = spare_tx.try_send(Vec::with_capacity(CAPACITY));
    }
    let lost = Arc::new(AtomicBool::new(false));
    let tap = RecordingTap {
        chunk: Vec::with_capacity(CAPACITY),
        full: full_tx,
        spare: spare_rx,
        lost: lost.clone(),
        stopped: false,
    };
    let chunks = TapChunks {
        full: full_rx,
        spare: spare_tx,
        lost,
    };
    (tap, chunks)
}

impl RecordingTap {
    /// Copies a frame of the caller's audio.
    #[inline]
    pub fn caller(&mut self, ulaw: &[u8]) {
        self.audio(CALLER, ulaw);
    }

    /// Copies agent audio sent to the caller.
    #[inline]
    pub fn agent(&mut self, ulaw: &[u8]) {
        self.audio(AGENT, ulaw);
    }

    /// Notes that the caller's side was told to clear its unplayed audio.
    #[inline]
    pub fn clear(&mut self) {
        self.entry(CLEAR, &[]);
    }

    #[inline]
    fn audio(&mut self, tag: u8, mut ulaw: &[u8]) {
        while ulaw.len() > MAX_PIECE {
            let (piece, rest) = ulaw.split_at(MAX_PIECE);
            self.entry(tag, piece);
            ulaw = rest;
        }
        if !ulaw.is_empty() {
            self.entry(tag, ulaw);
        }
    }

    #[inline]
    fn entry(&mut self, tag: u8, bytes: &[u8]) {
        if self.stopped {
            return;
        }
        // `bytes` is at most MAX_PIECE, and a chunk is sent once past CHUNK_BYTES, so this
        // never grows the buffer.
        self.chunk.push(tag);
        self.chunk.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        self.chunk.extend_from_slice(bytes);
        if self.chunk.len() >= CHUNK_BYTES {
            self.send();
        }
    }

    /// Hands the chunk to the encoder and takes a recycled buffer in its place.
    fn send(&mut self) {
        let next = match self.spare.try_recv() {
            Ok(buffer) => buffer,
            // Every buffer is with the encoder or in the channel, which bounds how many there
            // are: a new one is the rare case of an encoder a little behind.
            Err(_) => Vec::with_capacity(CAPACITY),
        };
        let chunk = std::mem::replace(&mut self.chunk, next);
        if self.full.try_send(chunk).is_err() {
            self.lost.store(true, Ordering::Relaxed);
            self.stopped = true;
        }
    }
}

impl Drop for RecordingTap {
    /// The call is over: the last chunk goes to the encoder, and the channel's end tells it so.
    fn drop(&mut self) {
        if !self.chunk.is_empty() && !self.stopped {
            self.send();
        }
    }
}

impl TapChunks {
    /// The next chunk; `None` once the call is over and every chunk was taken.
    pub async fn next(&mut self) -> Option<Vec<u8>> {
        self.full.recv().await
    }

    /// The next chunk if one is waiting, without waiting (for a caller that drains in a loop).
    pub fn try_next(&mut self) -> Option<Vec<u8>> {
        self.full.try_recv().ok()
    }

    /// Gives a chunk's buffer back to the tap.
    pub fn recycle(&self, mut buffer: Vec<u8>) {
        buffer.clear();
        let _ = self.spare.try_send(buffer);
    }

    /// The tap could not keep up and stopped: the recording has a gap.
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }
}

/// The entries of a chunk, in order. A malformed tail (which the tap never writes) ends it.
pub fn entries(chunk: &[u8]) -> impl Iterator<Item = Entry<'_>> {
    let mut rest = chunk;
    std::iter::from_fn(move || {
        let (&tag, after) = rest.split_first()?;
        let len = u16::from_le_bytes([*after.first()?, *after.get(1)?]) as usize;
        let bytes = after.get(2..2 + len)?;
        rest = &after[2 + len..];
        Some(match tag {
            CALLER => Entry::Caller(bytes),
            AGENT => Entry::Agent(bytes),
            _ => Entry::Clear,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_come_out_in_order_in_chunks_of_about_a_second() {
        let (mut tap, mut chunks) = recording_tap();
        let frame = [7u8; 160];
        for _ in 0..50 {
            tap.caller(&frame);
        }
        tap.agent(&[9u8; 10_000]);
        tap.clear();
        tap.caller(&frame);
        drop(tap);
        let mut seen = Vec::new();
        let mut count = 0;
        while let Some(chunk) = chunks.next().await {
            count += 1;
            assert!(chunk.len() <= CAPACITY, "never grown past its reserve");
            for entry in entries(&chunk) {
                seen.push(match entry {
                    Entry::Caller(bytes) => ('c', bytes.len()),
                    Entry::Agent(bytes) => ('a', bytes.len()),
                    Entry::Clear => ('x', 0),
                });
            }
            chunks.recycle(chunk);
        }
        assert!(count >= 2, "{count} chunks");
        let mut expected = vec![('c', 160); 50];
        expected.extend([('a', 4_096), ('a', 4_096), ('a', 1_808), ('x', 0), ('c', 160)]);
        assert_eq!(seen, expected);
        assert!(!chunks.lost());
    }

    #[tokio::test]
    async fn an_encoder_too_far_behind_marks_the_recording_lost() {
        let (mut tap, chunks) = recording_tap();
        for _ in 0..(CHUNKS_IN_FLIGHT + 2) * 110 {
            tap.caller(&[0u8; 160]);
        }
        assert!(chunks.lost());
    }
}
