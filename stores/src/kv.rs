//! The protocol on stores of keys changed by compare-and-set (ZooKeeper's
//! versioned `multi`, etcd's transactions on `mod_revision`), for every such
//! engine: each call is the core's state machine ([`KvCall`], the one the
//! Python and Node engines drive too), and [`drive`] does what it needs on
//! the engine — read a key, list a prefix, read the store's clock, commit a
//! batch that holds only if no version moved, pause. An engine
//! ([`KvEngine`]) only reads, writes batches and tells the store's clock
//! and identity.

use crate::{not_protocol, ns_subject, NamespaceInit, NodeStatus, Renewed};
use idloom::lease::Grant;
use idloom::segment::Range;
use idloom::stores::kvcall::{Answer, Flavor, KvCall, Need};
pub(crate) use idloom::stores::kvcall::{Identity, Versioned, Write};
use idloom::stores::{NamespaceRecord, Reading};
use idloom::Result;
use std::future::Future;

/// What the core's calls ([`KvCall`]) need of an engine.
pub(crate) trait KvEngine: Clone + Send + Sync + 'static {
    /// The engine's name (`"zookeeper"`, `"etcd"`).
    const ENGINE: &'static str;

    /// A key's text and version, `None` when absent.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Versioned>>> + Send;

    /// Every key below `prefix` (ending in `/`) with its record, by full key.
    fn list(&self, prefix: &str) -> impl Future<Output = Result<Vec<(String, Versioned)>>> + Send;

    /// The store's clock (ms) now and its identity ([`Need::Now`]; `clock`
    /// the namespace's clock key); `None` when ZooKeeper's clock key is missing.
    fn now(&self, clock: &str) -> impl Future<Output = Result<Option<(u64, Identity)>>> + Send;

    /// Run `writes` as one batch: `Ok(false)` when a compare failed (nothing written).
    fn commit(&self, writes: Vec<Write>) -> impl Future<Output = Result<bool>> + Send;

    /// Create each key (empty) where it is absent, in order (ZooKeeper's parents).
    fn ensure(&self, keys: &[String]) -> impl Future<Output = Result<()>> + Send;

    /// The floor rose after [`Identity::RolledBack`]: stop reporting it.
    fn rollback_handled(&self) {}
}

/// Run `call` on `e` to its end: every need done on the engine, every
/// decision the core's.
async fn drive<E: KvEngine>(e: &E, call: Result<KvCall>) -> Result<Reading> {
    let mut call = call?;
    let mut need = call.start()?;
    loop {
        let answer = match need {
            Need::Finished(reading) => return Ok(reading),
            Need::Ensure(keys) => {
                e.ensure(&keys).await?;
                Answer::Done
            }
            Need::Now(clock) => Answer::Now(e.now(&clock).await?),
            Need::Get(key) => Answer::Got(e.get(&key).await?),
            Need::List(prefix) => Answer::Listed(e.list(&prefix).await?),
            Need::Commit(writes) => Answer::Committed(e.commit(writes).await?),
            Need::RollbackHandled => {
                e.rollback_handled();
                Answer::Done
            }
            Need::Pause(us) => {
                tokio::time::sleep(std::time::Duration::from_micros(us)).await;
                Answer::Done
            }
        };
        need = call.answer(answer)?;
    }
}

fn flavor<E: KvEngine>() -> Flavor {
    Flavor::of(E::ENGINE).expect("a kv engine is zookeeper or etcd")
}

/// [`Store::create_namespace`](crate::Store::create_namespace).
pub(crate) async fn create_namespace<E: KvEngine>(e: &E, init: &NamespaceInit<'_>) -> Result<NamespaceRecord> {
    let call = KvCall::create_namespace(flavor::<E>(), init.namespace, &init.record, init.nodes, init.config, init.fresh);
    match drive(e, call).await? {
        Reading::Namespace(record) => init.expect(record),
        _ => Err(not_protocol(&ns_subject(init.namespace))),
    }
}

/// [`Store::namespace`](crate::Store::namespace).
pub(crate) async fn namespace<E: KvEngine>(e: &E, namespace: &str) -> Result<Option<NamespaceRecord>> {
    match drive(e, KvCall::namespace(flavor::<E>(), namespace)).await? {
        Reading::Namespace(record) => Ok(Some(record)),
        Reading::Missing => Ok(None),
        _ => Err(not_protocol(&ns_subject(namespace))),
    }
}

/// [`Store::acquire_noting`](crate::Store::acquire_noting).
pub(crate) async fn acquire<E: KvEngine>(e: &E, namespace: &str, holder: &str, proposed_fence_ms: u64) -> Result<(Grant, bool)> {
    match drive(e, KvCall::acquire(flavor::<E>(), namespace, holder, proposed_fence_ms)).await? {
        Reading::Grant { grant, identity_changed } => Ok((grant, identity_changed)),
        _ => Err(not_protocol(&ns_subject(namespace))),
    }
}

