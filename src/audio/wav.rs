//! WAV files: G.711 μ-law (what the Twilio-side fixtures use) and 16-bit PCM, mono or stereo.
//!
//! A small RIFF reader and writer of our own: `hound` reads only PCM and float, and μ-law is
//! the format the fixtures and call recordings need. The reader checks every size against the
//! bytes actually present and rejects anything it does not understand with a [`WavError`],
//! never a panic, since files may come from anywhere.
//!
//! Layout reference: the RIFF WAVE format as documented by Microsoft ("WAVEFORMATEX",
//! "WAVEFORMATEXTENSIBLE") and summarised at
//! www.mmsp.ece.mcgill.ca/Documents/AudioFormats/WAVE/WAVE.html.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

const FORMAT_PCM: u16 = 0x0001;
const FORMAT_MULAW: u16 = 0x0007;
/// WAVEFORMATEXTENSIBLE: the real format tag is in the first two bytes of a sub-format GUID.
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;
/// The last 14 bytes every standard sub-format GUID shares (KSDATAFORMAT_SUBTYPE_*).
const SUBFORMAT_GUID_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

/// Audio read from or written to a WAV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    pub sample_rate: u32,
    /// 1 or 2; samples of several channels are interleaved.
    pub channels: u16,
    pub samples: WavSamples,
}

/// The samples of a [`Wav`], in the file's own encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WavSamples {
    /// G.711 μ-law codes (format tag 7).
    Ulaw(Vec<u8>),
    /// Signed 16-bit PCM (format tag 1).
    Pcm16(Vec<i16>),
}

#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("not a WAV file: no RIFF/WAVE header")]
    NotWave,
    #[error("truncated WAV: the {chunk} chunk needs {needed} bytes but only {available} are left")]
    Truncated {
        chunk: ChunkId,
        needed: u64,
        available: u64,
    },
    #[error("invalid WAV: {0}")]
    Malformed(&'static str),
    #[error("invalid WAV: more than one {0} chunk")]
    DuplicateChunk(ChunkId),
    #[error(
        "unsupported WAV encoding: format tag {tag:#06x} with {bits} bits per sample (expected μ-law 8-bit or PCM 16-bit)"
    )]
    UnsupportedEncoding { tag: u16, bits: u16 },
    #[error("unsupported WAV channel count {0} (expected 1 or 2)")]
    UnsupportedChannels(u16),
    #[error("WAV audio too long for a RIFF file: {0} bytes of samples")]
    TooLong(usize),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A RIFF chunk's four-character id, printed readably even when it is garbage.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChunkId(pub [u8; 4]);

impl fmt::Display for ChunkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for &byte in &self.0 {
            if byte.is_ascii_graphic() || byte == b' ' {
                write!(f, "{}", byte as char)?;
            } else {
                write!(f, "\\x{byte:02x}")?;
            }
        }
        f.write_str("\"")
    }
}

impl fmt::Debug for ChunkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Wav {
    /// Mono μ-law at 8 kHz: Twilio's format.
    pub fn ulaw_8k_mono(codes: Vec<u8>) -> Self {
        Wav {
            sample_rate: 8000,
            channels: 1,
            samples: WavSamples::Ulaw(codes),
        }
    }

    /// 16-bit PCM; `samples` interleaved when `channels` is 2.
    pub fn pcm16(sample_rate: u32, channels: u16, samples: Vec<i16>) -> Self {
        Wav {
            sample_rate,
            channels,
            samples: WavSamples::Pcm16(samples),
        }
    }

    /// Samples per channel.
    pub fn frames(&self) -> usize {
        let total = match &self.samples {
            WavSamples::Ulaw(codes) => codes.len(),
            WavSamples::Pcm16(samples) => samples.len(),
        };
        total / usize::from(self.channels.max(1))
    }

    pub fn duration(&self) -> Duration {
        if self.sample_rate == 0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64(self.frames() as f64 / f64::from(self.sample_rate))
    }

