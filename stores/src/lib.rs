//! Async stores for [idloom](https://docs.rs/idloom) on tokio: PostgreSQL
//! (`tokio-postgres`, a `deadpool-postgres` pool or one client), MariaDB /
//! MySQL (a `mysql_async` pool) and Redis (the `redis` crate's
//! `ConnectionManager`), one cargo feature each.
//!
//! The crate runs the core's protocol and nothing of its own: the SQL and
//! Lua texts are `idloom::stores::*` constants with every value passed as a
//! parameter; every driver failure goes through
//! [`idloom::stores::failure::classify`], every answer through
//! [`idloom::stores::answer::read`], every number through
//! [`idloom::stores::args::check`] and every string through
//! [`idloom::inputs`]. A [`NodeLease`] drives the core's
//! [`idloom::lease::Holder`] from a tokio task and fences the core's
//! [`SharedSnowflake`]; a [`Segment`] drives the core's
//! [`idloom::segment::SegmentBuffer`] with a refill task. The design is in
//! `docs/COORDINATION.md`.
//!
//! ```no_run
//! # #[cfg(feature = "postgres")]
//! # async fn demo() -> idloom::Result<()> {
//! use idloom_stores::{postgres::PgStore, NodeLease, Store};
//! use idloom::{lease::LeaseConfig, Layout};
//!
//! let store = PgStore::from_url("host=127.0.0.1 user=postgres dbname=test")?;
//! let config = LeaseConfig { ttl_ms: 10_000, max_skew_ms: 1_000 };
//! store.init_namespace("orders", Layout::TWITTER, None, config, false).await?;
//! let lease = NodeLease::acquire(store, "orders", Layout::TWITTER).await?;
//! let id = lease.next_id()?;
//! lease.release().await?;
//! # let _ = id; Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The engine helpers serve the engines; with none enabled only the trait and the lease remain.
#![cfg_attr(
    not(any(
        feature = "postgres",
        feature = "mysql",
        feature = "redis",
        feature = "zookeeper",
        feature = "etcd"
    )),
    allow(dead_code)
)]

use std::future::Future;

pub use idloom;
pub use idloom::events::{Counters, Kind};
pub use idloom::lease::{Grant, LeaseConfig};
pub use idloom::segment::Range;
pub use idloom::segment::{SegmentConfig, StepSize};
pub use idloom::stores::{NamespaceRecord, NodeStatus};
pub use idloom::{Error, ErrorCode, Layout, Policy, Result, SharedSnowflake, SystemClock};

#[cfg(any(feature = "postgres", feature = "mysql", feature = "redis"))]
use idloom::stores::answer::Reading;
use idloom::stores::answer::{refuse, Refusal, Subject};

mod events;
mod lease;
mod segment;

pub use lease::{LeaseOptions, LeaseStatus, NodeLease};
pub use segment::{Segment, SegmentGroup, SegmentOptions};

/// A renewal's answer ([`Store::renew_noting`]): `None` when refused, else the
/// grant and whether the store's identity changed (the floor rose first).
pub type Renewed = Option<(Grant, bool)>;

#[cfg(feature = "etcd")]
pub mod etcd;
#[cfg(any(feature = "zookeeper", feature = "etcd"))]
mod kv;
#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "zookeeper")]
pub mod zookeeper;

/// How an SQL store takes a segment range (Redis always uses its `INCRBY` script).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FetchMode {
    /// One statement: `max_id = max_id + step` (Leaf's).
    #[default]
    Atomic,
    /// Read, then compare-and-set, with the core's jittered retries
    /// ([`idloom::stores::cas::CasLoop`]): for tables other writers update by hand.
    Cas,
}

/// The table SQL stores keep segment counters in unless told otherwise
/// (Leaf-compatible: `biz_tag, max_id, step, description, update_time`).
pub const DEFAULT_SEGMENT_TABLE: &str = "idloom_alloc";

