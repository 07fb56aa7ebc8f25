//! The store-backed objects the routes use, with the store's type erased
//! (the engine is chosen at start from the URL): the node lease and its
//! fenced generator, and each served segment with its store for the
//! segment-lease route. Fetch latency and failures are measured here.

use crate::metrics::Metrics;
use idloom::segment::Range;
use idloom_stores::{Counters, LeaseConfig, LeaseStatus, NodeLease, Result, Segment, SharedSnowflake, Store, SystemClock};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

/// A boxed future (the routes hold `dyn` objects).
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The node lease of this instance.
pub trait Lease: Send + Sync {
    fn generator(&self) -> &Arc<SharedSnowflake<SystemClock>>;
    fn status(&self) -> LeaseStatus;
    fn config(&self) -> LeaseConfig;
    fn node(&self) -> u64;
    fn epoch(&self) -> u64;
    fn start_ms(&self) -> u64;
    fn fence_ms(&self) -> u64;
    fn skew_ms(&self) -> i64;
    fn renewals(&self) -> u64;
    fn renewal_failures(&self) -> u64;
    fn stats(&self) -> Counters;
    fn release(&self) -> BoxFut<'_, Result<Option<u64>>>;
    /// Wait until the lease is no longer active; its last status.
    fn ended(&self) -> BoxFut<'_, LeaseStatus>;
}

impl<S: Store> Lease for NodeLease<S> {
    fn generator(&self) -> &Arc<SharedSnowflake<SystemClock>> {
        NodeLease::generator(self)
    }
    fn status(&self) -> LeaseStatus {
        NodeLease::status(self)
    }
    fn config(&self) -> LeaseConfig {
        NodeLease::config(self)
    }
    fn node(&self) -> u64 {
        NodeLease::node(self)
    }
    fn epoch(&self) -> u64 {
        NodeLease::epoch(self)
    }
    fn start_ms(&self) -> u64 {
        NodeLease::start_ms(self)
    }
    fn fence_ms(&self) -> u64 {
        NodeLease::fence_ms(self)
    }
    fn skew_ms(&self) -> i64 {
        NodeLease::skew_ms(self)
    }
    fn renewals(&self) -> u64 {
        NodeLease::renewals(self)
    }
    fn renewal_failures(&self) -> u64 {
        NodeLease::renewal_failures(self)
    }
    fn stats(&self) -> Counters {
        NodeLease::stats(self)
    }
    fn release(&self) -> BoxFut<'_, Result<Option<u64>>> {
        Box::pin(NodeLease::release(self))
    }
    fn ended(&self) -> BoxFut<'_, LeaseStatus> {
        Box::pin(NodeLease::ended(self))
    }
}

/// A served segment tag.
pub trait Tag: Send + Sync {
    fn name(&self) -> &str;
    /// `count` IDs appended to `out` (from memory, waiting for refills).
    fn next_ids<'a>(&'a self, count: usize, out: &'a mut Vec<u64>) -> BoxFut<'a, Result<()>>;
    /// A whole range of `step` counters from the store, for a thin client.
    fn lease(&self, step: u64) -> BoxFut<'_, Result<Range>>;
    fn remaining(&self) -> u64;
    fn stats(&self) -> Counters;
}

/// A store that times its segment fetches (the refill task's and the
/// segment-lease route's) into the metrics.
#[derive(Clone)]
pub struct Timed<S> {
    pub inner: S,
    pub metrics: Arc<Metrics>,
}

impl<S: Store> Timed<S> {
    async fn timed_fetch(&self, biz_tag: &str, step: u64, route: &'static str) -> Result<Range> {
        let began = Instant::now();
        let got = self.inner.fetch(biz_tag, step).await;
        self.metrics.fetched(biz_tag, route, began.elapsed(), got.as_ref().err());
        got
    }
}

impl<S: Store> Store for Timed<S> {
    fn engine(&self) -> &'static str {
        self.inner.engine()
    }
    fn init(&self) -> impl Future<Output = Result<()>> + Send {
        self.inner.init()
    }
    fn create_namespace(
        &self,
        init: &idloom_stores::NamespaceInit<'_>,
    ) -> impl Future<Output = Result<idloom_stores::NamespaceRecord>> + Send {
        self.inner.create_namespace(init)
    }
    fn namespace(&self, namespace: &str) -> impl Future<Output = Result<Option<idloom_stores::NamespaceRecord>>> + Send {
        self.inner.namespace(namespace)
    }
    fn acquire_noting(
        &self,
        namespace: &str,
        holder: &str,
        proposed_fence_ms: u64,
    ) -> impl Future<Output = Result<(idloom_stores::Grant, bool)>> + Send {
        self.inner.acquire_noting(namespace, holder, proposed_fence_ms)
    }
    fn renew_noting(
        &self,
        namespace: &str,
        node: u64,
        epoch: u64,
        start_ms: u64,
        holder: &str,
        proposed_fence_ms: u64,
    ) -> impl Future<Output = Result<idloom_stores::Renewed>> + Send {
        self.inner.renew_noting(namespace, node, epoch, start_ms, holder, proposed_fence_ms)
    }
    fn release(
        &self,
        namespace: &str,
        node: u64,
        epoch: u64,
        start_ms: u64,
        holder: &str,
        high_water_ms: u64,
    ) -> impl Future<Output = Result<()>> + Send {
        self.inner.release(namespace, node, epoch, start_ms, holder, high_water_ms)
    }
    fn nodes(&self, namespace: &str) -> impl Future<Output = Result<Vec<idloom_stores::NodeStatus>>> + Send {
        self.inner.nodes(namespace)
    }
    fn create_counter(&self, biz_tag: &str, floor: u64, step: u64, guard: bool) -> impl Future<Output = Result<()>> + Send {
        self.inner.create_counter(biz_tag, floor, step, guard)
    }
    fn fetch(&self, biz_tag: &str, step: u64) -> impl Future<Output = Result<Range>> + Send {
        self.timed_fetch(biz_tag, step, "refill")
    }
}

/// A segment and its store.
pub struct StoreTag<S: Store> {
    pub segment: Segment<Timed<S>>,
    pub store: Timed<S>,
}

impl<S: Store> Tag for StoreTag<S> {
    fn name(&self) -> &str {
        self.segment.biz_tag()
    }
    fn next_ids<'a>(&'a self, count: usize, out: &'a mut Vec<u64>) -> BoxFut<'a, Result<()>> {
        Box::pin(self.segment.next_ids(count, out))
    }
    fn lease(&self, step: u64) -> BoxFut<'_, Result<Range>> {
        Box::pin(self.store.timed_fetch(self.segment.biz_tag(), step, "lease"))
    }
    fn remaining(&self) -> u64 {
        self.segment.remaining()
    }
    fn stats(&self) -> Counters {
        self.segment.stats()
    }
}
