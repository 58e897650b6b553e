//! Audio: G.711 μ-law, resampling between Twilio's 8 kHz and the agent's rate, WAV files.
//!
//! [`Transcoder`] is what a call uses: one per call, converting the caller's μ-law to the
//! agent's input format and the agent's output back to μ-law, with filter state kept across
//! frames. Each direction is a [`FormatConverter`], which converts between any two agent
//! formats and also serves the simulated agent, as does [`SampleDecoder`] for listening to
//! audio. The other modules are their parts, plus WAV files and the recorded fixtures the
//! simulators play.

pub mod convert;
pub mod decode;
mod error;
pub mod fixtures;
pub mod format;
pub mod ogg_opus;
mod pcm;
pub mod resample;
pub mod transcode;
pub mod ulaw;
pub mod wav;
mod whole_factor;

#[cfg(test)]
mod alloc_count;
#[cfg(test)]
mod test_signal;

pub use convert::FormatConverter;
pub use decode::SampleDecoder;
pub use error::AudioError;
pub use fixtures::{FixtureDir, load_ulaw_8k};
pub use format::AudioFormat;
pub use resample::{SampleSource, StreamResampler};
pub use transcode::Transcoder;
pub use wav::{Wav, WavError, WavSamples};
