//! The lease protocol on stores of keys changed by compare-and-set
//! (ZooKeeper's versioned `setData`/`multi`, etcd's transactions on
//! `mod_revision`): the records a namespace keeps there, their keys, and each
//! call as the record it reads and the record it writes. The transitions
//! are [`NodeRecord`]'s — the same code as [`MemoryStore`](crate::lease::MemoryStore),
//! the reference the SQL and Lua texts implement — so the engines cannot
//! drift from it; the binding reads the records with their versions, asks
//! here what to write, and writes it only if no version moved (else it
//! reads again: another holder got there first).
//!
//! Records are text, one `key=value` per line after a header naming the
//! schema version, so that an operator reading a znode or a key sees what
//! it holds (`zkCli.sh get`, `etcdctl get`):
//!
//! ```text
//! idloom-namespace 1        idloom-node 1
//! layout=41/10/12 …          holder=web-1
//! nodes=1024                 epoch=7
//! ttl_ms=10000               expires_ms=1765000012000
//! max_skew_ms=1000           start_ms=1765000001000
//! floor_ms=0                 fence_ms=1765000013000
//! identity=…
//! ```
//!
//! A record that does not parse, or has another header, is `store_schema`
//! (never read as empty).

use super::answer::NamespaceRecord;
use crate::error::{Error, ErrorCode, Result};
use crate::lease::{Grant, LeaseConfig, NodeRecord};
use alloc::format;
use alloc::string::{String, ToString};

/// The first line of a namespace record.
pub const NAMESPACE_HEADER: &str = "idloom-namespace 1";
/// The first line of a node record.
pub const NODE_HEADER: &str = "idloom-node 1";

/// A namespace as a key-value store keeps it: its record and the store
/// identity it last saw (ZooKeeper's ensemble epoch, etcd's cluster).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvNamespace {
    /// What `init` wrote and the floor.
    pub record: NamespaceRecord,
    /// The store identity the floor was last raised for.
    pub identity: String,
}

/// The keys of a namespace: `/idloom/NS` (the namespace record, and the
/// parent of the others), `/idloom/NS/clock` (written to read the store's
/// clock where the store has one: a znode's `mtime`), `/idloom/NS/nodes/N`
/// (one record per node, `N` zero-padded to 10 digits so that keys sort by
/// node). ZooKeeper paths and etcd keys alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    root: String,
}

impl Keys {
    /// The keys of `namespace` (checked: [`crate::inputs::namespace`]).
    pub fn new(namespace: &str) -> Result<Self> {
        crate::inputs::namespace(namespace)?;
        Ok(Keys {
            root: format!("/idloom/{namespace}"),
        })
    }
    /// The namespace record.
    pub fn namespace(&self) -> &str {
        &self.root
    }
    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.root["/idloom/".len()..]
    }
    /// The clock key.
    pub fn clock(&self) -> String {
        format!("{}/clock", self.root)
    }
    /// The parent of the node records.
    pub fn nodes(&self) -> String {
        format!("{}/nodes", self.root)
    }
    /// Node `node`'s record.
    pub fn node(&self, node: u64) -> String {
        format!("{}/nodes/{node:010}", self.root)
    }
    /// The node a key of [`nodes`](Self::nodes) names (a child's name or a
    /// full key), `None` for anything else.
    pub fn node_of(&self, key: &str) -> Option<u64> {
        let name = key.strip_prefix(&self.nodes()).map_or(key, |k| k.strip_prefix('/').unwrap_or(k));
        (name.len() == 10 && name.bytes().all(|b| b.is_ascii_digit()))
            .then(|| name.parse().ok())
            .flatten()
    }
}

fn schema(what: &'static str) -> Error {
    Error::reason(ErrorCode::StoreSchema, "record", what)
}

/// The `key=value` lines after `header`, each key in `keys` order.
fn fields<'a, const N: usize>(text: &'a str, header: &str, keys: [&str; N], what: &'static str) -> Result<[&'a str; N]> {
    let mut lines = text.lines();
    if lines.next() != Some(header) {
        return Err(schema(what));
    }
    let mut out = [""; N];
    for (slot, key) in out.iter_mut().zip(keys) {
        *slot = lines
            .next()
            .and_then(|l| l.strip_prefix(key))
            .and_then(|l| l.strip_prefix('='))
            .ok_or(schema(what))?;
    }
    if lines.next().is_some() {
        return Err(schema(what));
    }
    Ok(out)
}

fn number(value: &str, what: &'static str) -> Result<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(schema(what));
    }
    value.parse().map_err(|_| schema(what))
}

const BAD_NAMESPACE: &str = "not an idloom namespace record of schema version 1";
const BAD_NODE: &str = "not an idloom node record of schema version 1";

impl KvNamespace {
    /// The record's text.
    pub fn encode(&self) -> String {
        let r = &self.record;
        format!(
            "{NAMESPACE_HEADER}\nlayout={}\nnodes={}\nttl_ms={}\nmax_skew_ms={}\nfloor_ms={}\nidentity={}\n",
            r.layout, r.nodes, r.ttl_ms, r.max_skew_ms, r.floor_ms, self.identity
        )
    }

