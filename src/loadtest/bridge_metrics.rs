//! The bridge's own figures for a run: `/metrics` scraped before and after, subtracted, and
//! read for switchboard's series. Any other bridge (or one without `/metrics`) gives none,
//! and the report says n/a.

use std::time::Duration;

use super::prometheus::{PromHistogram, Scrape};
use super::report::{BridgeFigures, BucketSummary, round3};

/// How long a scrape may take; the server is under load when the second one is made.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);

/// Fetches and parses `url`; `None` when it cannot be fetched or is not an exposition.
pub async fn scrape(http: &reqwest::Client, url: &str) -> Option<Scrape> {
    let response = http.get(url).timeout(SCRAPE_TIMEOUT).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    Scrape::parse(&response.text().await.ok()?).ok()
}

/// How long the last scrape waits for the bridge to finish the run's calls.
const SETTLE_WAIT: Duration = Duration::from_secs(5);
/// How often the bridge's active calls are read while waiting for them to end.
const SETTLE_POLL: Duration = Duration::from_millis(20);

/// The scrape after a run: the caller's side hangs up before the bridge has finished its
/// side of the call (the last frame it relayed is counted just after it is written), so this
/// waits until the bridge's active calls are back where they were `before` the run, at most
/// [`SETTLE_WAIT`]. A bridge with other traffic may never get there; its figures are then
/// read as they stand.
pub async fn scrape_settled(http: &reqwest::Client, url: &str, before: Option<&Scrape>) -> Option<Scrape> {
    const ACTIVE: &str = "switchboard_active_calls";
    let idle = before.and_then(|b| b.value(ACTIVE, &[])).unwrap_or(0.0);
    let give_up = tokio::time::Instant::now() + SETTLE_WAIT;
    loop {
        let after = scrape(http, url).await?;
        let settled = after.value(ACTIVE, &[]).is_none_or(|active| active <= idle);
        if settled || tokio::time::Instant::now() >= give_up {
            return Some(after);
        }
        tokio::time::sleep(SETTLE_POLL).await;
    }
}

/// switchboard's figures for what happened between the two scrapes.
pub fn figures(before: &Scrape, after: &Scrape) -> Option<BridgeFigures> {
    if !after.has_prefix("switchboard_") {
        return None;
    }
    let histogram = |name: &str, labels: &[(&str, &str)]| {
        let now = after.histogram(name, labels)?;
        let run = match before.histogram(name, labels) {
            Some(earlier) => now.since(&earlier),
            None => now,
        };
        summary(&run)
    };
    let counter = |name: &str, labels: &[(&str, &str)]| {
        let now = after.value(name, labels)?;
        let was = before.value(name, labels).unwrap_or(0.0);
        Some((now - was).max(0.0) as u64)
    };
    let relay = "switchboard_relay_latency_seconds";
    let frames = "switchboard_frames_relayed_total";
    let inbound = [("direction", "caller_to_agent")];
    let outbound = [("direction", "agent_to_caller")];
    Some(BridgeFigures {
        interruption_to_clear: histogram("switchboard_clear_latency_seconds", &[]),
        upstream_connect: histogram("switchboard_upstream_connect_seconds", &[]),
        relay_caller_to_agent: histogram(relay, &inbound),
        relay_agent_to_caller: histogram(relay, &outbound),
        frames_caller_to_agent: counter(frames, &inbound),
        frames_agent_to_caller: counter(frames, &outbound),
    })
}

/// Seconds to µs; `None` for a histogram that recorded nothing in the run.
fn summary(h: &PromHistogram) -> Option<BucketSummary> {
    let us = |s: Option<f64>| s.map(|s| round3(s * 1e6));
    (h.total() > 0.0).then(|| BucketSummary {
        count: h.total() as u64,
        mean_us: us(h.mean()),
        p50_us: us(h.quantile(0.5)),
        p99_us: us(h.quantile(0.99)),
        p999_us: us(h.quantile(0.999)),
        p50_bound_us: us(h.quantile_bound(0.5)),
        p99_bound_us: us(h.quantile_bound(0.99)),
        p999_bound_us: us(h.quantile_bound(0.999)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::metrics::{CallMetrics, Direction};

    /// What a bridge's `/metrics` shows of its calls.
    fn exposition(metrics: &CallMetrics) -> String {
        let mut text = String::new();
        metrics.render(&mut text);
        text
    }

    fn about(value: Option<f64>, expected: f64) -> bool {
        value.is_some_and(|v| (v - expected).abs() < 1e-6)
    }

    #[test]
    fn figures_cover_only_the_run() {
        let metrics = CallMetrics::new();
        metrics.relayed(Direction::CallerToAgent, Duration::from_micros(3_000));
        let before = Scrape::parse(&exposition(&metrics)).unwrap();
        for _ in 0..99 {
            metrics.relayed(Direction::CallerToAgent, Duration::from_micros(20));
            metrics.relayed(Direction::AgentToCaller, Duration::from_micros(40));
        }
        metrics.interruption(Duration::from_micros(100));
        let after = Scrape::parse(&exposition(&metrics)).unwrap();
        let figures = figures(&before, &after).unwrap();
        assert_eq!(figures.frames_caller_to_agent, Some(99));
        assert_eq!(figures.frames_agent_to_caller, Some(99));
        let inbound = figures.relay_caller_to_agent.unwrap();
        assert_eq!(inbound.count, 99);
        assert!(
            about(inbound.p99_bound_us, 32.0),
            "the 3 ms frame was before the run"
        );
        let clear = figures.interruption_to_clear.unwrap();
        assert_eq!(clear.count, 1);
        assert!(about(clear.p99_bound_us, 128.0));
        assert_eq!(figures.upstream_connect, None);
    }

    #[test]
    fn a_bridge_without_switchboards_metrics_has_no_figures() {
        let other = Scrape::parse("http_requests_total 12\n").unwrap();
        assert_eq!(figures(&other, &other), None);
    }

    /// A bridge whose last call ends, and counts its last frame, only at the third scrape.
    #[tokio::test]
    async fn the_last_scrape_waits_for_the_bridges_calls_to_end() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

        let metrics = Arc::new(CallMetrics::new());
        let before = Scrape::parse(&exposition(&metrics)).unwrap();
        metrics.call_started();
        let scrapes = Arc::new(AtomicUsize::new(0));
        let serve = {
            let (metrics, scrapes) = (metrics.clone(), scrapes.clone());
            move || async move {
                if scrapes.fetch_add(1, SeqCst) == 2 {
                    metrics.relayed(Direction::AgentToCaller, Duration::from_micros(40));
                    metrics.call_ended(&crate::call::event::EndReason::CallerHungUp, true);
                }
                exposition(&metrics)
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/metrics", listener.local_addr().unwrap());
        let app = axum::Router::new().route("/metrics", axum::routing::get(serve));
        tokio::spawn(async move { axum::serve(listener, app).await });

        crate::tls::install_crypto_provider();
        let http = reqwest::Client::new();
        let after = scrape_settled(&http, &url, Some(&before)).await.unwrap();
        assert_eq!(scrapes.load(SeqCst), 3);
        assert_eq!(after.value("switchboard_active_calls", &[]), Some(0.0));
        let figures = figures(&before, &after).unwrap();
        assert_eq!(figures.frames_agent_to_caller, Some(1));
    }
}
