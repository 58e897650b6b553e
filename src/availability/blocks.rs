//! A sorted set of blocked instants (disjoint half-open intervals) with two ways to ask
//! "is this start blocked?": a binary search for one instant, and a forward-only cursor for
//! a walk over increasing instants that costs O(slots + intervals) in total.

use jiff::Timestamp;

/// Disjoint half-open intervals `[from, until)`, sorted by `from`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Blocks {
    spans: Vec<(Timestamp, Timestamp)>,
}

impl Blocks {
    /// Builds the set from intervals in any order; overlapping and touching intervals are
    /// merged and empty ones dropped.
    pub(crate) fn from_unsorted(mut spans: Vec<(Timestamp, Timestamp)>) -> Self {
        spans.retain(|(from, until)| from < until);
        spans.sort_unstable();
        let mut merged: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(spans.len());
        for (from, until) in spans {
            match merged.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(until),
                _ => merged.push((from, until)),
            }
        }
        Blocks { spans: merged }
    }

    /// Whether `at` lies in a blocked interval.
    pub(crate) fn contains(&self, at: Timestamp) -> bool {
        let first_not_ended = self.spans.partition_point(|&(_, until)| until <= at);
        self.spans
            .get(first_not_ended)
            .is_some_and(|&(from, _)| from <= at)
    }

    /// A cursor for asking about instants in increasing order.
    pub(crate) fn cursor(&self) -> BlockCursor<'_> {
        BlockCursor {
            spans: &self.spans,
            next: 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn spans(&self) -> &[(Timestamp, Timestamp)] {
        &self.spans
    }
}

/// Walks a [`Blocks`] forward; each question must be about an instant no earlier than the
/// previous one.
pub(crate) struct BlockCursor<'a> {
    spans: &'a [(Timestamp, Timestamp)],
    next: usize,
}

impl BlockCursor<'_> {
    pub(crate) fn contains(&mut self, at: Timestamp) -> bool {
        while let Some(&(_, until)) = self.spans.get(self.next) {
            if until > at {
                return self.spans[self.next].0 <= at;
            }
            self.next += 1;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    #[test]
    fn overlapping_and_touching_intervals_merge() {
        let blocks = Blocks::from_unsorted(vec![
            (at(50), at(60)),
            (at(10), at(20)),
            (at(15), at(30)),
            (at(30), at(35)),
            (at(40), at(40)),
        ]);
        assert_eq!(blocks.spans(), &[(at(10), at(35)), (at(50), at(60))]);
    }

    #[test]
    fn bounds_are_half_open() {
        let blocks = Blocks::from_unsorted(vec![(at(10), at(20))]);
        assert!(!blocks.contains(at(9)));
        assert!(blocks.contains(at(10)));
        assert!(blocks.contains(at(19)));
        assert!(!blocks.contains(at(20)));
    }

    proptest! {
        #[test]
        fn cursor_and_search_agree_with_a_plain_scan(
            raw in prop::collection::vec((0i64..1_000, 0i64..60), 0..40),
            mut probes in prop::collection::vec(0i64..1_100, 0..80),
        ) {
            let intervals: Vec<_> = raw.iter().map(|&(from, len)| (at(from), at(from + len))).collect();
            let blocks = Blocks::from_unsorted(intervals.clone());
            probes.sort_unstable();
            let mut cursor = blocks.cursor();
            for probe in probes {
                let expected = intervals.iter().any(|&(from, until)| from <= at(probe) && at(probe) < until);
                prop_assert_eq!(blocks.contains(at(probe)), expected);
                prop_assert_eq!(cursor.contains(at(probe)), expected);
            }
        }
    }
}
