//! Echo mode: every caller audio chunk comes straight back as one `audio` event.
//!
//! It exists to measure the bridge's own latency, so the path per chunk is kept lean: the
//! base64 is checked by decoding into a reused buffer, its length timed against the declared
//! input format ([`FormatCheck`]: a bridge that forwards μ-law to a `pcm_16000` agent
//! without transcoding must fail, not echo byte for byte), then either copied into the
//! answer as it is (same format both ways) or converted with state kept across chunks; the
//! answer message is the only allocation. A key press of `*`, which the bridge reports as a
//! contextual update, answers with an `interruption` at once, so a load test can time
//! interruption → Twilio `clear` through the bridge.

use std::time::Instant;

use base64::Engine;

use super::format_check::{FormatCheck, FormatMismatch};
use super::outgoing;
use crate::audio::{AudioError, AudioFormat, FormatConverter};

/// Why a chunk gets no echo: the conversation ends on either.
#[derive(Debug, thiserror::Error)]
pub enum BadAudio {
    #[error("user_audio_chunk is not base64: {0}")]
    NotBase64(#[from] base64::DecodeError),
    #[error(transparent)]
    WrongFormat(#[from] FormatMismatch),
}

#[derive(Debug)]
pub struct Echo {
    converter: FormatConverter,
    check: FormatCheck,
    decoded: Vec<u8>,
    converted: Vec<u8>,
    last_event_id: u64,
}

impl Echo {
    pub fn new(input: AudioFormat, output: AudioFormat) -> Result<Self, AudioError> {
        Ok(Echo {
            converter: FormatConverter::new(input, output)?,
            check: FormatCheck::new(input),
            decoded: Vec::new(),
            converted: Vec::new(),
            last_event_id: 0,
        })
    }

    /// The `audio` event answering one `user_audio_chunk` that arrived at `now`; `None`
    /// while a resampler holds back less than 20 ms of audio.
    pub fn answer(&mut self, chunk_base64: &str, now: Instant) -> Result<Option<String>, BadAudio> {
        self.decoded.clear();
        base64::engine::general_purpose::STANDARD.decode_vec(chunk_base64, &mut self.decoded)?;
        self.check.on_chunk(self.decoded.len(), now)?;
        if self.converter.is_identity() {
            return Ok(Some(outgoing::audio_b64(chunk_base64, self.next_event_id())));
        }
        self.converted.clear();
        self.converter.convert(&self.decoded, &mut self.converted);
        if self.converted.is_empty() {
            return Ok(None);
        }
        let event_id = self.next_event_id();
        Ok(Some(outgoing::audio(&self.converted, event_id)))
    }

    /// An `interruption` for the last audio sent when `text` reports a `*` key press.
    pub fn on_contextual_update(&self, text: &str) -> Option<String> {
        text.contains('*')
            .then(|| outgoing::interruption(self.last_event_id))
    }

    fn next_event_id(&mut self) -> u64 {
        self.last_event_id += 1;
        self.last_event_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::elevenlabs::AgentMessage;

    impl Echo {
        fn answer_now(&mut self, chunk_base64: &str) -> Result<Option<String>, BadAudio> {
            self.answer(chunk_base64, Instant::now())
        }
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn audio_of(json: &str) -> (Vec<u8>, u64) {
        let AgentMessage::Audio { audio_event } = AgentMessage::parse(json).unwrap() else {
            panic!("not audio: {json}")
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(audio_event.audio_base_64.as_bytes())
            .unwrap();
        (bytes, audio_event.event_id)
    }

    #[test]
    fn same_format_chunks_come_back_unchanged_with_increasing_ids() {
        let mut echo = Echo::new(AudioFormat::Ulaw8000, AudioFormat::Ulaw8000).unwrap();
        for n in 1..=3u8 {
            let chunk = vec![n; 160];
            let answer = echo.answer_now(&b64(&chunk)).unwrap().unwrap();
            assert_eq!(audio_of(&answer), (chunk, u64::from(n)));
        }
    }

    #[test]
    fn converted_chunks_wait_for_whole_frames() {
        let mut echo = Echo::new(AudioFormat::Ulaw8000, AudioFormat::Pcm { rate: 16000 }).unwrap();
        assert_eq!(echo.answer_now(&b64(&[0xFF; 80])).unwrap(), None);
        // The first chunk out lacks the resampler's 2.5 ms warm-up (40 samples at 16 kHz);
        // later ones are whole.
        let answer = echo.answer_now(&b64(&[0xFF; 80])).unwrap().unwrap();
        assert_eq!(audio_of(&answer), (vec![0; 560], 1));
        let answer = echo.answer_now(&b64(&[0xFF; 160])).unwrap().unwrap();
        assert_eq!(audio_of(&answer), (vec![0; 640], 2));
    }

    #[test]
    fn bad_base64_is_an_error_and_a_star_interrupts_the_last_chunk() {
        let mut echo = Echo::new(AudioFormat::Ulaw8000, AudioFormat::Ulaw8000).unwrap();
        assert!(echo.answer_now("not base64!").is_err());
        echo.answer_now(&b64(&[1; 160])).unwrap();
        echo.answer_now(&b64(&[2; 160])).unwrap();
        let interruption = echo
            .on_contextual_update(r#"The caller pressed the key "*" on their phone keypad."#)
            .unwrap();
        assert_eq!(interruption, outgoing::interruption(2));
        assert_eq!(
            echo.on_contextual_update(r#"The caller pressed the key "5" on their phone keypad."#),
            None
        );
    }
}
