//! Start-up (store, namespace, counters, lease), the shared state the routes
//! read, readiness, and the shutdown sequence.

use crate::backend::{Lease, StoreTag, Tag, Timed};
use crate::config::Config;
use crate::metrics::Metrics;
use idloom::uuid::V7Generator;
use idloom::{Error, ErrorCode, Result, SecureRng};
use idloom_stores::LeaseStatus;
use idloom_stores::{LeaseConfig, LeaseOptions, NodeLease, Segment, SegmentConfig, SegmentOptions, StepSize, Store};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// The store-backed objects: the lease and the served segments.
pub struct Live {
    /// The current node lease: replaced by a new one when it is lost.
    lease: RwLock<Arc<dyn Lease>>,
    /// Leases acquired since start (1 + every re-acquire).
    pub leases: AtomicU64,
    pub tags: Vec<Box<dyn Tag>>,
    /// How far ahead the fence must be for /readyz.
    pub ready_margin_ms: u64,
    /// Set on SIGTERM: /readyz turns red while requests drain.
    pub draining: AtomicBool,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("node", &self.lease().node())
            .field("tags", &self.tags.len())
            .finish()
    }
}

impl Live {
    /// The current node lease.
    pub fn lease(&self) -> Arc<dyn Lease> {
        self.lease.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// `Ok` when a load balancer should send requests here; otherwise why not.
    pub fn ready(&self, now_ms: u64) -> std::result::Result<(), String> {
        if self.draining.load(Ordering::Acquire) {
            return Err("shutting down".into());
        }
        let lease = self.lease();
        if !lease.status().is_active() {
            return Err(format!("the node lease ended: {:?}", lease.status()));
        }
        let fence = lease.fence_ms();
        if fence < now_ms.saturating_add(self.ready_margin_ms) {
            return Err(format!(
                "the fence is {} ms ahead, under the ready margin of {} ms (renewals are not getting through)",
                fence.saturating_sub(now_ms),
                self.ready_margin_ms
            ));
        }
        for tag in &self.tags {
            if tag.remaining() == 0 {
                return Err(format!(
                    "segment {}: no IDs in memory (refills are not getting through)",
                    tag.name()
                ));
            }
        }
        Ok(())
    }

    /// The served segment named `tag`: `not_found` if none.
    pub fn tag(&self, tag: &str) -> Result<&dyn Tag> {
        self.tags
            .iter()
            .find(|t| t.name() == tag)
            .map(|t| &**t)
            .ok_or_else(|| Error::store(ErrorCode::NotFound, format!("biz_tag {tag:?} is not served here")))
    }
}

/// What every route shares.
pub struct App {
    pub config: Config,
    pub live: Arc<Live>,
    pub metrics: Arc<Metrics>,
    /// UUID v7: monotonic, from the OS's randomness.
    pub v7: Mutex<(V7Generator, SecureRng)>,
    /// The engine's name (`postgres`, `mysql`, `redis`).
    pub engine: &'static str,
    /// When the server started (Unix ms).
    pub started_ms: u64,
}

/// Open the store named by `config.store` and start on it.
pub async fn start(config: Config, metrics: Arc<Metrics>) -> Result<App> {
    let url = config.store.clone();
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase()).unwrap_or_default();
    match scheme.as_str() {
        #[cfg(feature = "postgres")]
        "postgres" | "postgresql" => {
            let mut store = idloom_stores::postgres::PgStore::from_url(&url)?;
            if let Some(table) = &config.segment_table {
                store = store.with_table(table)?;
            }
            start_on(store, config, metrics).await
        }
        #[cfg(feature = "mysql")]
        "mysql" | "mariadb" => {
            let url = format!("mysql://{}", &url[scheme.len() + 3..]);
            let mut store = idloom_stores::mysql::MyStore::from_url(&url)?;
            if let Some(table) = &config.segment_table {
                store = store.with_table(table)?;
            }
            start_on(store, config, metrics).await
        }
        #[cfg(feature = "redis")]
        "redis" | "rediss" => {
            if config.segment_table.is_some() {
                return Err(Error::reason(
                    ErrorCode::InvalidArgument,
                    "segment-table",
                    "Redis keeps counters under keys, not in a table",
                ));
            }
            start_on(idloom_stores::redis::RedisStore::from_url(&url).await?, config, metrics).await
        }
        #[cfg(feature = "zookeeper")]
        "zookeeper" => {
            if config.segment_table.is_some() {
                return Err(Error::reason(
                    ErrorCode::InvalidArgument,
                    "segment-table",
                    "ZooKeeper keeps counters in znodes, not in a table",
                ));
            }
            start_on(idloom_stores::zookeeper::ZkStore::from_url(&url)?, config, metrics).await
        }
        #[cfg(feature = "etcd")]
        "etcd" => {
            if config.segment_table.is_some() {
                return Err(Error::reason(
                    ErrorCode::InvalidArgument,
                    "segment-table",
                    "etcd keeps counters under keys, not in a table",
                ));
            }
            start_on(idloom_stores::etcd::EtcdStore::from_url(&url)?, config, metrics).await
        }
        _ => Err(Error::reason(
            ErrorCode::InvalidArgument,
            "store",
            "must be a postgres://, postgresql://, mysql://, mariadb://, redis://, rediss://, zookeeper:// or etcd:// URL (of the engines this build has)",
        )),
    }
}

