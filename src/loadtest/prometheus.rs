//! Reading a bridge's `/metrics` (Prometheus text exposition format 0.0.4,
//! prometheus.io/docs/instrumenting/exposition_formats) where it has one: the figures only
//! the bridge itself can know, such as its in-process interruption → `clear` time.
//!
//! Only what the load test needs: samples with their labels, and histograms rebuilt from
//! their cumulative `_bucket` series. Two scrapes, before and after a run, are subtracted so
//! the figures cover the run alone. Quantiles are estimated the way PromQL's
//! `histogram_quantile` does (linear within the bucket); the bucket's upper bound is kept
//! too, as the value the quantile is guaranteed not to exceed.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {why}")]
pub struct ParseError {
    pub line: usize,
    pub why: &'static str,
}

/// Label names and values.
pub type Labels = Vec<(String, String)>;

/// One sample: a metric name, its labels (sorted by name) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Labels,
    pub value: f64,
}

/// Everything one scrape returned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scrape {
    samples: Vec<Sample>,
}

/// A histogram rebuilt from `<name>_bucket{le=…}`, `<name>_sum` and `<name>_count`.
#[derive(Debug, Clone, PartialEq)]
pub struct PromHistogram {
    /// (upper bound, cumulative count), by increasing bound; the last bound is +Inf.
    pub buckets: Vec<(f64, f64)>,
    pub sum: f64,
    pub count: f64,
}

impl Scrape {
    /// Parses an exposition. Comments and blank lines are skipped; timestamps ignored.
    pub fn parse(text: &str) -> Result<Scrape, ParseError> {
        let mut samples = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            samples.push(parse_line(line).map_err(|why| ParseError { line: index + 1, why })?);
        }
        Ok(Scrape { samples })
    }

    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// Whether any sample's name starts with `prefix` (e.g. `switchboard_`).
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.samples.iter().any(|s| s.name.starts_with(prefix))
    }

    /// The value of the sample `name` whose labels include all of `labels`.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| s.name == name && has_labels(s, labels))
            .map(|s| s.value)
    }

    /// The histogram `name` among the series whose labels include all of `labels`.
    pub fn histogram(&self, name: &str, labels: &[(&str, &str)]) -> Option<PromHistogram> {
        let bucket_name = format!("{name}_bucket");
        let mut buckets: Vec<(f64, f64)> = self
            .samples
            .iter()
            .filter(|s| s.name == bucket_name && has_labels(s, labels))
            .filter_map(|s| {
                let le = s.labels.iter().find(|(k, _)| k == "le")?;
                Some((parse_value(&le.1).ok()?, s.value))
            })
            .collect();
        if buckets.is_empty() {
            return None;
        }
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        Some(PromHistogram {
            buckets,
            sum: self.value(&format!("{name}_sum"), labels).unwrap_or(0.0),
            count: self.value(&format!("{name}_count"), labels).unwrap_or(0.0),
        })
    }
}

fn has_labels(sample: &Sample, labels: &[(&str, &str)]) -> bool {
    labels
        .iter()
        .all(|(k, v)| sample.labels.iter().any(|(sk, sv)| sk == k && sv == v))
}

impl PromHistogram {
    /// What was recorded between `earlier` and this scrape of the same histogram. Buckets
    /// missing from `earlier` count as empty there.
    pub fn since(&self, earlier: &PromHistogram) -> PromHistogram {
        let before: BTreeMap<u64, f64> = earlier
            .buckets
            .iter()
            .map(|&(le, count)| (le.to_bits(), count))
            .collect();
        PromHistogram {
            buckets: self
                .buckets
                .iter()
                .map(|&(le, count)| {
                    let was = before.get(&le.to_bits()).copied().unwrap_or(0.0);
                    (le, (count - was).max(0.0))
                })
                .collect(),
            sum: (self.sum - earlier.sum).max(0.0),
            count: (self.count - earlier.count).max(0.0),
        }
    }

