//! Audio: G.711 μ-law, resampling between Twilio's 8 kHz and the agent's rate, WAV files.
