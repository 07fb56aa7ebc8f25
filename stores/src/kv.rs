//! The protocol on stores of keys changed by compare-and-set (ZooKeeper's
//! versioned `multi`, etcd's transactions on `mod_revision`), for every such
//! engine: each call reads the records with their versions, asks the core
//! ([`idloom::stores::kv`]) what to write, and writes it in one batch that
//! holds only if no version moved — else it reads again (another caller got
//! there first). An engine ([`KvEngine`]) only reads, writes batches and
//! tells the store's clock and identity.

use crate::{ns_subject, NamespaceInit, NodeStatus, Renewed};
use idloom::lease::{Grant, NodeRecord};
use idloom::segment::Range;
use idloom::stores::answer::{refuse, Refusal};
use idloom::stores::cas::{CasLoop, CasStep};
use idloom::stores::kv::{self, Keys, KvNamespace};
use idloom::stores::NamespaceRecord;
use idloom::{Error, ErrorCode, Result};
use std::future::Future;

/// A key's text and the version a compare-and-set compares on (ZooKeeper's
/// data version, etcd's `mod_revision`). An empty text is a placeholder
/// (ZooKeeper's namespace znode before `init` wrote it): no record yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Versioned {
    pub text: String,
    pub version: i64,
    /// When it was last written, on the store's clock (ZooKeeper's
    /// `mtime`), where the store tells.
    pub written_ms: Option<u64>,
}

/// One operation of a batch that holds only as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Write {
    /// Create `key` with `text`, only if it is still absent.
    Create { key: String, text: String },
    /// Set `key` to `text`, only if it is still at `version`.
    Set { key: String, text: String, version: i64 },
    /// Nothing written: `key` must still be at `version`.
    Check { key: String, version: i64 },
    /// Put `key` with `text` under a store-side lease of `ttl_ms` (etcd's
    /// liveness key), whatever it held; no compare. Only etcd takes it.
    #[cfg_attr(not(feature = "etcd"), allow(dead_code))]
    Live { key: String, text: String, ttl_ms: u64 },
    /// Delete `key` if it exists; no compare.
    #[cfg_attr(not(feature = "etcd"), allow(dead_code))]
    Delete { key: String },
}

/// The store's clock and identity as one call sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Identity {
    /// An identity the store names (etcd's cluster ID).
    #[cfg_attr(not(feature = "etcd"), allow(dead_code))]
    Named(String),
    /// A named identity, but this handle saw the store go back in time
    /// (etcd: a revision below one it had seen: a restore that kept the
    /// cluster ID). An acquire raises the floor first, as for a new
    /// identity, and keeps the name; a renewal or a release is refused.
    #[cfg_attr(not(feature = "etcd"), allow(dead_code))]
    RolledBack(String),
    /// A store whose only trace of a restore is time (ZooKeeper): the
    /// latest write among the records a call reads, before it writes
    /// ([`kv::gap_identity`]). Only a committed write refreshes it, so a
    /// call that is refused, or dies half-way, leaves the evidence as it was.
    #[cfg_attr(not(feature = "zookeeper"), allow(dead_code))]
    Silence,
}

/// What the generic calls need of an engine.
pub(crate) trait KvEngine: Clone + Send + Sync + 'static {
    /// The engine's name (`"zookeeper"`, `"etcd"`).
    const ENGINE: &'static str;

    /// A key's text and version, `None` when absent.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Versioned>>> + Send;

    /// Every node record of `keys`' namespace that exists, by node.
    fn node_records(&self, keys: &Keys) -> impl Future<Output = Result<Vec<(u64, Versioned)>>> + Send;

    /// The store's clock (ms) now and its identity, for a lease call on
    /// `keys`' namespace (ZooKeeper writes the clock key and reads its
    /// `mtime`; etcd has no clock of its own and answers the caller's).
    fn now(&self, keys: &Keys) -> impl Future<Output = Result<(u64, Identity)>> + Send;

    /// Run `writes` as one batch: `Ok(false)` when a compare failed (nothing written).
    fn commit(&self, writes: Vec<Write>) -> impl Future<Output = Result<bool>> + Send;

    /// The floor rose after [`Identity::RolledBack`]: stop reporting it.
    fn rollback_handled(&self) {}

    /// Create what must exist before a record is written (ZooKeeper's
    /// `/idloom`, and with `keys` the namespace's placeholder znodes;
    /// nothing on etcd).
    fn prepare(&self, keys: Option<&Keys>) -> impl Future<Output = Result<()>> + Send;

    /// How a node's record reads for an acquire: ZooKeeper as stored; etcd
    /// free or held by whether its holder's etcd lease still lives.
    fn live(
        &self,
        _keys: &Keys,
        records: Vec<(u64, NodeRecord)>,
        _now: u64,
    ) -> impl Future<Output = Result<Vec<(u64, NodeRecord)>>> + Send {
        async move { Ok(records) }
    }

    /// What else a lease call writes in its batch, for `node` after it: an
    /// acquire or a renewal (`Some(record)`) or a release (`None`), in a
    /// namespace of leases of `ttl_ms`. etcd attaches the holder's liveness
    /// key to an etcd lease here.
    fn extra(
        &self,
        _keys: &Keys,
        _node: u64,
        _after: Option<&NodeRecord>,
        _ttl_ms: u64,
    ) -> impl Future<Output = Result<Vec<Write>>> + Send {
        async { Ok(Vec::new()) }
    }
}