async fn start_on<S: Store>(store: S, config: Config, metrics: Arc<Metrics>) -> Result<App> {
    let store = Timed {
        inner: store,
        metrics: metrics.clone(),
    };
    let lease_config = LeaseConfig {
        ttl_ms: config.ttl_ms,
        max_skew_ms: config.max_skew_ms,
    };
    // Without --nodes, an instance joins the namespace as it exists (the
    // first instance's count); the engine's default only when creating it.
    let nodes = match config.nodes {
        Some(n) => Some(n),
        None => store.namespace(&config.namespace).await?.map(|r| r.nodes),
    };
    store
        .init_namespace(&config.namespace, config.layout, nodes, lease_config, config.fresh)
        .await?;
    let options = SegmentOptions {
        config: SegmentConfig {
            step: StepSize::Fixed(config.segment_step),
            ..SegmentConfig::default()
        },
        ..SegmentOptions::default()
    };
    let mut tags: Vec<Box<dyn Tag>> = Vec::new();
    for tag in &config.segments {
        if config.create_segments {
            store.init_segment(tag, config.segment_floor, config.segment_step).await?;
        }
        let segment = Segment::open(store.clone(), tag, options).await?;
        tags.push(Box::new(StoreTag {
            segment,
            store: store.clone(),
        }));
    }
    let lease_options = LeaseOptions {
        holder: config.holder.clone(),
        ..LeaseOptions::default()
    };
    let lease = NodeLease::acquire_with(store.clone(), &config.namespace, config.layout, lease_options.clone()).await?;
    let live = Arc::new(Live {
        lease: RwLock::new(Arc::new(lease)),
        leases: AtomicU64::new(1),
        tags,
        ready_margin_ms: config.ready_margin_ms,
        draining: AtomicBool::new(false),
    });
    metrics.set_live(live.clone());
    tokio::spawn(supervise(live.clone(), store.clone(), config.clone(), lease_options));
    Ok(App {
        engine: store.engine(),
        config,
        live,
        metrics,
        v7: Mutex::new((V7Generator::new(), SecureRng::from_os()?)),
        started_ms: idloom::Clock::now_ms(&idloom::SystemClock),
    })
}

/// When the lease ends other than by a release (a renewal refused after a
/// pause or a partition: another holder took the node), lease a node again,
/// retrying with a growing pause (up to the TTL) until it succeeds or the
/// server shuts down. The new lease is fenced as any: the instance heals
/// without a restart, and nothing it mints meets what the node's new
/// holder mints. Segments are served all along.
async fn supervise<S: Store>(live: Arc<Live>, store: Timed<S>, config: Config, options: LeaseOptions) {
    loop {
        let ended = live.lease().ended().await;
        if live.draining.load(Ordering::Acquire) || matches!(ended, LeaseStatus::Released { .. }) {
            return;
        }
        tracing::warn!(target: "idloom_server", "the node lease ended ({ended:?}): leasing a node again");
        let mut pause = Duration::from_millis(100);
        loop {
            if live.draining.load(Ordering::Acquire) {
                return;
            }
            match NodeLease::acquire_with(store.clone(), &config.namespace, config.layout, options.clone()).await {
                Ok(lease) => {
                    if live.draining.load(Ordering::Acquire) {
                        let _ = lease.release().await; // shutting down meanwhile: give it back at once
                        return;
                    }
                    tracing::info!(target: "idloom_server", "leased node {} epoch {} again", lease.node(), lease.epoch());
                    *live.lease.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(lease);
                    live.leases.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Err(e) => {
                    tracing::warn!(target: "idloom_server", "leasing a node again failed ({e}); retrying in {} ms", pause.as_millis());
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(config.ttl_ms.max(100)));
                }
            }
        }
    }
}