/// A coordination store: the calls of the idloom protocol on one engine.
///
/// Cheap to clone (a pool or a connection manager inside); every method
/// takes `&self` and may run concurrently. Errors carry the core's codes:
/// `store_unavailable` (retry: an outage, a refused connection),
/// `store_schema` (a missing table, another schema version),
/// `store_state_lost` (a namespace or counter missing), `lease_lost`,
/// `no_free_node`, `invalid_argument`.
pub trait Store: Clone + Send + Sync + 'static {
    /// `"postgres"`, `"mysql"` or `"redis"`.
    fn engine(&self) -> &'static str;

    /// Create the coordination tables if missing and check the schema version
    /// (Redis: nothing to create).
    fn init(&self) -> impl Future<Output = Result<()>> + Send;

    /// Create the tables and the namespace if missing; its record. `nodes`:
    /// the core's default when `None` ([`idloom::stores::namespace_nodes`]).
    /// `fresh` (first deployment, tests) starts at floor 0; otherwise the
    /// floor is above every fence a holder from before could still use. A
    /// namespace that exists with another layout or node count is `store_schema`.
    fn init_namespace(
        &self,
        namespace: &str,
        layout: Layout,
        nodes: Option<u64>,
        config: LeaseConfig,
        fresh: bool,
    ) -> impl Future<Output = Result<NamespaceRecord>> + Send {
        async move {
            let init = NamespaceInit::new(self.engine(), namespace, &layout, nodes, config, fresh)?;
            self.create_namespace(&init).await
        }
    }

    /// The engine's half of [`init_namespace`](Self::init_namespace), its
    /// arguments checked: create the tables and the namespace if missing and
    /// answer the record ([`NamespaceInit::expect`]). Call `init_namespace`.
    fn create_namespace(&self, init: &NamespaceInit<'_>) -> impl Future<Output = Result<NamespaceRecord>> + Send;

    /// A namespace's record, `None` if the store has none.
    fn namespace(&self, namespace: &str) -> impl Future<Output = Result<Option<NamespaceRecord>>> + Send;

    /// Lease a node (the holder's previous one first, then the lowest free),
    /// proposing `proposed_fence_ms` (ID time). Use [`NodeLease`] rather than this.
    fn acquire(&self, namespace: &str, holder: &str, proposed_fence_ms: u64) -> impl Future<Output = Result<Grant>> + Send {
        async move { Ok(self.acquire_noting(namespace, holder, proposed_fence_ms).await?.0) }
    }

    /// [`acquire`](Self::acquire), and whether the store's identity changed
    /// since the namespace last saw it (a restore, a promotion, a restart of
    /// Redis with its data gone or reloaded): the namespace floor was raised
    /// first ([`NodeLease`] reports it as `store_identity_changed`). Always
    /// false on MariaDB/MySQL, which has no identity its statements can read.
    fn acquire_noting(&self, namespace: &str, holder: &str, proposed_fence_ms: u64) -> impl Future<Output = Result<(Grant, bool)>> + Send;

    /// Renew the lease `(node, epoch, start_ms)` — `start_ms` as granted —
    /// of `holder`; `Ok(None)`: refused (another holder or epoch has the
    /// node, or the lease is from before the store lost or restored its
    /// state: its start is below the namespace floor, or the server's
    /// identity is not the one the namespace recorded).
    fn renew(
        &self,
        namespace: &str,
        node: u64,
        epoch: u64,
        start_ms: u64,
        holder: &str,
        proposed_fence_ms: u64,
    ) -> impl Future<Output = Result<Option<Grant>>> + Send {
        async move {
            let renewed = self
                .renew_noting(namespace, node, epoch, start_ms, holder, proposed_fence_ms)
                .await?;
            Ok(renewed.map(|(grant, _)| grant))
        }
    }

    /// [`renew`](Self::renew), and whether the store's identity changed
    /// since the namespace last saw it. Always false today: a renewal that
    /// meets a new identity is refused and leaves the namespace as it is
    /// (the next acquire raises the floor and reports the change); kept so
    /// that a store whose renewals can grant under a change can say so.
    fn renew_noting(
        &self,
        namespace: &str,
        node: u64,
        epoch: u64,
        start_ms: u64,
        holder: &str,
        proposed_fence_ms: u64,
    ) -> impl Future<Output = Result<Renewed>> + Send;

    /// Give a node back with the end of the last tick minted (`lease_lost`
    /// if the lease `(node, epoch, start_ms)` is no longer the current one).
    fn release(
        &self,
        namespace: &str,
        node: u64,
        epoch: u64,
        start_ms: u64,
        holder: &str,
        high_water_ms: u64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Every node of a namespace (`store_state_lost` if the namespace is missing on Redis).
    fn nodes(&self, namespace: &str) -> impl Future<Output = Result<Vec<NodeStatus>>> + Send;

    /// Create the counter `biz_tag` at `floor` if missing (never lowered);
    /// `step` is Leaf's column (SQL) or the largest step it will serve (Redis's bound check).
    fn init_segment(&self, biz_tag: &str, floor: u64, step: u64) -> impl Future<Output = Result<()>> + Send {
        self.create_counter(biz_tag, floor, step, false)
    }

    /// [`init_segment`](Self::init_segment) for a guarded counter: it records
    /// the store's identity (PostgreSQL's system identifier and timeline,
    /// Redis's `run_id`), and every fetch under another identity (a restore
    /// from a backup, a promotion, a Redis restart) is `store_state_lost`
    /// ([`idloom::stores::GUARD_LOST`]) until this is called again, which
    /// raises the counter to `max(counter, floor)`: give a floor above every
    /// ID handed out. MariaDB/MySQL has no identity its statements can read:
    /// `invalid_argument` ([`idloom::stores::check_guard`]).
    fn init_segment_guarded(&self, biz_tag: &str, floor: u64, step: u64) -> impl Future<Output = Result<()>> + Send {
        async move {
            idloom::inputs::biz_tag(biz_tag)?;
            idloom::stores::check_guard(self.engine())?;
            self.create_counter(biz_tag, floor, step, true).await
        }
    }

    /// The engine's half of [`init_segment`](Self::init_segment) (`guard`
    /// false) and [`init_segment_guarded`](Self::init_segment_guarded)
    /// (true, an engine [`idloom::stores::check_guard`] allows). Call those.
    fn create_counter(&self, biz_tag: &str, floor: u64, step: u64, guard: bool) -> impl Future<Output = Result<()>> + Send;

    /// Take `step` counters of `biz_tag`: a range no other caller ever receives.
    fn fetch(&self, biz_tag: &str, step: u64) -> impl Future<Output = Result<Range>> + Send;
}

/// `mutex` locked; a lock a panicking thread left poisoned is taken as it is
/// (every state behind these locks stays consistent between statements).
pub(crate) fn locked<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

// ---- what every engine shares ------------------------------------------------

/// A namespace subject, for the core's messages.
pub(crate) fn ns_subject(namespace: &str) -> Subject<'_> {
    Subject {
        namespace: Some(namespace),
        ..Subject::default()
    }
}