/// How many times a call reads again after losing a compare before it
/// reports `store_unavailable` (contention that never settles).
const TRIES: u32 = 64;

fn contended(what: &str) -> Error {
    Error::store(
        ErrorCode::StoreUnavailable,
        format!("{what}: a compare-and-set lost {TRIES} times in a row (other callers keep writing)"),
    )
}

/// The identity a call sees: the store's name for it, or — where only time
/// tells — a silence longer than a TTL since the latest of `written`.
fn the_identity(identity: Identity, ns: &KvNamespace, written: impl Iterator<Item = Option<u64>>, now: u64) -> String {
    match identity {
        Identity::Named(s) | Identity::RolledBack(s) => s,
        Identity::Silence => kv::gap_identity(ns, written.flatten().max(), now),
    }
}

/// The namespace's record and its version; `store_state_lost` when missing.
async fn namespace_read<E: KvEngine>(e: &E, keys: &Keys) -> Result<(KvNamespace, Versioned)> {
    match e.get(keys.namespace()).await? {
        Some(v) if !v.text.is_empty() => Ok((KvNamespace::decode(&v.text)?, v)),
        _ => Err(refuse(Refusal::NamespaceMissing, &ns_subject(keys.name()))),
    }
}

/// Every node's record (`None`: never written) with its version, in node order.
async fn records<E: KvEngine>(e: &E, keys: &Keys, nodes: u64) -> Result<Vec<(u64, Option<(NodeRecord, Versioned)>)>> {
    let mut found = e.node_records(keys).await?;
    found.sort_by_key(|(n, _)| *n);
    let mut out: Vec<(u64, Option<(NodeRecord, Versioned)>)> = (0..nodes).map(|n| (n, None)).collect();
    for (n, v) in found {
        if n < nodes {
            out[n as usize].1 = Some((kv::decode_node(&v.text)?, v));
        }
    }
    Ok(out)
}

fn node_write(keys: &Keys, node: u64, record: &NodeRecord, version: Option<i64>) -> Write {
    let (key, text) = (keys.node(node), kv::encode_node(record));
    match version {
        Some(version) => Write::Set { key, text, version },
        None => Write::Create { key, text },
    }
}

/// [`Store::create_namespace`](crate::Store::create_namespace).
pub(crate) async fn create_namespace<E: KvEngine>(e: &E, init: &NamespaceInit<'_>) -> Result<NamespaceRecord> {
    let keys = Keys::new(init.namespace)?;
    e.prepare(Some(&keys)).await?;
    for _ in 0..TRIES {
        let placeholder = match e.get(keys.namespace()).await? {
            Some(v) if !v.text.is_empty() => return init.expect(KvNamespace::decode(&v.text)?.record),
            Some(v) => Some(v.version),
            None => None,
        };
        let (now, identity) = e.now(&keys).await?;
        let mut ns = KvNamespace {
            record: NamespaceRecord {
                layout: init.record.clone(),
                nodes: init.nodes,
                ttl_ms: init.config.ttl_ms,
                max_skew_ms: init.config.max_skew_ms,
                floor_ms: if init.fresh { 0 } else { init.config.floor_after_loss(now) },
            },
            identity: String::new(),
        };
        ns.identity = the_identity(identity, &ns, std::iter::empty(), now);
        let (key, text) = (keys.namespace().to_string(), ns.encode());
        let write = match placeholder {
            Some(version) => Write::Set { key, text, version },
            None => Write::Create { key, text },
        };
        if e.commit(vec![write]).await? {
            return Ok(ns.record);
        }
    }
    Err(contended(init.namespace))
}

/// [`Store::namespace`](crate::Store::namespace).
pub(crate) async fn namespace<E: KvEngine>(e: &E, namespace: &str) -> Result<Option<NamespaceRecord>> {
    let keys = Keys::new(namespace)?;
    match e.get(keys.namespace()).await? {
        Some(v) if !v.text.is_empty() => Ok(Some(KvNamespace::decode(&v.text)?.record)),
        _ => Ok(None),
    }
}