    /// Observations in the histogram (from the +Inf bucket, or `_count`).
    pub fn total(&self) -> f64 {
        self.buckets.last().map_or(self.count, |&(_, c)| c)
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0.0).then(|| self.sum / self.count)
    }

    /// The bucket holding quantile `q`: (its lower bound, its upper bound, the count below
    /// it, its own count).
    fn bucket_of(&self, q: f64) -> Option<(f64, f64, f64, f64)> {
        let total = self.total();
        if total <= 0.0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * total;
        let mut lower = 0.0;
        let mut below = 0.0;
        for &(le, cumulative) in &self.buckets {
            if cumulative >= rank && cumulative > below {
                return Some((lower, le, below, cumulative - below));
            }
            lower = le;
            below = cumulative;
        }
        None
    }

    /// Quantile `q`, interpolated linearly inside its bucket as PromQL does. In the +Inf
    /// bucket this is the highest finite bound.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let (lower, upper, below, inside) = self.bucket_of(q)?;
        if upper.is_infinite() {
            return Some(lower);
        }
        let rank = q.clamp(0.0, 1.0) * self.total();
        Some(lower + (upper - lower) * ((rank - below) / inside).clamp(0.0, 1.0))
    }

    /// The upper bound of the bucket holding quantile `q`: the quantile is at most this.
    pub fn quantile_bound(&self, q: f64) -> Option<f64> {
        self.bucket_of(q).map(|(_, upper, _, _)| upper)
    }
}

fn parse_line(line: &str) -> Result<Sample, &'static str> {
    let name_end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .ok_or("a sample needs a value")?;
    let name = &line[..name_end];
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    {
        return Err("bad metric name");
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(inside) = rest.strip_prefix('{') {
        let (parsed, after) = parse_labels(inside)?;
        labels = parsed;
        rest = after;
    }
    let value = rest.split_whitespace().next().ok_or("a sample needs a value")?;
    labels.sort();
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value: parse_value(value)?,
    })
}

/// Parses `k="v",…}` and returns the labels and what follows the `}`.
fn parse_labels(mut text: &str) -> Result<(Labels, &str), &'static str> {
    let mut labels = Vec::new();
    loop {
        text = text.trim_start();
        if let Some(after) = text.strip_prefix('}') {
            return Ok((labels, after));
        }
        let eq = text.find('=').ok_or("a label needs a value")?;
        let key = text[..eq].trim();
        if key.is_empty() {
            return Err("empty label name");
        }
        text = text[eq + 1..]
            .trim_start()
            .strip_prefix('"')
            .ok_or("a label value must be quoted")?;
        let mut value = String::new();
        let mut chars = text.char_indices();
        let end = loop {
            match chars.next() {
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => return Err("unterminated label value"),
                },
                Some((_, c)) => value.push(c),
                None => return Err("unterminated label value"),
            }
        };
        labels.push((key.to_owned(), value));
        text = text[end + 1..].trim_start();
        text = text.strip_prefix(',').unwrap_or(text);
    }
}

