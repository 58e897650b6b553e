//! Errors of the audio layer.

use std::path::PathBuf;

use super::wav::WavError;

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error(
        "unknown audio format {0:?}: expected ulaw_8000, pcm_8000, pcm_16000, pcm_22050, pcm_24000, \
         pcm_44100 or pcm_48000"
    )]
    UnknownFormat(String),
    #[error("unsupported sample rate {0} Hz: it must be a positive multiple of 50 Hz (whole 20 ms frames)")]
    UnsupportedRate(u32),
    #[error("cannot resample from {input_rate} Hz to {output_rate} Hz: {source}")]
    Resampler {
        input_rate: u32,
        output_rate: u32,
        #[source]
        source: rubato::ResamplerConstructionError,
    },
    #[error(transparent)]
    Wav(#[from] WavError),
    #[error("invalid fixture name {0:?}: expected a bare file name without extension")]
    InvalidFixtureName(String),
    #[error("{path}: cannot use as telephone audio: {reason}")]
    UnsupportedFixture { path: PathBuf, reason: String },
}