/// [`Store::acquire_noting`](crate::Store::acquire_noting).
pub(crate) async fn acquire<E: KvEngine>(e: &E, namespace: &str, holder: &str, proposed_fence_ms: u64) -> Result<(Grant, bool)> {
    let keys = Keys::new(namespace)?;
    idloom::inputs::holder(holder)?;
    let mut raised = false;
    for _ in 0..TRIES {
        let (now, identity) = e.now(&keys).await?;
        let (ns, ns_read) = namespace_read(e, &keys).await?;
        let ns_version = ns_read.version;
        if matches!(identity, Identity::RolledBack(_)) {
            // The floor first, on its own; then the acquire as usual, above it.
            let write = Write::Set {
                key: keys.namespace().to_string(),
                text: ns.floor_raised(now).encode(),
                version: ns_version,
            };
            if e.commit(vec![write]).await? {
                e.rollback_handled();
                raised = true;
            }
            continue;
        }
        let read = records(e, &keys, ns.record.nodes).await?;
        let written = read.iter().map(|(_, r)| r.as_ref().and_then(|(_, v)| v.written_ms));
        let identity = the_identity(identity, &ns, written.chain([ns_read.written_ms]), now);
        let plain: Vec<(u64, NodeRecord)> = read
            .iter()
            .map(|(n, r)| (*n, r.as_ref().map(|(r, _)| r.clone()).unwrap_or_default()))
            .collect();
        let seen = e.live(&keys, plain, now).await?;
        let plan = kv::acquire(
            &ns,
            seen.iter().map(|(n, r)| (*n, Some(r))),
            holder,
            proposed_fence_ms,
            &identity,
            now,
        )?;
        let changed = plan.identity_changed();
        let mut writes = vec![match &plan.namespace {
            Some(next) => Write::Set {
                key: keys.namespace().to_string(),
                text: next.encode(),
                version: ns_version,
            },
            None => Write::Check {
                key: keys.namespace().to_string(),
                version: ns_version,
            },
        }];
        match plan.taken {
            Err(no_free_node) => {
                // The floor still rises when the store's identity changed (as the SQL and Lua texts do).
                if changed && !e.commit(writes).await? {
                    continue;
                }
                return Err(no_free_node);
            }
            Ok(taken) => {
                let version = read[taken.node as usize].1.as_ref().map(|(_, v)| v.version);
                writes.push(node_write(&keys, taken.node, &taken.record, version));
                writes.extend(e.extra(&keys, taken.node, Some(&taken.record), ns.record.ttl_ms).await?);
                if e.commit(writes).await? {
                    return Ok((taken.grant, changed || raised));
                }
            }
        }
    }
    Err(contended(namespace))
}

/// What a renewal or a release reads of its node: the namespace, the node's
/// record (`None`: never written) and the versions to compare on, the
/// store's clock and the identity the call sees.
struct LeaseRead {
    now: u64,
    identity: String,
    ns: KvNamespace,
    ns_version: i64,
    current: Option<NodeRecord>,
    version: Option<i64>,
}

/// [`LeaseRead`] of `node`; `None` when this handle saw the store go back in
/// time ([`Identity::RolledBack`]): a lease from before is over, and the
/// next acquire raises the floor.
async fn lease_read<E: KvEngine>(e: &E, keys: &Keys, node: u64) -> Result<Option<LeaseRead>> {
    let (now, identity) = e.now(keys).await?;
    let (ns, ns_read) = namespace_read(e, keys).await?;
    if matches!(identity, Identity::RolledBack(_)) {
        return Ok(None);
    }
    let (current, version, written) = match e.get(&keys.node(node)).await? {
        Some(v) => (Some(kv::decode_node(&v.text)?), Some(v.version), v.written_ms),
        None => (None, None, None),
    };
    let identity = the_identity(identity, &ns, [written, ns_read.written_ms].into_iter(), now);
    Ok(Some(LeaseRead {
        now,
        identity,
        ns,
        ns_version: ns_read.version,
        current,
        version,
    }))
}

