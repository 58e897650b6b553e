//! Conversation signatures: the token a signed URL carries to open a private agent's socket.
//!
//! ElevenLabs hands out `conversation_signature`s from `get-signed-url`; a conversation must
//! start within 15 minutes (docs: `customization/authentication`). Ours are random, bound to
//! the agent they were issued for, and usable once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;
use rand::distr::Alphanumeric;

/// Long enough that guessing one is hopeless (about 190 bits).
const SIGNATURE_LEN: usize = 32;

/// Why a signature did not open a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureRefusal {
    /// Never issued, or already used.
    #[error("invalid or already used conversation signature")]
    Unknown,
    #[error("the conversation signature has expired")]
    Expired,
    #[error("the conversation signature was issued for another agent")]
    OtherAgent,
}

#[derive(Debug)]
struct Issued {
    agent_id: String,
    expires_at: Instant,
}

/// The signatures handed out and not yet used.
#[derive(Debug)]
pub struct Signatures {
    ttl: Duration,
    issued: Mutex<HashMap<String, Issued>>,
}

impl Signatures {
    pub fn new(ttl: Duration) -> Self {
        Signatures {
            ttl,
            issued: Mutex::new(HashMap::new()),
        }
    }

    /// A fresh signature for `agent_id`, valid for the configured time from `now`.
    pub fn issue(&self, agent_id: &str, now: Instant) -> String {
        let signature: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(SIGNATURE_LEN)
            .map(char::from)
            .collect();
        let mut issued = self
            .issued
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Unused signatures would otherwise pile up; expired ones can go whenever we look.
        issued.retain(|_, entry| entry.expires_at > now);
        issued.insert(
            signature.clone(),
            Issued {
                agent_id: agent_id.to_owned(),
                expires_at: now + self.ttl,
            },
        );
        signature
    }

    /// Uses up `signature` for a conversation with `agent_id`. A signature presented for the
    /// wrong agent is used up too: whoever holds it is not to be trusted with a retry.
    pub fn redeem(&self, signature: &str, agent_id: &str, now: Instant) -> Result<(), SignatureRefusal> {
        let mut issued = self
            .issued
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = issued.remove(signature).ok_or(SignatureRefusal::Unknown)?;
        if entry.expires_at <= now {
            return Err(SignatureRefusal::Expired);
        }
        if entry.agent_id != agent_id {
            return Err(SignatureRefusal::OtherAgent);
        }
        Ok(())
    }

    /// How many signatures are outstanding (issued, not used, maybe expired).
    #[cfg(test)]
    pub fn outstanding(&self) -> usize {
        self.issued
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_opens_one_conversation_with_its_agent() {
        let signatures = Signatures::new(Duration::from_secs(900));
        let now = Instant::now();
        let signature = signatures.issue("agent_1", now);
        assert_eq!(signature.len(), SIGNATURE_LEN);
        assert!(signature.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(signatures.redeem(&signature, "agent_1", now), Ok(()));
        assert_eq!(
            signatures.redeem(&signature, "agent_1", now),
            Err(SignatureRefusal::Unknown)
        );
    }

    #[test]
    fn forged_expired_and_misdirected_signatures_are_refused() {
        let signatures = Signatures::new(Duration::from_secs(900));
        let now = Instant::now();
        assert_eq!(
            signatures.redeem("not-a-signature", "agent_1", now),
            Err(SignatureRefusal::Unknown)
        );
        let late = signatures.issue("agent_1", now);
        assert_eq!(
            signatures.redeem(&late, "agent_1", now + Duration::from_secs(900)),
            Err(SignatureRefusal::Expired)
        );
        let elsewhere = signatures.issue("agent_1", now);
        assert_eq!(
            signatures.redeem(&elsewhere, "agent_2", now),
            Err(SignatureRefusal::OtherAgent)
        );
        assert_eq!(signatures.outstanding(), 0);
    }

    #[test]
    fn expired_signatures_are_dropped_when_new_ones_are_issued() {
        let signatures = Signatures::new(Duration::from_secs(1));
        let now = Instant::now();
        for _ in 0..5 {
            signatures.issue("agent_1", now);
        }
        let fresh = signatures.issue("agent_1", now + Duration::from_secs(2));
        assert_eq!(signatures.outstanding(), 1);
        assert_ne!(fresh, signatures.issue("agent_1", now + Duration::from_secs(2)));
    }
}
