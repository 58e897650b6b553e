//! Which agent `event_id`s make sense.
//!
//! ElevenLabs numbers the events of a conversation with non-negative integers (a negative or
//! fractional one does not parse and is counted as malformed). How they grow is not documented
//! (per chunk or per turn), but they grow: an `interruption` names the turn it cut, whose
//! audio carries that id or less (the Python SDK drops audio at or below it), and each `ping`
//! has an id the `pong` echoes. So:
//!
//! - an id more than [`MAX_EVENT_ID_JUMP`] above every audio or interruption id seen so far is
//!   absurd: no conversation gets there a million events at a time. Taken at its word, such an
//!   interruption would silence every later turn of the call;
//! - an interruption below an earlier interruption's id goes backwards: it cuts a turn that was
//!   already cut, and a `clear` for it would cut the turn playing now;
//! - a ping below the previous ping's id, or more than [`MAX_EVENT_ID_JUMP`] above it, is absurd.
//!
//! The first id of each sequence is taken as it comes. An absurd id is counted as a protocol
//! error and moves nothing here; what the session does with its message is its own rule.

/// The largest step above the ids seen so far that is still plausible.
pub const MAX_EVENT_ID_JUMP: u64 = 1_000_000;

/// What is wrong with an `event_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Absurd {
    /// More than [`MAX_EVENT_ID_JUMP`] above `last`.
    FarAhead { last: u64, id: u64 },
    /// Below `last`, in a sequence that only grows.
    Backwards { last: u64, id: u64 },
}

impl std::fmt::Display for Absurd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Absurd::FarAhead { last, id } => write!(f, "event_id {id} far beyond {last}"),
            Absurd::Backwards { last, id } => write!(f, "event_id {id} below {last}"),
        }
    }
}

/// The agent's id sequences so far.
#[derive(Debug, Default)]
pub(super) struct EventIds {
    /// The highest audio or interruption id accepted.
    highest: Option<u64>,
    /// The last interruption's id.
    interruption: Option<u64>,
    /// The last ping's id.
    ping: Option<u64>,
}

fn far_ahead(last: Option<u64>, id: u64) -> Result<(), Absurd> {
    match last {
        Some(last) if id > last.saturating_add(MAX_EVENT_ID_JUMP) => Err(Absurd::FarAhead { last, id }),
        _ => Ok(()),
    }
}

fn backwards(last: Option<u64>, id: u64) -> Result<(), Absurd> {
    match last {
        Some(last) if id < last => Err(Absurd::Backwards { last, id }),
        _ => Ok(()),
    }
}

impl EventIds {
    /// An audio chunk's id.
    #[inline]
    pub(super) fn audio(&mut self, id: u64) -> Result<(), Absurd> {
        far_ahead(self.highest, id)?;
        self.highest = Some(self.highest.map_or(id, |h| h.max(id)));
        Ok(())
    }

    /// An interruption's id.
    pub(super) fn interruption(&mut self, id: u64) -> Result<(), Absurd> {
        backwards(self.interruption, id)?;
        far_ahead(self.highest, id)?;
        self.interruption = Some(id);
        self.highest = Some(self.highest.map_or(id, |h| h.max(id)));
        Ok(())
    }

    /// A ping's id.
    pub(super) fn ping(&mut self, id: u64) -> Result<(), Absurd> {
        backwards(self.ping, id)?;
        far_ahead(self.ping, id)?;
        self.ping = Some(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growing_ids_are_plausible_and_the_first_of_each_sequence_is_taken_as_it_comes() {
        let mut ids = EventIds::default();
        assert_eq!(ids.ping(40), Ok(()));
        assert_eq!(ids.audio(7), Ok(()));
        assert_eq!(ids.audio(7), Ok(()));
        assert_eq!(
            ids.audio(3),
            Ok(()),
            "audio of an older turn is stale, not absurd"
        );
        assert_eq!(ids.interruption(7), Ok(()));
        assert_eq!(ids.interruption(7), Ok(()));
        assert_eq!(ids.audio(8 + MAX_EVENT_ID_JUMP / 2), Ok(()));
        assert_eq!(ids.ping(41), Ok(()));
        assert_eq!(ids.ping(41 + MAX_EVENT_ID_JUMP), Ok(()));
    }

    #[test]
    fn far_jumps_and_backward_steps_are_absurd_and_move_nothing() {
        let mut ids = EventIds::default();
        ids.audio(5).unwrap();
        ids.interruption(5).unwrap();
        ids.ping(10).unwrap();
        let far = 6 + MAX_EVENT_ID_JUMP;
        assert_eq!(ids.audio(far), Err(Absurd::FarAhead { last: 5, id: far }));
        assert_eq!(
            ids.interruption(u64::MAX),
            Err(Absurd::FarAhead {
                last: 5,
                id: u64::MAX
            })
        );
        assert_eq!(ids.interruption(4), Err(Absurd::Backwards { last: 5, id: 4 }));
        assert_eq!(ids.ping(9), Err(Absurd::Backwards { last: 10, id: 9 }));
        assert_eq!(
            ids.ping(u64::MAX),
            Err(Absurd::FarAhead {
                last: 10,
                id: u64::MAX
            })
        );
        // Nothing moved: the next plausible ids are judged against the old marks.
        assert_eq!(ids.interruption(6), Ok(()));
        assert_eq!(ids.ping(11), Ok(()));
    }
}