    /// A record's text read back (`store_schema` if it is not one, or its
    /// numbers are out of the protocol's bounds).
    pub fn decode(text: &str) -> Result<Self> {
        let [layout, nodes, ttl, skew, floor, identity] = fields(
            text,
            NAMESPACE_HEADER,
            ["layout", "nodes", "ttl_ms", "max_skew_ms", "floor_ms", "identity"],
            BAD_NAMESPACE,
        )?;
        let ns = KvNamespace {
            record: NamespaceRecord {
                layout: layout.to_string(),
                nodes: number(nodes, BAD_NAMESPACE)?,
                ttl_ms: number(ttl, BAD_NAMESPACE)?,
                max_skew_ms: number(skew, BAD_NAMESPACE)?,
                floor_ms: number(floor, BAD_NAMESPACE)?,
            },
            identity: identity.to_string(),
        };
        ns.config().validate().map_err(|_| schema(BAD_NAMESPACE))?;
        if ns.record.nodes == 0 {
            return Err(schema(BAD_NAMESPACE));
        }
        Ok(ns)
    }

    /// The lease configuration the namespace records.
    pub const fn config(&self) -> LeaseConfig {
        LeaseConfig {
            ttl_ms: self.record.ttl_ms,
            max_skew_ms: self.record.max_skew_ms,
        }
    }

    /// The namespace as a call under `identity` at `store_now_ms` sees it
    /// first: another identity than the one recorded (a restart without
    /// state, a restore, a failover) raises the floor above every fence a
    /// holder from before could still use. `Some` (the record to write,
    /// compared on the version read) when it changed.
    pub fn observed(&self, identity: &str, store_now_ms: u64) -> Option<KvNamespace> {
        (identity != self.identity).then(|| {
            let mut next = self.clone();
            next.identity = identity.to_string();
            next.record.floor_ms = next.record.floor_ms.max(self.config().floor_after_loss(store_now_ms));
            next
        })
    }

    /// The namespace after a call saw the store go back in time without a
    /// new identity (etcd: a revision below one the caller had already seen,
    /// a restore that kept the cluster ID): the floor rises above every
    /// fence a holder from before could still use, the identity stays.
    pub fn floor_raised(&self, store_now_ms: u64) -> KvNamespace {
        let mut next = self.clone();
        next.record.floor_ms = next.record.floor_ms.max(self.config().floor_after_loss(store_now_ms));
        next
    }
}

/// A renewal's or a release's answer once the caller saw the store go back
/// in time ([`KvNamespace::floor_raised`]): `lease_lost`.
pub fn rolled_back() -> Error {
    Error::reason(
        ErrorCode::LeaseLost,
        "lease",
        "the store went back in time (a restore that kept its identity): every lease from before is over",
    )
}

/// A node record's text.
pub fn encode_node(r: &NodeRecord) -> String {
    format!(
        "{NODE_HEADER}\nholder={}\nepoch={}\nexpires_ms={}\nstart_ms={}\nfence_ms={}\n",
        r.holder, r.epoch, r.expires_ms, r.start_ms, r.fence_ms
    )
}

/// A node record's text read back (`store_schema` if it is not one).
pub fn decode_node(text: &str) -> Result<NodeRecord> {
    let [holder, epoch, expires, start, fence] = fields(
        text,
        NODE_HEADER,
        ["holder", "epoch", "expires_ms", "start_ms", "fence_ms"],
        BAD_NODE,
    )?;
    let r = NodeRecord {
        holder: holder.to_string(),
        epoch: number(epoch, BAD_NODE)?,
        expires_ms: number(expires, BAD_NODE)?,
        start_ms: number(start, BAD_NODE)?,
        fence_ms: number(fence, BAD_NODE)?,
    };
    if r.start_ms > r.fence_ms || (r.epoch == 0) != r.holder.is_empty() {
        return Err(schema(BAD_NODE));
    }
    Ok(r)
}

/// What an acquire writes, in one `multi` / transaction: the namespace's
/// record when the store's identity changed (the floor rose; compared on
/// the version read), and — when a node is free — its new record (compared
/// on the version read; a node never written: created only if still
/// absent). The namespace is written even when no node is free, as the SQL
/// and Lua texts raise the floor in the same statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquirePlan {
    /// The namespace record to write, when the floor rose.
    pub namespace: Option<KvNamespace>,
    /// The node taken, or why none (`no_free_node`).
    pub taken: Result<Taken>,
}

/// A node an acquire takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// The node.
    pub node: u64,
    /// Its record to write.
    pub record: NodeRecord,
    /// What the holder gets once the write succeeded.
    pub grant: Grant,
}

impl AcquirePlan {
    /// Whether the store's identity changed since the namespace last saw it
    /// (the event `store_identity_changed`).
    pub const fn identity_changed(&self) -> bool {
        self.namespace.is_some()
    }
}