fn parse_value(text: &str) -> Result<f64, &'static str> {
    match text {
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        other => other.parse().map_err(|_| "bad sample value"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::metrics::CallMetrics;

    /// What a bridge's `/metrics` shows of its calls.
    fn exposition(metrics: &CallMetrics) -> String {
        let mut text = String::new();
        metrics.render(&mut text);
        text
    }
    use proptest::prelude::*;
    use std::time::Duration;

    #[test]
    fn reads_switchboards_own_exposition() {
        let metrics = CallMetrics::new();
        for us in [40u64, 90, 150, 300, 700] {
            metrics.interruption(Duration::from_micros(us));
        }
        let scrape = Scrape::parse(&exposition(&metrics)).unwrap();
        assert!(scrape.has_prefix("switchboard_"));
        assert_eq!(scrape.value("switchboard_interruptions_total", &[]), Some(5.0));
        assert_eq!(
            scrape.value(
                "switchboard_frames_relayed_total",
                &[("direction", "caller_to_agent")]
            ),
            Some(0.0)
        );
        let clear = scrape
            .histogram("switchboard_clear_latency_seconds", &[])
            .unwrap();
        assert_eq!(clear.total(), 5.0);
        assert!((clear.sum - 0.00128).abs() < 1e-9);
        // 700 µs lies in (512 µs, 1024 µs]: the median in (128, 256], the max below 1.024 ms.
        assert_eq!(clear.quantile_bound(1.0), Some(0.001024));
        assert_eq!(clear.quantile_bound(0.5), Some(0.000256));
        let median = clear.quantile(0.5).unwrap();
        assert!((0.000128..=0.000256).contains(&median), "{median}");
        let relay = scrape.histogram(
            "switchboard_relay_latency_seconds",
            &[("direction", "agent_to_caller")],
        );
        assert_eq!(relay.map(|h| h.total()), Some(0.0));
    }

    #[test]
    fn a_later_scrape_minus_an_earlier_one_covers_the_interval() {
        let metrics = CallMetrics::new();
        metrics.interruption(Duration::from_micros(5_000));
        let before = Scrape::parse(&exposition(&metrics)).unwrap();
        for _ in 0..3 {
            metrics.interruption(Duration::from_micros(100));
        }
        let after = Scrape::parse(&exposition(&metrics)).unwrap();
        let name = "switchboard_clear_latency_seconds";
        let run = after
            .histogram(name, &[])
            .unwrap()
            .since(&before.histogram(name, &[]).unwrap());
        assert_eq!(run.total(), 3.0);
        assert_eq!(
            run.quantile_bound(1.0),
            Some(0.000128),
            "the 5 ms before the run is gone"
        );
        assert!((run.mean().unwrap() - 0.0001).abs() < 1e-9);
    }

    #[test]
    fn escapes_timestamps_and_special_values() {
        let text = "# HELP x y\n\nm{a=\"q\\\"uote\\\\d\\n\",b=\"2\"} +Inf 1700000000\nn NaN\nk{} -3.5e2\n";
        let scrape = Scrape::parse(text).unwrap();
        assert_eq!(scrape.samples()[0].labels[0].1, "q\"uote\\d\n");
        assert_eq!(scrape.value("m", &[("b", "2")]), Some(f64::INFINITY));
        assert!(scrape.value("n", &[]).unwrap().is_nan());
        assert_eq!(scrape.value("k", &[]), Some(-350.0));
        for bad in ["m{a=\"x} 1", "m{a=x} 1", "m", "bad-name 1", "m 1x"] {
            assert!(Scrape::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_empty_histogram_has_no_quantiles() {
        let h = PromHistogram {
            buckets: vec![(0.1, 0.0), (f64::INFINITY, 0.0)],
            sum: 0.0,
            count: 0.0,
        };
        assert_eq!(h.quantile(0.5), None);
        assert_eq!(h.mean(), None);
    }

    proptest! {
        #[test]
        fn rendered_samples_parse_back(
            name in "[a-z_][a-z0-9_]{0,20}",
            labels in proptest::collection::btree_map("[a-z][a-z_]{0,8}", "[ -~]{0,12}", 0..4),
            value in -1e12f64..1e12,
        ) {
            let rendered: Vec<String> = labels
                .iter()
                .map(|(k, v)| {
                    let escaped = v.replace('\\', "\\\\").replace('"', "\\\"");
                    format!("{k}=\"{escaped}\"")
                })
                .collect();
            let line = format!("{name}{{{}}} {value}", rendered.join(","));
            let scrape = Scrape::parse(&line).unwrap();
            let sample = &scrape.samples()[0];
            prop_assert_eq!(&sample.name, &name);
            let expected: Vec<(String, String)> = labels.into_iter().collect();
            prop_assert_eq!(&sample.labels, &expected);
            prop_assert_eq!(sample.value, value);
        }

        #[test]
        fn quantiles_stay_inside_their_bucket_and_grow_with_q(
            counts in proptest::collection::vec(0u32..50, 1..12),
            q1 in 0.0f64..1.0,
            q2 in 0.0f64..1.0,
        ) {
            let mut cumulative = 0.0;
            let mut buckets = Vec::new();
            for (i, c) in counts.iter().enumerate() {
                cumulative += f64::from(*c);
                buckets.push((f64::from(1u32 << i), cumulative));
            }
            buckets.push((f64::INFINITY, cumulative));
            let h = PromHistogram { buckets, sum: 0.0, count: cumulative };
            let (lo, hi) = if q1 <= q2 { (q1, q2) } else { (q2, q1) };
            match (h.quantile(lo), h.quantile(hi)) {
                (Some(a), Some(b)) => {
                    prop_assert!(a <= b + 1e-12, "{} > {}", a, b);
                    prop_assert!(b <= h.quantile_bound(hi).unwrap());
                }
                (None, None) => prop_assert_eq!(cumulative, 0.0),
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}
