//! The relay allocates only what leaves the bridge: one buffer per message sent.
//!
//! A counting global allocator watches one warmed-up session relaying frames on the
//! pass-through path; anything beyond the outgoing message (a copied payload, a buffered
//! parse, a per-frame log line) shows up here. Each audio message must also be exactly as
//! long as its buffer: the driver hands it to the socket as `Bytes`, which allocates again
//! for a buffer with spare capacity.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use crate::support::*;
use switchboard::call::{Frame, Transmit};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(|a| a.get())
}

#[test]
fn a_relayed_frame_costs_one_allocation_each_way() {
    for format in ["ulaw_8000", "pcm_16000"] {
        let mut h = Harness::live(format, format);
        let caller = media(2, &[0x55; 160]);
        let agent_bytes = if format == "ulaw_8000" {
            vec![0x55; 160]
        } else {
            vec![0x10; 320]
        };
        // ElevenLabs may send each chunk with the character timings of its text.
        let agent_frames = [
            agent_audio(1, &agent_bytes),
            agent_audio_aligned(1, &agent_bytes, "Hello, how can I help you today?"),
        ];
        // Warm up for a few seconds of audio: buffers and queues reach their working size.
        for n in 0..300 {
            h.session.on_caller(h.now, Frame::Text(&caller));
            h.session.on_agent(h.now, Frame::Text(&agent_frames[n % 2]));
            while h.session.poll_transmit().is_some() {}
            while h.session.poll_event().is_some() {}
        }

        let mut sent = Vec::with_capacity(100);
        let before = allocations();
        for _ in 0..100 {
            h.session.on_caller(h.now, Frame::Text(&caller));
            sent.push(h.session.poll_transmit().expect("relayed"));
        }
        let per_caller_frame = (allocations() - before) as f64 / 100.0;
        assert_eq!(per_caller_frame, 1.0, "{format}: caller frame");
        for t in sent.drain(..) {
            let Transmit::Agent(text) = t else {
                panic!("{format}: caller audio went to Twilio")
            };
            assert_eq!(text.capacity(), text.len(), "{format}: user_audio_chunk buffer");
        }

        let mut messages = 0;
        let mut allocated = 0;
        for n in 0..100 {
            let before = allocations();
            h.session.on_agent(h.now, Frame::Text(&agent_frames[n % 2]));
            while let Some(t) = h.session.poll_transmit() {
                sent.push(t);
            }
            let delta = allocations() - before;
            allocated += delta;
            messages += sent.len() as u64;
            // Twilio plays the audio and echoes the marks (Twilio's side: not counted).
            for t in sent.drain(..) {
                let Transmit::Caller(text) = t else {
                    panic!("{format}: agent audio went to the agent")
                };
                if let Some(name) = mark_name(&text) {
                    h.session.on_caller(h.now, Frame::Text(&mark_echo(&name)));
                } else {
                    assert_eq!(text.capacity(), text.len(), "{format}: media buffer");
                }
            }
        }
        assert_eq!(
            allocated, messages,
            "{format}: one allocation per message sent (media, and a mark now and then)"
        );
    }
}