/// An acquire by `holder` at `store_now_ms` under `identity`, over every
/// node's record in node order (`None`: never written). The holder's
/// previous node first, else the first free one ([`crate::lease::pick`]).
/// `Err` only for a bad `holder` ([`crate::inputs::holder`]); no free node is
/// the plan's `taken`.
pub fn acquire<'a>(
    ns: &KvNamespace,
    records: impl Iterator<Item = (u64, Option<&'a NodeRecord>)> + Clone,
    holder: &str,
    proposed_fence_ms: u64,
    identity: &str,
    store_now_ms: u64,
) -> Result<AcquirePlan> {
    crate::inputs::holder(holder)?;
    let never = NodeRecord::new();
    let namespace = ns.observed(identity, store_now_ms);
    let seen = namespace.as_ref().unwrap_or(ns);
    let nodes = seen.record.nodes;
    let all = records.filter(move |(n, _)| *n < nodes).map(|(n, r)| (n, r.unwrap_or(&never)));
    let taken = crate::lease::pick(all.clone(), holder, store_now_ms).map(|node| {
        let current = all.clone().find(|(n, _)| *n == node).map_or(&never, |(_, r)| r);
        let record = current.acquired(&seen.config(), seen.record.floor_ms, holder, proposed_fence_ms, store_now_ms);
        let grant = record.grant(node, store_now_ms);
        Taken { node, record, grant }
    });
    Ok(AcquirePlan { namespace, taken })
}

/// A renewal: the node's next record (write it compared on the version
/// read) and the grant. Under another identity than the namespace
/// recorded, `lease_lost` and nothing is written: the next acquire raises
/// the floor. `lease_lost` too when the record is not this lease
/// ([`NodeRecord::check_held`]) or is missing.
#[allow(clippy::too_many_arguments)]
pub fn renew(
    ns: &KvNamespace,
    node: u64,
    current: Option<&NodeRecord>,
    epoch: u64,
    start_ms: u64,
    holder: &str,
    proposed_fence_ms: u64,
    identity: &str,
    store_now_ms: u64,
) -> Result<(NodeRecord, Grant)> {
    crate::lease::same_identity(&ns.identity, identity)?;
    let r = current.unwrap_or(&NodeRecord::new()).renewed(
        &ns.config(),
        ns.record.floor_ms,
        epoch,
        start_ms,
        holder,
        proposed_fence_ms,
        store_now_ms,
    )?;
    let grant = r.grant(node, store_now_ms);
    Ok((r, grant))
}

/// A clean release: the node's next record (free at once, the fence down
/// to the high-water within the lease's interval), written compared on the
/// version read; `lease_lost` when the record is not this lease.
pub fn release(
    ns: &KvNamespace,
    current: Option<&NodeRecord>,
    epoch: u64,
    start_ms: u64,
    holder: &str,
    high_water_ms: u64,
) -> Result<NodeRecord> {
    current
        .unwrap_or(&NodeRecord::new())
        .released(ns.record.floor_ms, epoch, start_ms, holder, high_water_ms)
}

/// The first line of a segment counter's record.
pub const COUNTER_HEADER: &str = "idloom-counter 1";

/// A segment counter's key: `/idloom/counters:TAG` (`TAG` checked by
/// [`crate::inputs::biz_tag`]; a namespace cannot hold `:`, so no counter
/// key is a namespace's).
pub fn counter_key(biz_tag: &str) -> Result<String> {
    crate::inputs::biz_tag(biz_tag)?;
    Ok(format!("/idloom/counters:{biz_tag}"))
}

/// A counter's record: the highest ID handed out (Leaf's `max_id`).
pub fn encode_counter(max_id: u64) -> String {
    format!("{COUNTER_HEADER}\nmax_id={max_id}\n")
}

/// A counter's record read back (`store_schema` if it is not one, or its
/// value does not fit a signed 64-bit column as Leaf's does).
pub fn decode_counter(text: &str) -> Result<u64> {
    const BAD: &str = "not an idloom counter record of schema version 1";
    let [max_id] = fields(text, COUNTER_HEADER, ["max_id"], BAD)?;
    let n = number(max_id, BAD)?;
    if n > i64::MAX as u64 {
        return Err(schema(BAD));
    }
    Ok(n)
}

/// The store identity a call sees on a store whose only trace of a restore
/// is time (ZooKeeper: a restore brings back the znodes, their versions and
/// zxids, and the epoch; only the wall clock moves on). While any holder
/// lives, some record of the namespace was written less than a TTL ago
/// (renewals come every third of it). When the latest write among the
/// records a call read (`previous_write_ms`, the store's clock; `None`:
/// none) is more than one TTL before `store_now_ms`, nothing that holds a
/// lease wrote since — the namespace sat idle, or the store came back from
/// a backup older than a TTL — and the call sees a new identity
/// (`"gap/<store now>"`): an acquire raises the floor above every fence a
/// holder from before could still use, a renewal is refused. Otherwise the
/// identity the namespace recorded.
pub fn gap_identity(ns: &KvNamespace, previous_write_ms: Option<u64>, store_now_ms: u64) -> String {
    match previous_write_ms {
        Some(prev) if store_now_ms.saturating_sub(prev) <= ns.record.ttl_ms => ns.identity.clone(),
        _ => format!("gap/{store_now_ms}"),
    }
}