    pub fn read_file(path: impl AsRef<Path>) -> Result<Self, WavError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| WavError::Io {
            path: path.to_owned(),
            source,
        })?;
        Wav::parse(&bytes)
    }

    pub fn write_file(&self, path: impl AsRef<Path>) -> Result<(), WavError> {
        let path = path.as_ref();
        let bytes = self.to_bytes()?;
        std::fs::write(path, bytes).map_err(|source| WavError::Io {
            path: path.to_owned(),
            source,
        })
    }

    /// Reads a whole WAV file from memory.
    pub fn parse(bytes: &[u8]) -> Result<Self, WavError> {
        let mut file = Reader { bytes, at: 0 };
        if file.take_array::<4>() != Some(*b"RIFF") {
            return Err(WavError::NotWave);
        }
        let riff_len = file.take_u32().ok_or(WavError::NotWave)?;
        if file.take_array::<4>() != Some(*b"WAVE") {
            return Err(WavError::NotWave);
        }
        // The RIFF size counts from the "WAVE" tag on, so it covers at least that tag; chunks
        // must lie within it.
        if riff_len < 4 {
            return Err(WavError::Malformed("RIFF size smaller than its WAVE tag"));
        }
        let riff_end = 8u64 + u64::from(riff_len);
        if riff_end > bytes.len() as u64 {
            return Err(WavError::Truncated {
                chunk: ChunkId(*b"RIFF"),
                needed: u64::from(riff_len),
                available: bytes.len() as u64 - 8,
            });
        }
        let mut file = Reader {
            bytes: &bytes[..riff_end as usize],
            at: 12,
        };

        let mut format = None;
        let mut data = None;
        while file.remaining() > 0 {
            let (id, body) = file.take_chunk()?;
            match &id.0 {
                b"fmt " if format.is_some() => return Err(WavError::DuplicateChunk(id)),
                b"fmt " => format = Some(Format::parse(body)?),
                b"data" if data.is_some() => return Err(WavError::DuplicateChunk(id)),
                b"data" => data = Some(body),
                // LIST, fact, cue and the like carry nothing we need.
                _ => {}
            }
        }
        let format = format.ok_or(WavError::Malformed("no fmt chunk"))?;
        let data = data.ok_or(WavError::Malformed("no data chunk"))?;
        if data.len() % usize::from(format.block_align) != 0 {
            return Err(WavError::Malformed("data chunk ends inside a sample frame"));
        }
        let samples = match format.encoding {
            Encoding::Ulaw => WavSamples::Ulaw(data.to_vec()),
            Encoding::Pcm16 => WavSamples::Pcm16(
                data.chunks_exact(2)
                    .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
                    .collect(),
            ),
        };
        Ok(Wav {
            sample_rate: format.sample_rate,
            channels: format.channels,
            samples,
        })
    }

    /// The whole file: RIFF header, `fmt ` (and `fact` for μ-law, which the format requires
    /// of every non-PCM encoding), `data`.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WavError> {
        if !(1..=2).contains(&self.channels) {
            return Err(WavError::UnsupportedChannels(self.channels));
        }
        if self.sample_rate == 0 {
            return Err(WavError::Malformed("sample rate 0"));
        }
        let (tag, bytes_per_sample, data_len) = match &self.samples {
            WavSamples::Ulaw(codes) => (FORMAT_MULAW, 1u16, codes.len()),
            WavSamples::Pcm16(samples) => (FORMAT_PCM, 2u16, samples.len() * 2),
        };
        if data_len % usize::from(self.channels) != 0 {
            return Err(WavError::Malformed(
                "sample count is not a multiple of the channel count",
            ));
        }
        let is_ulaw = tag == FORMAT_MULAW;
        // fmt: 16 bytes of WAVEFORMAT, plus an empty cbSize extension for non-PCM.
        let fmt_len: u32 = if is_ulaw { 18 } else { 16 };
        let fact_chunk_len: u32 = if is_ulaw { 12 } else { 0 };
        let padded_data_len = data_len + data_len % 2;
        let riff_len = u32::try_from(4 + (8 + fmt_len + fact_chunk_len) as usize + 8 + padded_data_len)
            .map_err(|_| WavError::TooLong(data_len))?;

        let block_align = self.channels * bytes_per_sample;
        let mut out = Vec::with_capacity(8 + riff_len as usize);
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&riff_len.to_le_bytes());
        out.extend_from_slice(b"WAVE");
        out.extend_from_slice(b"fmt ");
        out.extend_from_slice(&fmt_len.to_le_bytes());
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&self.channels.to_le_bytes());
        out.extend_from_slice(&self.sample_rate.to_le_bytes());
        out.extend_from_slice(&(self.sample_rate * u32::from(block_align)).to_le_bytes());
        out.extend_from_slice(&block_align.to_le_bytes());
        out.extend_from_slice(&(bytes_per_sample * 8).to_le_bytes());
        if is_ulaw {
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(b"fact");
            out.extend_from_slice(&4u32.to_le_bytes());
            out.extend_from_slice(&(self.frames() as u32).to_le_bytes());
        }
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data_len as u32).to_le_bytes());
        match &self.samples {
            WavSamples::Ulaw(codes) => out.extend_from_slice(codes),
            WavSamples::Pcm16(samples) => out.extend(samples.iter().flat_map(|s| s.to_le_bytes())),
        }
        if data_len % 2 == 1 {
            out.push(0);
        }
        Ok(out)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Ulaw,
    Pcm16,
}