/// A renewal's or a release's namespace and holder checked; its subject.
pub(crate) fn lease_call<'a>(namespace: &'a str, holder: &str, node: u64, epoch: u64) -> Result<Subject<'a>> {
    idloom::inputs::namespace(namespace)?;
    idloom::inputs::holder(holder)?;
    Ok(Subject {
        namespace: Some(namespace),
        node: Some(node),
        epoch: Some(epoch),
        biz_tag: None,
    })
}

/// A fetch's counter and step checked by the core; the step and the subject.
pub(crate) fn fetch_call(biz_tag: &str, step: u64) -> Result<(u64, Subject<'_>)> {
    idloom::inputs::biz_tag(biz_tag)?;
    Ok((idloom::stores::args::check("step", step.into())?, tag_subject(biz_tag)))
}

/// A counter subject.
pub(crate) fn tag_subject(biz_tag: &str) -> Subject<'_> {
    Subject {
        biz_tag: Some(biz_tag),
        ..Subject::default()
    }
}

/// A namespace to create, its arguments checked by the core: what
/// [`Store::init_namespace`] hands an engine's [`Store::create_namespace`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NamespaceInit<'a> {
    /// The namespace (checked by [`idloom::inputs::namespace`]).
    pub namespace: &'a str,
    /// The layout's record ([`idloom::stores::layout_record`]).
    pub record: String,
    /// The node count ([`idloom::stores::namespace_nodes`]).
    pub nodes: u64,
    /// The lease's TTL and skew bound ([`LeaseConfig::validate`]).
    pub config: LeaseConfig,
    /// Floor 0 (a first deployment, tests), else above every old fence.
    pub fresh: bool,
}

