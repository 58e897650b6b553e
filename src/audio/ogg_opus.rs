//! Ogg/Opus files (RFC 7845) of a call's two legs: 8 kHz stereo voice, compressed with libopus.
//!
//! [`OggOpusWriter`] takes interleaved stereo frames of 20 ms (160 samples per channel at
//! 8 kHz), encodes each to one Opus packet and wraps the packets in an Ogg stream that starts
//! with the `OpusHead` and `OpusTags` header pages. Granule positions count 48 kHz samples, as
//! RFC 7845 §4 requires whatever the input rate; the pre-skip is the encoder's lookahead. When
//! finished, one frame of silence flushes the lookahead and the last page's granule position
//! trims the stream back to exactly the samples given, so a decoder returns the call's length.
//!
//! The encoder is set for narrowband speech ([`VOICE_BITRATE`], VBR, `Voip`, stereo forced), which keeps a
//! minute of a call in tens of kilobytes (see BENCHMARKS.md). It allocates per packet and
//! page, so it runs off the call's task (see `telephony::recordings`).

use audiopus::coder::{Decoder, Encoder};
use audiopus::{Application, Bandwidth, Bitrate, Channels, SampleRate};
use ogg::writing::{PacketWriteEndInfo, PacketWriter};

/// Samples per channel in one 20 ms frame at 8 kHz.
pub const FRAME_SAMPLES: usize = 160;
/// The recording's input rate: Twilio's μ-law is 8 kHz.
pub const INPUT_RATE: u32 = 8_000;
/// Opus granule positions are always in 48 kHz samples (RFC 7845 §4).
const GRANULE_RATE: u64 = 48_000;
/// 48 kHz samples per 8 kHz sample.
const UPSCALE: u64 = GRANULE_RATE / INPUT_RATE as u64;
/// 48 kHz samples in one 20 ms frame.
const FRAME_GRANULES: u64 = FRAME_SAMPLES as u64 * UPSCALE;
/// Bits per second for both channels: narrowband speech stays intelligible, and a minute of a
/// call stays in tens of kilobytes. Below this libopus (even with stereo forced) lets one leg
/// bleed into the other: at 12 kbit/s a tone on the left comes back only 29 dB louder than on
/// the right, at 16 kbit/s 56 dB.
pub const VOICE_BITRATE: i32 = 16_000;
/// Largest Opus packet the encoder is given room for (RFC 6716 caps a frame at 1275 bytes).
const MAX_PACKET: usize = 1_275;
/// The stream's serial number: a recording is one logical stream, so any fixed value works.
const SERIAL: u32 = 0x5357_4244;
/// Written in `OpusTags` as the encoder's vendor.
const VENDOR: &str = "switchboard";