struct Format {
    encoding: Encoding,
    channels: u16,
    sample_rate: u32,
    block_align: u16,
}

impl Format {
    fn parse(body: &[u8]) -> Result<Self, WavError> {
        let mut fmt = Reader { bytes: body, at: 0 };
        let short = || WavError::Malformed("fmt chunk shorter than 16 bytes");
        let mut tag = fmt.take_u16().ok_or_else(short)?;
        let channels = fmt.take_u16().ok_or_else(short)?;
        let sample_rate = fmt.take_u32().ok_or_else(short)?;
        let byte_rate = fmt.take_u32().ok_or_else(short)?;
        let block_align = fmt.take_u16().ok_or_else(short)?;
        let bits = fmt.take_u16().ok_or_else(short)?;
        if tag == FORMAT_EXTENSIBLE {
            // cbSize (≥ 22), valid bits, channel mask, then the sub-format GUID.
            let extension = fmt.take_u16().filter(|&len| len >= 22);
            let guid = extension.and_then(|_| {
                fmt.take_array::<2>()?;
                fmt.take_array::<4>()?;
                fmt.take_array::<16>()
            });
            let guid = guid.ok_or(WavError::Malformed("WAVE_FORMAT_EXTENSIBLE without a sub-format"))?;
            if guid[2..] != SUBFORMAT_GUID_TAIL {
                return Err(WavError::UnsupportedEncoding { tag, bits });
            }
            tag = u16::from_le_bytes([guid[0], guid[1]]);
        }
        let encoding = match (tag, bits) {
            (FORMAT_MULAW, 8) => Encoding::Ulaw,
            (FORMAT_PCM, 16) => Encoding::Pcm16,
            _ => return Err(WavError::UnsupportedEncoding { tag, bits }),
        };
        if !(1..=2).contains(&channels) {
            return Err(WavError::UnsupportedChannels(channels));
        }
        if sample_rate == 0 {
            return Err(WavError::Malformed("sample rate 0"));
        }
        if u32::from(block_align) != u32::from(channels) * u32::from(bits / 8) {
            return Err(WavError::Malformed(
                "block align does not match channels and sample size",
            ));
        }
        if u64::from(byte_rate) != u64::from(sample_rate) * u64::from(block_align) {
            return Err(WavError::Malformed(
                "byte rate does not match sample rate and block align",
            ));
        }
        Ok(Format {
            encoding,
            channels,
            sample_rate,
            block_align,
        })
    }
}

/// A bounds-checked cursor: every read returns `None` instead of running off the end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(len).filter(|&end| end <= self.bytes.len())?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Some(taken)
    }

    fn take_array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).and_then(|bytes| bytes.try_into().ok())
    }

    fn take_u16(&mut self) -> Option<u16> {
        self.take_array().map(u16::from_le_bytes)
    }

    fn take_u32(&mut self) -> Option<u32> {
        self.take_array().map(u32::from_le_bytes)
    }

    /// The next chunk's id and body, skipping the pad byte that follows an odd-sized body.
    fn take_chunk(&mut self) -> Result<(ChunkId, &'a [u8]), WavError> {
        let header_missing = |available| WavError::Truncated {
            chunk: ChunkId(*b"RIFF"),
            needed: 8,
            available: available as u64,
        };
        let available = self.remaining();
        let id = ChunkId(self.take_array().ok_or_else(|| header_missing(available))?);
        let len = self.take_u32().ok_or_else(|| header_missing(available))?;
        let body = self.take(len as usize).ok_or(WavError::Truncated {
            chunk: id,
            needed: u64::from(len),
            available: self.remaining() as u64,
        })?;
        // Some writers leave out the final pad byte; nothing follows it, so tolerate that.
        if len % 2 == 1 && self.remaining() > 0 {
            self.at += 1;
        }
        Ok((id, body))
    }
}

#[cfg(test)]
#[path = "wav_tests.rs"]
mod tests;