/// A renewal's or a release's batch: the namespace unchanged since the
/// read (its floor), the node's next record, and what the engine adds.
async fn lease_writes<E: KvEngine>(
    e: &E,
    keys: &Keys,
    node: u64,
    read: &LeaseRead,
    next: &NodeRecord,
    renewed: bool,
) -> Result<Vec<Write>> {
    let mut writes = vec![
        Write::Check {
            key: keys.namespace().to_string(),
            version: read.ns_version,
        },
        node_write(keys, node, next, read.version),
    ];
    writes.extend(e.extra(keys, node, renewed.then_some(next), read.ns.record.ttl_ms).await?);
    Ok(writes)
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
    crate::lease_call(namespace, holder, node, epoch)?;
    let keys = Keys::new(namespace)?;
    for _ in 0..TRIES {
        let Some(read) = lease_read(e, &keys, node).await? else {
            return Ok(None);
        };
        let renewed = kv::renew(
            &read.ns,
            node,
            read.current.as_ref(),
            epoch,
            start_ms,
            holder,
            proposed_fence_ms,
            &read.identity,
            read.now,
        );
        let (record, grant) = match renewed {
            Ok(next) => next,
            Err(e) if e.code() == ErrorCode::LeaseLost => return Ok(None),
            Err(e) => return Err(e),
        };
        if e.commit(lease_writes(e, &keys, node, &read, &record, true).await?).await? {
            return Ok(Some((grant, false)));
        }
    }
    Err(contended(namespace))
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
    crate::lease_call(namespace, holder, node, epoch)?;
    let keys = Keys::new(namespace)?;
    for _ in 0..TRIES {
        // A release under another identity (a silence since a restore, or
        // the store gone back in time) is over too: its write would erase
        // the trace the next acquire needs.
        let read = lease_read(e, &keys, node).await?.ok_or_else(kv::rolled_back)?;
        idloom::lease::same_identity(&read.ns.identity, &read.identity)?;
        let record = kv::release(&read.ns, read.current.as_ref(), epoch, start_ms, holder, high_water_ms)?;
        if e.commit(lease_writes(e, &keys, node, &read, &record, false).await?).await? {
            return Ok(());
        }
    }
    Err(contended(namespace))
}

/// [`Store::nodes`](crate::Store::nodes).
pub(crate) async fn nodes<E: KvEngine>(e: &E, namespace: &str) -> Result<Vec<NodeStatus>> {
    let keys = Keys::new(namespace)?;
    let (ns, _) = namespace_read(e, &keys).await?;
    Ok(records(e, &keys, ns.record.nodes)
        .await?
        .into_iter()
        .map(|(node, r)| {
            let r = r.map(|(r, _)| r).unwrap_or_default();
            NodeStatus {
                node,
                holder: r.holder,
                epoch: r.epoch,
                expires_ms: r.expires_ms,
                start_ms: r.start_ms,
                fence_ms: r.fence_ms,
            }
        })
        .collect())
}

/// [`Store::create_counter`](crate::Store::create_counter): the counter at
/// `floor` if missing (an existing one is left as it is: never lowered).
pub(crate) async fn create_counter<E: KvEngine>(e: &E, biz_tag: &str, floor: u64, step: u64, guard: bool) -> Result<()> {
    let key = kv::counter_key(biz_tag)?;
    idloom::stores::args::check("floor", floor.into())?;
    idloom::stores::args::check("step", step.into())?;
    if guard {
        idloom::stores::check_guard(E::ENGINE)?;
    }
    e.prepare(None).await?;
    for _ in 0..TRIES {
        if e.get(&key).await?.is_some() {
            return Ok(());
        }
        let create = Write::Create {
            key: key.clone(),
            text: kv::encode_counter(floor),
        };
        if e.commit(vec![create]).await? {
            return Ok(());
        }
    }
    Err(contended(biz_tag))
}

/// [`Store::fetch`](crate::Store::fetch): the core's compare-and-set loop
/// (jittered pauses, bounded tries) on the counter's version.
pub(crate) async fn fetch<E: KvEngine>(e: &E, biz_tag: &str, step: u64) -> Result<Range> {
    let (step, subject) = crate::fetch_call(biz_tag, step)?;
    let key = kv::counter_key(biz_tag)?;
    let mut cas = CasLoop::new(step)?;
    loop {
        let current = e.get(&key).await?;
        let version = current.as_ref().map(|v| v.version);
        let value = current.map(|v| kv::decode_counter(&v.text)).transpose()?;
        let CasStep::Swap { new, .. } = cas.read(value, &subject)? else {
            return Err(crate::not_protocol(&subject));
        };
        let set = Write::Set {
            key: key.clone(),
            text: kv::encode_counter(new),
            version: version.unwrap_or_default(),
        };
        let won = e.commit(vec![set]).await?;
        match cas.swapped(won, crate::unit(), &subject)? {
            CasStep::Done { start, end } => return Ok(Range::new(start, end)),
            CasStep::Pause { us } => tokio::time::sleep(std::time::Duration::from_micros(us)).await,
            CasStep::Swap { .. } => return Err(crate::not_protocol(&subject)),
        }
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