/// Why a recording could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum OggOpusError {
    #[error("opus: {0}")]
    Opus(#[from] audiopus::Error),
    #[error("ogg: {0}")]
    Ogg(#[from] std::io::Error),
    #[error("a frame must hold {expected} interleaved samples, not {got}")]
    FrameSize { expected: usize, got: usize },
}

/// Encodes 8 kHz stereo frames into an Ogg/Opus file held in memory.
pub struct OggOpusWriter {
    encoder: Encoder,
    pages: PacketWriter<'static, Vec<u8>>,
    packet: Vec<u8>,
    /// The last packet encoded, written only once the next one (or the end) says whether it
    /// ends the stream.
    pending: Option<Vec<u8>>,
    pre_skip: u16,
    /// Frames encoded so far, not counting the flushing one.
    frames: u64,
}

impl OggOpusWriter {
    /// Starts a stream: sets up the encoder and writes the two header pages.
    pub fn new() -> Result<Self, OggOpusError> {
        let mut encoder = Encoder::new(SampleRate::Hz8000, Channels::Stereo, Application::Voip)?;
        encoder.set_bitrate(Bitrate::BitsPerSecond(VOICE_BITRATE))?;
        encoder.set_max_bandwidth(Bandwidth::Narrowband)?;
        encoder.set_complexity(5)?;
        encoder.enable_vbr()?;
        // Left is the caller and right the agent: never downmixed, however low the bitrate.
        encoder.set_force_channels(Channels::Stereo)?;
        // The lookahead is in samples at the encoder's rate; the header wants 48 kHz ones.
        let lookahead = u64::from(encoder.lookahead()?);
        let pre_skip = u16::try_from(lookahead * UPSCALE).unwrap_or(u16::MAX);
        let mut pages = PacketWriter::new(Vec::new());
        pages.write_packet(opus_head(pre_skip), SERIAL, PacketWriteEndInfo::EndPage, 0)?;
        pages.write_packet(opus_tags(), SERIAL, PacketWriteEndInfo::EndPage, 0)?;
        Ok(Self {
            encoder,
            pages,
            packet: vec![0; MAX_PACKET],
            pending: None,
            pre_skip,
            frames: 0,
        })
    }

    /// The pre-skip written in `OpusHead`, in 48 kHz samples.
    pub fn pre_skip(&self) -> u16 {
        self.pre_skip
    }

    /// Encodes one 20 ms frame: [`FRAME_SAMPLES`] left/right pairs, interleaved.
    pub fn push_frame(&mut self, interleaved: &[i16]) -> Result<(), OggOpusError> {
        if interleaved.len() != FRAME_SAMPLES * 2 {
            return Err(OggOpusError::FrameSize {
                expected: FRAME_SAMPLES * 2,
                got: interleaved.len(),
            });
        }
        self.encode(interleaved)?;
        self.frames += 1;
        Ok(())
    }

    /// Milliseconds of audio pushed so far.
    pub fn duration_ms(&self) -> u64 {
        self.frames * 20
    }

    fn encode(&mut self, interleaved: &[i16]) -> Result<(), OggOpusError> {
        let len = self.encoder.encode(interleaved, &mut self.packet)?;
        let encoded = self.packet[..len].to_vec();
        if let Some(previous) = self.pending.replace(encoded) {
            // `previous` is frame number `frames` (the count is raised after encoding), so it
            // ends `frames` frames of 48 kHz samples into the stream.
            let end = self.frames * FRAME_GRANULES;
            self.pages
                .write_packet(previous, SERIAL, PacketWriteEndInfo::NormalPacket, end)?;
        }
        Ok(())
    }

    /// Ends the stream: flushes the encoder's lookahead with a frame of silence and marks the
    /// last page so that decoders stop at exactly the samples pushed. Returns the file.
    pub fn finish(mut self) -> Result<Vec<u8>, OggOpusError> {
        let silence = [0i16; FRAME_SAMPLES * 2];
        // Encoded like any frame; the packet before it is written with its granule position.
        self.encode(&silence)?;
        let end = u64::from(self.pre_skip) + self.frames * FRAME_GRANULES;
        if let Some(last) = self.pending.take() {
            self.pages
                .write_packet(last, SERIAL, PacketWriteEndInfo::EndStream, end)?;
        }
        Ok(self.pages.into_inner())
    }
}

/// The identification header (RFC 7845 §5.1): version 1, two channels, channel mapping 0.
fn opus_head(pre_skip: u16) -> Vec<u8> {
    let mut head = Vec::with_capacity(19);
    head.extend_from_slice(b"OpusHead");
    head.push(1);
    head.push(2);
    head.extend_from_slice(&pre_skip.to_le_bytes());
    head.extend_from_slice(&INPUT_RATE.to_le_bytes());
    head.extend_from_slice(&0i16.to_le_bytes());
    head.push(0);
    head
}

/// The comment header (RFC 7845 §5.2): the vendor and no user comments.
fn opus_tags() -> Vec<u8> {
    let mut tags = Vec::with_capacity(16 + VENDOR.len());
    tags.extend_from_slice(b"OpusTags");
    tags.extend_from_slice(&(VENDOR.len() as u32).to_le_bytes());
    tags.extend_from_slice(VENDOR.as_bytes());
    tags.extend_from_slice(&0u32.to_le_bytes());
    tags
}

/// Decodes an Ogg/Opus file made by [`OggOpusWriter`] back to 8 kHz interleaved stereo, with
/// the pre-skip and the end trimming applied. For checks and tools, not the call path.
pub fn decode_ogg_opus(file: &[u8]) -> Result<Vec<i16>, OggOpusError> {
    let mut reader = ogg::PacketReader::new(std::io::Cursor::new(file));
    let mut decoder = Decoder::new(SampleRate::Hz8000, Channels::Stereo)?;
    let mut pre_skip = 0u64;
    let mut out = Vec::new();
    let mut frame = vec![0i16; FRAME_SAMPLES * 2 * 6];
    let mut end_granule = None;
    let mut index = 0u64;
    while let Some(packet) = reader
        .read_packet()
        .map_err(|e| OggOpusError::Ogg(std::io::Error::other(e)))?
    {
        match index {
            0 => pre_skip = u64::from(u16::from_le_bytes([packet.data[10], packet.data[11]])),
            1 => {}
            _ => {
                let got = decoder.decode(Some(&packet.data[..]), &mut frame[..], false)?;
                out.extend_from_slice(&frame[..got * 2]);
                if packet.last_in_stream() {
                    end_granule = Some(packet.absgp_page());
                }
            }
        }
        index += 1;
    }
    let skip = (pre_skip / UPSCALE) as usize * 2;
    let mut samples = out.split_off(skip.min(out.len()));
    if let Some(end) = end_granule {
        let keep = (end.saturating_sub(pre_skip) / UPSCALE) as usize * 2;
        samples.truncate(keep);
    }
    Ok(samples)
}

#[cfg(test)]
#[path = "ogg_opus_tests.rs"]
mod tests;