impl<'a> NamespaceInit<'a> {
    /// [`Store::init_namespace`]'s arguments on `engine`, checked by the core.
    pub fn new(engine: &str, namespace: &'a str, layout: &Layout, nodes: Option<u64>, config: LeaseConfig, fresh: bool) -> Result<Self> {
        idloom::inputs::namespace(namespace)?;
        idloom::stores::args::check("ttl_ms", config.ttl_ms.into())?;
        idloom::stores::args::check("max_skew_ms", config.max_skew_ms.into())?;
        config.validate()?;
        let nodes = idloom::stores::namespace_nodes(engine, layout, nodes)?;
        Ok(NamespaceInit {
            namespace,
            record: idloom::stores::layout_record(layout),
            nodes,
            config,
            fresh,
        })
    }

    /// The subject of the namespace, for the core's messages.
    #[cfg(any(feature = "postgres", feature = "mysql", feature = "redis"))]
    pub(crate) fn subject(&self) -> Subject<'a> {
        ns_subject(self.namespace)
    }

    /// The record the store answered, `store_schema` if it holds another
    /// layout or node count (the namespace existed).
    pub fn expect(&self, got: NamespaceRecord) -> Result<NamespaceRecord> {
        let (namespace, record, nodes) = (self.namespace, &self.record, self.nodes);
        if got.layout != *record || got.nodes != nodes {
            return Err(Error::store(
                ErrorCode::StoreSchema,
                format!(
                    "namespace {namespace} exists with layout {:?} and {} nodes, not {record:?} and {nodes}",
                    got.layout, got.nodes
                ),
            ));
        }
        Ok(got)
    }
}

/// Where and how an SQL store keeps segment counters: the table and the fetch mode.
#[cfg(any(feature = "postgres", feature = "mysql"))]
#[derive(Clone)]
pub(crate) struct CounterTable {
    table: std::sync::Arc<str>,
    pub(crate) mode: FetchMode,
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
impl CounterTable {
    /// [`DEFAULT_SEGMENT_TABLE`], [`FetchMode::Atomic`].
    pub(crate) fn new() -> Self {
        CounterTable {
            table: DEFAULT_SEGMENT_TABLE.into(),
            mode: FetchMode::Atomic,
        }
    }

    /// Keep the counters in `table` (checked by [`idloom::inputs::table`]).
    pub(crate) fn set_table(&mut self, table: &str) -> Result<()> {
        idloom::inputs::table(table)?;
        self.table = table.into();
        Ok(())
    }

    /// One of the core's segment texts on this table.
    pub(crate) fn text(&self, text: &str) -> Result<String> {
        idloom::stores::segment_sql(text, &self.table)
    }

    /// A store's `Debug`: its type name, the table and the mode.
    pub(crate) fn debug(&self, store: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(store)
            .field("table", &self.table)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// An SQL store's builder methods for its [`CounterTable`] (field
/// `counters`), and its `Debug`: the same for every SQL engine.
#[cfg(any(feature = "postgres", feature = "mysql"))]
macro_rules! counter_table_methods {
    ($store:ident) => {
        impl $store {
            /// Keep segment counters in `table` (an SQL identifier, optionally
            /// `schema.table`; default [`DEFAULT_SEGMENT_TABLE`](crate::DEFAULT_SEGMENT_TABLE)).
            pub fn with_table(mut self, table: &str) -> idloom::Result<Self> {
                self.counters.set_table(table)?;
                Ok(self)
            }

            /// Take segment ranges in `mode` (default [`FetchMode::Atomic`](crate::FetchMode::Atomic)).
            pub fn with_mode(mut self, mode: crate::FetchMode) -> Self {
                self.counters.mode = mode;
                self
            }
        }

        impl std::fmt::Debug for $store {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.counters.debug(stringify!($store), f)
            }
        }
    };
}
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) use counter_table_methods;

/// A number bound for a signed 64-bit column, as parameter `name`.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) fn i64_arg(name: &'static str, value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| Error::range(ErrorCode::InvalidArgument, name, value, 0, i64::MAX))
}

/// A node number for an SQL `int` column.
#[cfg(feature = "postgres")]
pub(crate) fn node_arg(node: u64) -> Result<i32> {
    i32::try_from(node).map_err(|_| Error::range(ErrorCode::InvalidArgument, "node", node, 0, i32::MAX))
}

