//! The README's Prometheus recipe (`stores/README.md` holds this file
//! verbatim; `tests/readme.rs` runs it on the real Redis).
use std::sync::Arc;

use idloom_stores::redis::RedisStore;
use idloom_stores::{Layout, LeaseConfig, NodeLease, Segment, SegmentConfig, SegmentOptions, StepSize, Store};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{text, DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Every event count of a lease and a segment, read from `stats()` at each
/// scrape: `idloom_events_total{object="lease",event="lease_acquired"} 1`.
#[derive(Debug)]
struct IdloomCollector {
    lease: Arc<NodeLease<RedisStore>>,
    orders: Arc<Segment<RedisStore>>,
}

impl Collector for IdloomCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let help = "idloom events per object, by kind";
        let mut family = encoder.encode_descriptor("idloom_events", help, None, MetricType::Counter)?;
        for (object, stats) in [("lease", self.lease.stats()), ("orders", self.orders.stats())] {
            for (kind, n) in stats.iter() {
                let labels = [("object", object), ("event", kind.name())];
                ConstCounter::new(n).encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

pub async fn run(url: &str, namespace: &str, biz_tag: &str) -> Result<String, Error> {
    let store = RedisStore::from_url(url).await?;
    let config = LeaseConfig {
        ttl_ms: 3_000,
        max_skew_ms: 500,
    };
    store.init_namespace(namespace, Layout::TWITTER, None, config, false).await?;
    store.init_segment(biz_tag, 1, 100).await?;
    let options = SegmentOptions {
        config: SegmentConfig {
            step: StepSize::Fixed(100),
            ..SegmentConfig::default()
        },
        ..SegmentOptions::default()
    };

    // The objects to export, shared with the collector.
    let lease = Arc::new(NodeLease::acquire(store.clone(), namespace, Layout::TWITTER).await?);
    let orders = Arc::new(Segment::open(store.clone(), biz_tag, options).await?);
    let mut registry = Registry::default();
    registry.register_collector(Box::new(IdloomCollector {
        lease: lease.clone(),
        orders: orders.clone(),
    }));

    lease.next_id_async().await?;
    for _ in 0..250 {
        orders.next_id().await?; // ranges of 100: refilled ahead by the segment's task
    }
    lease.release().await?;

    // What GET /metrics answers (content type `application/openmetrics-text; version=1.0.0; charset=utf-8`).
    let mut body = String::new();
    text::encode(&mut body, &registry)?;
    let scraped = |object: &str, event: &str| -> Option<u64> {
        let series = format!(r#"idloom_events_total{{object="{object}",event="{event}"}} "#);
        body.lines().find_map(|line| line.strip_prefix(&series)?.parse().ok())
    };
    assert_eq!(scraped("lease", "lease_acquired"), Some(1));
    assert_eq!(scraped("lease", "lease_released"), Some(1));
    assert!(scraped("orders", "segment_fetched") >= Some(3)); // 250 IDs in ranges of 100, the next one fetched ahead
    assert_eq!(scraped("orders", "segment_ran_dry"), Some(0));
    Ok(body)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let url = std::env::var("IDLOOM_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let body = run(&url, "metrics", "metrics_orders").await?;
    print!("{body}");
    Ok(())
}