/// [`Store::renew_noting`](crate::Store::renew_noting).
pub(crate) async fn renew<E: KvEngine>(
    e: &E,
    namespace: &str,
    node: u64,
    epoch: u64,
    start_ms: u64,
    holder: &str,
    proposed_fence_ms: u64,
) -> Result<Renewed> {
    let subject = crate::lease_call(namespace, holder, node, epoch)?;
    let call = KvCall::renew(flavor::<E>(), namespace, node, epoch, start_ms, holder, proposed_fence_ms);
    match drive(e, call).await? {
        Reading::Grant { grant, .. } => Ok(Some((grant, false))),
        Reading::Refused => Ok(None),
        _ => Err(not_protocol(&subject)),
    }
}

/// [`Store::release`](crate::Store::release).
pub(crate) async fn release<E: KvEngine>(
    e: &E,
    namespace: &str,
    node: u64,
    epoch: u64,
    start_ms: u64,
    holder: &str,
    high_water_ms: u64,
) -> Result<()> {
    let subject = crate::lease_call(namespace, holder, node, epoch)?;
    let call = KvCall::release(flavor::<E>(), namespace, node, epoch, start_ms, holder, high_water_ms);
    match drive(e, call).await? {
        Reading::Done => Ok(()),
        _ => Err(not_protocol(&subject)),
    }
}

/// [`Store::nodes`](crate::Store::nodes).
pub(crate) async fn nodes<E: KvEngine>(e: &E, namespace: &str) -> Result<Vec<NodeStatus>> {
    match drive(e, KvCall::nodes(flavor::<E>(), namespace)).await? {
        Reading::Nodes(nodes) => Ok(nodes),
        _ => Err(not_protocol(&ns_subject(namespace))),
    }
}

/// [`Store::create_counter`](crate::Store::create_counter): the counter at
/// `floor` if missing (an existing one is left as it is: never lowered).
pub(crate) async fn create_counter<E: KvEngine>(e: &E, biz_tag: &str, floor: u64, step: u64, guard: bool) -> Result<()> {
    match drive(e, KvCall::create_counter(flavor::<E>(), biz_tag, floor, step, guard)).await? {
        Reading::Done => Ok(()),
        _ => Err(not_protocol(&crate::tag_subject(biz_tag))),
    }
}

/// [`Store::fetch`](crate::Store::fetch): the core's compare-and-set loop
/// (jittered pauses, bounded tries) on the counter's version.
pub(crate) async fn fetch<E: KvEngine>(e: &E, biz_tag: &str, step: u64) -> Result<Range> {
    let (step, subject) = crate::fetch_call(biz_tag, step)?;
    let seed = (crate::unit() * (1u64 << 53) as f64) as u64;
    match drive(e, KvCall::fetch(flavor::<E>(), biz_tag, step, seed)).await? {
        Reading::Range { start, end } => Ok(Range::new(start, end)),
        _ => Err(not_protocol(&subject)),
    }
}

/// `impl Store` for an engine over this driver: every call is the driver's,
/// `init` the engine's own (`|store| future`).
macro_rules! kv_store {
    ($store:ty, $engine:expr, |$s:ident| $init:expr) => {
        impl $crate::Store for $store {
            fn engine(&self) -> &'static str {
                $engine
            }

            async fn init(&self) -> idloom::Result<()> {
                let $s = self;
                $init.await
            }

            async fn create_namespace(&self, init: &$crate::NamespaceInit<'_>) -> idloom::Result<$crate::NamespaceRecord> {
                $crate::kv::create_namespace(self, init).await
            }

            async fn namespace(&self, namespace: &str) -> idloom::Result<Option<$crate::NamespaceRecord>> {
                $crate::kv::namespace(self, namespace).await
            }

            async fn acquire_noting(&self, namespace: &str, holder: &str, proposed_fence_ms: u64) -> idloom::Result<($crate::Grant, bool)> {
                $crate::kv::acquire(self, namespace, holder, proposed_fence_ms).await
            }

            async fn renew_noting(
                &self,
                namespace: &str,
                node: u64,
                epoch: u64,
                start_ms: u64,
                holder: &str,
                proposed_fence_ms: u64,
            ) -> idloom::Result<$crate::Renewed> {
                $crate::kv::renew(self, namespace, node, epoch, start_ms, holder, proposed_fence_ms).await
            }

            async fn release(
                &self,
                namespace: &str,
                node: u64,
                epoch: u64,
                start_ms: u64,
                holder: &str,
                high_water_ms: u64,
            ) -> idloom::Result<()> {
                $crate::kv::release(self, namespace, node, epoch, start_ms, holder, high_water_ms).await
            }

            async fn nodes(&self, namespace: &str) -> idloom::Result<Vec<$crate::NodeStatus>> {
                $crate::kv::nodes(self, namespace).await
            }

            async fn create_counter(&self, biz_tag: &str, floor: u64, step: u64, guard: bool) -> idloom::Result<()> {
                $crate::kv::create_counter(self, biz_tag, floor, step, guard).await
            }

            async fn fetch(&self, biz_tag: &str, step: u64) -> idloom::Result<$crate::Range> {
                $crate::kv::fetch(self, biz_tag, step).await
            }
        }
    };
}
pub(crate) use kv_store;
