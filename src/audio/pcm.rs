//! 16-bit little-endian PCM as it travels in network messages (ElevenLabs `pcm_*` audio).
//!
//! Messages are not guaranteed to split on sample boundaries, so whoever reads a PCM stream
//! message by message keeps the odd byte of one message to pair with the first byte of the
//! next; [`SampleJoiner`] is that memory.

/// Joins 16-bit samples split between consecutive messages.
#[derive(Debug, Default, Clone, Copy)]
pub struct SampleJoiner {
    /// First byte of a sample whose second byte is still on the way.
    held: Option<u8>,
}

impl SampleJoiner {
    /// Splits `bytes` on sample boundaries: the sample completed by a byte held from the
    /// previous message, if any, then the whole samples that follow as bytes. A new odd
    /// trailing byte is held for the next call.
    pub fn split<'a>(&mut self, bytes: &'a [u8]) -> (Option<i16>, &'a [u8]) {
        let (joined, rest) = match (self.held.take(), bytes.split_first()) {
            (Some(low), Some((&high, rest))) => (Some(i16::from_le_bytes([low, high])), rest),
            (still_held, _) => {
                self.held = still_held;
                (None, bytes)
            }
        };
        let (whole, odd) = rest.split_at(rest.len() & !1);
        if let [odd] = odd {
            self.held = Some(*odd);
        }
        (joined, whole)
    }

    /// Drops a held half sample, which can never be decoded on its own: at the end of a
    /// stream, or when the rest of it is discarded.
    pub fn clear(&mut self) {
        self.held = None;
    }
}

/// Appends samples as 16-bit little-endian bytes. Resizing first and then writing in place
/// (rather than extending from a byte iterator) keeps the loop free of capacity checks.
pub fn append_s16le(samples: &[i16], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + samples.len() * 2, 0);
    for (pair, sample) in out[start..].chunks_exact_mut(2).zip(samples) {
        pair.copy_from_slice(&sample.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every sample `joiner` yields for `bytes`, in order.
    fn samples_from(joiner: &mut SampleJoiner, bytes: &[u8]) -> Vec<i16> {
        let (joined, whole) = joiner.split(bytes);
        joined
            .into_iter()
            .chain(
                whole
                    .chunks_exact(2)
                    .map(|pair| i16::from_le_bytes([pair[0], pair[1]])),
            )
            .collect()
    }

    #[test]
    fn an_odd_byte_waits_for_its_partner_and_clear_drops_it() {
        let mut joiner = SampleJoiner::default();
        assert_eq!(samples_from(&mut joiner, &[0x34, 0x12, 0xCD]), [0x1234]);
        assert!(samples_from(&mut joiner, &[]).is_empty());
        assert_eq!(samples_from(&mut joiner, &[0xAB]), [0xABCDu16 as i16]);
        assert!(samples_from(&mut joiner, &[0x01]).is_empty());
        joiner.clear();
        assert_eq!(samples_from(&mut joiner, &[0x02, 0x00]), [2]);
    }

    #[test]
    fn samples_are_appended_little_endian_after_what_is_there() {
        let mut out = vec![9];
        append_s16le(&[0x0102, -2], &mut out);
        assert_eq!(out, [9, 0x02, 0x01, 0xFE, 0xFF]);
    }

    proptest! {
        #[test]
        fn however_bytes_are_split_the_samples_come_out_whole_and_in_order(
            samples in proptest::collection::vec(any::<i16>(), 0..300),
            odd_tail in any::<Option<u8>>(),
            cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..12),
        ) {
            let mut bytes = Vec::new();
            append_s16le(&samples, &mut bytes);
            bytes.extend(odd_tail);
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
            cuts.sort_unstable();

            let mut joiner = SampleJoiner::default();
            let mut joined = Vec::new();
            let mut start = 0;
            for cut in cuts.into_iter().chain([bytes.len()]) {
                joined.extend(samples_from(&mut joiner, &bytes[start..cut]));
                start = cut;
            }
            prop_assert_eq!(joined, samples);
            prop_assert_eq!(joiner.held, odd_tail);
        }
    }
}