/// The reading a call must answer, else "not the protocol".
pub(crate) fn not_protocol(subject: &Subject<'_>) -> Error {
    refuse(Refusal::NotProtocol, subject)
}

/// The nodes of a `nodes` answer (one SQL row, or a Redis page).
#[cfg(any(feature = "postgres", feature = "mysql", feature = "redis"))]
pub(crate) fn nodes_of(reading: Reading, subject: &Subject<'_>) -> Result<Vec<NodeStatus>> {
    match reading {
        Reading::Nodes(nodes) => Ok(nodes),
        _ => Err(not_protocol(subject)),
    }
}

/// The grant of an acquire or a renewal, and whether the store's identity changed.
#[cfg(any(feature = "postgres", feature = "redis"))]
pub(crate) fn grant_of(reading: Reading, subject: &Subject<'_>) -> Result<(Grant, bool)> {
    match reading {
        Reading::Grant { grant, identity_changed } => Ok((grant, identity_changed)),
        _ => Err(not_protocol(subject)),
    }
}

#[cfg(any(feature = "postgres", feature = "mysql", feature = "redis"))]
pub(crate) fn namespace_of(reading: Reading, subject: &Subject<'_>) -> Result<Option<NamespaceRecord>> {
    match reading {
        Reading::Namespace(r) => Ok(Some(r)),
        Reading::Missing => Ok(None),
        _ => Err(not_protocol(subject)),
    }
}

#[cfg(any(feature = "postgres", feature = "mysql", feature = "redis"))]
pub(crate) fn range_of(reading: Reading, subject: &Subject<'_>) -> Result<Range> {
    match reading {
        Reading::Range { start, end } => Ok(Range::new(start, end)),
        _ => Err(not_protocol(subject)),
    }
}

/// A uniform draw in `[0, 1)` for the compare-and-set pause (jitter only:
/// the clock's nanoseconds mixed with a per-thread counter).
#[cfg(any(feature = "postgres", feature = "mysql", feature = "zookeeper", feature = "etcd"))]
pub(crate) fn unit() -> f64 {
    use std::cell::Cell as StdCell;
    thread_local!(static STATE: StdCell<u64> = const { StdCell::new(0) });
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    STATE.with(|s| {
        let mut x = s.get() ^ nanos ^ 0x9E37_79B9_7F4A_7C15;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// Run the core's compare-and-set loop: `read` answers the counter's
/// reading (`segment_read`: its value, or a refusal), `swap(old, new)` the
/// reading of the compare-and-set (`segment_cas`: done when the row changed).
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) async fn cas_fetch<R, W, RF, WF>(biz_tag: &str, step: u64, mut read: R, mut swap: W) -> Result<Range>
where
    R: FnMut() -> RF,
    RF: Future<Output = Result<Reading>>,
    W: FnMut(i64, i64) -> WF,
    WF: Future<Output = Result<Reading>>,
{
    use idloom::stores::cas::{CasLoop, CasStep};
    let subject = tag_subject(biz_tag);
    let mut cas = CasLoop::new(step)?;
    loop {
        let Reading::Value(current) = read().await? else {
            return Err(not_protocol(&subject));
        };
        let CasStep::Swap { old, new } = cas.read(Some(current), &subject)? else {
            return Err(not_protocol(&subject));
        };
        let won = swap(i64_arg("max_id", old)?, i64_arg("max_id", new)?).await? == Reading::Done;
        match cas.swapped(won, unit(), &subject)? {
            CasStep::Done { start, end } => return Ok(Range::new(start, end)),
            CasStep::Pause { us } => tokio::time::sleep(std::time::Duration::from_micros(us)).await,
            CasStep::Swap { .. } => return Err(not_protocol(&subject)),
        }
    }
}

/// A holder string for humans: host, process id and a random suffix
/// (printable ASCII, as [`idloom::inputs::holder`] requires).
pub fn default_holder() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .unwrap_or_else(|| "host".into());
    let host: String = host
        .trim()
        .chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .take(200)
        .collect();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let host = if host.is_empty() { "host".into() } else { host };
    format!("{host}:{}:{:06x}", std::process::id(), (nanos ^ (nanos >> 24)) & 0xff_ffff)
}
