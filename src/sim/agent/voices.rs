//! The agent's voice in every output format a conversation has asked for: the sim's own
//! format is loaded at start (so a missing fixture fails there), others the first time an
//! agent made over the REST API wants them, then kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::script::{Voice, VoiceError};
use crate::audio::{AudioFormat, FixtureDir};

#[derive(Debug)]
pub struct Voices {
    fixtures: FixtureDir,
    by_format: Mutex<HashMap<AudioFormat, Arc<Voice>>>,
}

impl Voices {
    /// Loads the voice in `format` from `fixtures`.
    pub fn load(fixtures: &FixtureDir, format: AudioFormat) -> Result<Voices, VoiceError> {
        let voice = Arc::new(Voice::load(fixtures, format)?);
        Ok(Voices {
            fixtures: fixtures.clone(),
            by_format: Mutex::new(HashMap::from([(format, voice)])),
        })
    }

    /// The voice in `format`, converted now if no conversation has used it yet. The lock is
    /// not held while converting; two first conversations in a new format may both convert.
    pub fn get(&self, format: AudioFormat) -> Result<Arc<Voice>, VoiceError> {
        if let Some(voice) = self.lock().get(&format) {
            return Ok(voice.clone());
        }
        let voice = Arc::new(Voice::load(&self.fixtures, format)?);
        Ok(self.lock().entry(format).or_insert(voice).clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<AudioFormat, Arc<Voice>>> {
        // Only whole voices are ever inserted, so a poisoned map is still sound.
        self.by_format
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
