//! `/metrics` in the Prometheus text format: requests and IDs by route and
//! outcome, latency histograms, segment fetches (counted and timed as they
//! happen), and what the lease and segments say at each scrape.

use crate::app::Live;
use idloom::Error;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    route: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Fetch {
    tag: String,
    /// `refill` (a segment's refill task) or `lease` (the segment-lease route).
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FetchTime {
    tag: String,
    kind: &'static str,
}

fn latency() -> Histogram {
    // 20 µs … ~10 s
    Histogram::new(exponential_buckets(0.000_02, 2.5, 15))
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<Outcome, Counter>,
    ids: Family<Route, Counter>,
    durations: Family<Route, Histogram, fn() -> Histogram>,
    fetches: Family<Fetch, Counter>,
    fetch_times: Family<FetchTime, Histogram, fn() -> Histogram>,
    /// What the scrape reads from the lease and segments, once they exist.
    live: Arc<OnceLock<Arc<Live>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("idloom");
        let requests = Family::<Outcome, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and outcome (ok or the error code)",
            requests.clone(),
        );
        let ids = Family::<Route, Counter>::default();
        registry.register(
            "ids_served",
            "IDs answered by route (a segment lease counts its whole range)",
            ids.clone(),
        );
        let durations = Family::<Route, Histogram, fn() -> Histogram>::new_with_constructor(latency);
        registry.register("http_request_duration_seconds", "request latency by route", durations.clone());
        let fetches = Family::<Fetch, Counter>::default();
        registry.register(
            "segment_fetches",
            "segment ranges taken from the store by tag, kind and outcome",
            fetches.clone(),
        );
        let fetch_times = Family::<FetchTime, Histogram, fn() -> Histogram>::new_with_constructor(latency);
        registry.register(
            "segment_fetch_duration_seconds",
            "segment fetch latency by tag and kind",
            fetch_times.clone(),
        );
        let live = Arc::new(OnceLock::new());
        registry.register_collector(Box::new(Scrape { live: live.clone() }));
        Metrics {
            registry,
            requests,
            ids,
            durations,
            fetches,
            fetch_times,
            live,
        }
    }

    /// The lease and segments to read at each scrape (once, at start).
    pub fn set_live(&self, live: Arc<Live>) {
        let _ = self.live.set(live);
    }

    /// A request answered: its route, outcome (`ok` or the code), IDs and time.
    pub fn answered(&self, route: &'static str, outcome: &'static str, ids: u64, took: Duration) {
        self.requests.get_or_create(&Outcome { route, outcome }).inc();
        if ids > 0 {
            self.ids.get_or_create(&Route { route }).inc_by(ids);
        }
        self.durations.get_or_create(&Route { route }).observe(took.as_secs_f64());
    }

    /// A segment fetch finished.
    pub fn fetched(&self, tag: &str, kind: &'static str, took: Duration, error: Option<&Error>) {
        let outcome = error.map_or("ok", |e| e.code().as_str());
        self.fetches
            .get_or_create(&Fetch {
                tag: tag.to_string(),
                kind,
                outcome,
            })
            .inc();
        self.fetch_times
            .get_or_create(&FetchTime {
                tag: tag.to_string(),
                kind,
            })
            .observe(took.as_secs_f64());
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The gauges and counters read at each scrape.
#[derive(Debug)]
struct Scrape {
    live: Arc<OnceLock<Arc<Live>>>,
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: i64) -> std::fmt::Result {
    ConstGauge::new(value).encode(encoder.encode_descriptor(name, help, None, MetricType::Gauge)?)
}

fn counter(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> std::fmt::Result {
    ConstCounter::new(value).encode(encoder.encode_descriptor(name, help, None, MetricType::Counter)?)
}

fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let Some(live) = self.live.get() else { return Ok(()) };
        let now = idloom::Clock::now_ms(&idloom::SystemClock);
        let lease = live.lease();
        counter(
            &mut encoder,
            "leases_acquired",
            "node leases acquired since start (a lost one is replaced)",
            live.leases.load(std::sync::atomic::Ordering::Relaxed),
        )?;
        let active = lease.status().is_active();
        gauge(&mut encoder, "lease_active", "1 while the node lease is held", i64::from(active))?;
        gauge(&mut encoder, "lease_node", "the leased node", clamp(lease.node()))?;
        gauge(&mut encoder, "lease_epoch", "the lease's epoch on its node", clamp(lease.epoch()))?;
        let headroom = if active { clamp(lease.fence_ms()) - clamp(now) } else { 0 };
        gauge(
            &mut encoder,
            "lease_fence_headroom_ms",
            "how far the fence is ahead of this clock (0 once the lease ended)",
            headroom,
        )?;
        counter(&mut encoder, "lease_renewals", "renewals confirmed", lease.renewals())?;
        counter(
            &mut encoder,
            "lease_renewal_failures",
            "renewals that failed",
            lease.renewal_failures(),
        )?;
        gauge(
            &mut encoder,
            "clock_offset_ms",
            "the store's clock minus this one, as the last acquire or renewal measured it",
            lease.skew_ms(),
        )?;
        let lead = lease.generator().high_water_ms().map_or(0, |h| clamp(h) - clamp(now)).max(0);
        gauge(
            &mut encoder,
            "borrowing_lead_ms",
            "how far the generator's last tick is ahead of this clock",
            lead,
        )?;
        gauge(
            &mut encoder,
            "ready",
            "1 while /readyz answers 200",
            i64::from(live.ready(now).is_ok()),
        )?;
        {
            let mut family = encoder.encode_descriptor("segment_remaining", "IDs of a segment in memory", None, MetricType::Gauge)?;
            for tag in &live.tags {
                ConstGauge::new(clamp(tag.remaining())).encode(family.encode_family(&[("tag", tag.name())])?)?;
            }
        }
        let mut family = encoder.encode_descriptor("events", "the core's events by object and kind", None, MetricType::Counter)?;
        let lease_stats = lease.stats();
        let mut objects: Vec<(&str, idloom_stores::Counters)> = vec![("lease", lease_stats)];
        for tag in &live.tags {
            objects.push((tag.name(), tag.stats()));
        }
        for (object, stats) in &objects {
            for (kind, n) in stats.iter() {
                if n > 0 {
                    ConstCounter::new(n).encode(family.encode_family(&[("object", *object), ("event", kind.name())])?)?;
                }
            }
        }
        Ok(())
    }
}
