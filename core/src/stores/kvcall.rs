//! Every call of the lease protocol on a store of keys changed by
//! compare-and-set (ZooKeeper, etcd) as a state machine without I/O: the
//! binding asks [`KvCall`] what it needs ([`Need`]: read a key, list a
//! prefix, read the store's clock, commit a batch, pause), does it on its
//! own client and answers ([`Answer`]) until the call is [`Need::Finished`]
//! with the [`Reading`] every binding already hands on. The order of the
//! reads and writes, the retries on a lost compare, the identity a call
//! sees and the etcd liveness keys are decided here once, so that the
//! Rust, Python and Node engines cannot drift; the records' transitions are
//! [`super::kv`]'s.

use super::answer::{refuse, NamespaceRecord, NodeStatus, Reading, Refusal, Subject};
use super::cas::{CasLoop, CasStep};
use super::kv::{self, Keys, KvNamespace};
use crate::error::{Error, ErrorCode, Result};
use crate::lease::{LeaseConfig, NodeRecord};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

/// The two kinds of compare-and-set store, by what they differ in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// ZooKeeper: parents must exist before a child is created
    /// ([`Need::Ensure`]), the store's clock is a znode's `mtime`, a node
    /// is free when its record's expiry has passed on that clock.
    ZooKeeper,
    /// etcd: no parents, no clock of its own (the caller's), a node is held
    /// while its holder's liveness key (`/idloom/NS/live/N`, attached to an
    /// etcd lease of the namespace's TTL) exists.
    Etcd,
}

impl Flavor {
    /// The flavor of `engine` (`"zookeeper"`, `"etcd"`).
    pub fn of(engine: &str) -> Result<Flavor> {
        match engine {
            "zookeeper" => Ok(Flavor::ZooKeeper),
            "etcd" => Ok(Flavor::Etcd),
            _ => Err(Error::reason(
                ErrorCode::InvalidArgument,
                "engine",
                "must be \"zookeeper\" or \"etcd\"",
            )),
        }
    }

    /// The engine's name.
    pub const fn engine(self) -> &'static str {
        match self {
            Flavor::ZooKeeper => "zookeeper",
            Flavor::Etcd => "etcd",
        }
    }
}

/// A key's text and the version a compare-and-set compares on (ZooKeeper's
/// data version, etcd's `mod_revision`). An empty text is a placeholder
/// (ZooKeeper's namespace znode before `init` wrote it): no record yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    /// The key's text.
    pub text: String,
    /// Its version.
    pub version: i64,
    /// When it was last written, on the store's clock (ZooKeeper's
    /// `mtime`), where the store tells.
    pub written_ms: Option<u64>,
}

/// One operation of a batch that holds only as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Create `key` with `text`, only if it is still absent.
    Create {
        /// The key.
        key: String,
        /// Its text.
        text: String,
    },
    /// Set `key` to `text`, only if it is still at `version`.
    Set {
        /// The key.
        key: String,
        /// Its text.
        text: String,
        /// The version it must still have.
        version: i64,
    },
    /// Nothing written: `key` must still be at `version`.
    Check {
        /// The key.
        key: String,
        /// The version it must still have.
        version: i64,
    },
    /// Put `key` with `text` under a new store-side lease of `ttl_s`
    /// seconds (etcd's liveness key), whatever it held; no compare. The
    /// engine revokes the lease the key held before once the batch holds,
    /// and the new one if it does not.
    Live {
        /// The key.
        key: String,
        /// Its text.
        text: String,
        /// The etcd lease's TTL in seconds ([`lease_ttl_s`]).
        ttl_s: i64,
    },
    /// Delete `key` if it exists; no compare (the engine revokes the
    /// etcd lease it held).
    Delete {
        /// The key.
        key: String,
    },
}

/// The store's identity as the engine sees it at a call's clock read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// An identity the store names (etcd's cluster: [`etcd_identity`]).
    Named(String),
    /// A named identity, but this handle saw the store go back in time
    /// ([`Revisions`]: a restore that kept the cluster ID). An acquire
    /// raises the floor first, on its own, and answers
    /// [`Answer::Done`] to [`Need::RollbackHandled`]; a renewal or a
    /// release is refused.
    RolledBack(String),
    /// A store whose only trace of a restore is time (ZooKeeper): a silence
    /// longer than a TTL since the latest write among the records a call
    /// reads ([`kv::gap_identity`]).
    Silence,
}

/// What the engine does next for a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Need {
    /// Create each key (empty) where it is absent, in order (ZooKeeper's
    /// parents); answer [`Answer::Done`].
    Ensure(Vec<String>),
    /// The store's clock (ms) and identity: ZooKeeper writes the
    /// namespace's clock key (`setData`, no version) and answers its
    /// `mtime` with [`Identity::Silence`] — or `None` when the clock key is
    /// missing; etcd answers the caller's clock and the identity its
    /// [`Revisions`] give. [`Answer::Now`]. The key is the namespace's
    /// clock key (ZooKeeper's to write; etcd reads the header of any get).
    Now(String),
    /// A key's text and version: [`Answer::Got`].
    Get(String),
    /// Every key below `prefix` (ZooKeeper: the children of the znode
    /// `prefix` without its trailing `/`; a missing parent is none), each
    /// as its full key: [`Answer::Listed`].
    List(String),
    /// Run the batch: [`Answer::Committed`] (`false` when a compare failed
    /// and nothing was written).
    Commit(Vec<Write>),
    /// The floor rose after [`Identity::RolledBack`]: the engine stops
    /// reporting it ([`Revisions::handled`]); answer [`Answer::Done`].
    RollbackHandled,
    /// Sleep this many microseconds, then answer [`Answer::Done`].
    Pause(u64),
    /// The call's outcome (and nothing more to do): `namespace` for an
    /// init or a lookup (`missing` for a lookup that found none), `grant` or
    /// `refused` (a renewal: the lease is lost), `nodes`, `range`, `done`.
    Finished(Reading),
}

/// What the engine answers to a [`Need`].
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// To [`Need::Ensure`], [`Need::RollbackHandled`], [`Need::Pause`].
    Done,
    /// To [`Need::Now`]: the clock and identity, `None` when ZooKeeper's
    /// clock key is missing (the call ensures the parents and asks again).
    Now(Option<(u64, Identity)>),
    /// To [`Need::Get`].
    Got(Option<Versioned>),
    /// To [`Need::List`]: full keys and their records.
    Listed(Vec<(String, Versioned)>),
    /// To [`Need::Commit`].
    Committed(bool),
}

/// How many times a call reads again after losing a compare before it
/// reports `store_unavailable` (contention that never settles).
pub const TRIES: u32 = 64;

/// The etcd lease TTL (whole seconds, at least 1) for a namespace's TTL.
pub fn lease_ttl_s(ttl_ms: u64) -> i64 {
    i64::try_from(ttl_ms.div_ceil(1_000).max(1)).unwrap_or(i64::MAX)
}

/// A node's liveness key on etcd: `/idloom/NS/live/N`.
pub fn live_key(keys: &Keys, node: u64) -> String {
    format!("{}/live/{node:010}", keys.namespace())
}

/// The prefix of a namespace's liveness keys.
pub fn live_prefix(keys: &Keys) -> String {
    format!("{}/live/", keys.namespace())
}

/// etcd's store identity: its cluster ID.
pub fn etcd_identity(cluster_id: u64) -> String {
    format!("etcd/{cluster_id:016x}")
}

/// A handle's watch on etcd's revision: a response header whose revision
/// is below one this handle already saw means the store went back in time
/// (a snapshot restore that kept the cluster ID), so every lease from
/// before is over and the next acquire raises the floor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revisions {
    highest: i64,
    rolled_back: bool,
}

impl Revisions {
    /// A new watch (nothing seen).
    pub const fn new() -> Self {
        Revisions {
            highest: 0,
            rolled_back: false,
        }
    }

    /// The highest revision seen so far: read it before sending a request,
    /// and hand it to [`observe`](Self::observe) with the response's (calls
    /// in flight at once answer in any order; only a revision below one seen
    /// before the request was sent is the store going back).
    pub const fn seen(&self) -> i64 {
        self.highest
    }

    /// A response's header revision (`seen_before`: [`seen`](Self::seen)
    /// when its request was sent); whether the store has gone back in time
    /// since this handle last raised the floor.
    pub fn observe(&mut self, seen_before: i64, revision: i64) -> bool {
        if revision < seen_before {
            self.rolled_back = true;
            self.highest = revision;
        } else {
            self.highest = self.highest.max(revision);
        }
        self.rolled_back
    }

    /// The floor rose: stop reporting the rollback.
    pub fn handled(&mut self) {
        self.rolled_back = false;
    }

    /// The identity a call sees ([`observe`](Self::observe)): `Named`, or
    /// `RolledBack` while a rollback is unhandled.
    pub fn identity(&mut self, cluster_id: u64, seen_before: i64, revision: i64) -> Identity {
        let name = etcd_identity(cluster_id);
        if self.observe(seen_before, revision) {
            Identity::RolledBack(name)
        } else {
            Identity::Named(name)
        }
    }
}

fn contended(what: &str) -> Error {
    Error::store(
        ErrorCode::StoreUnavailable,
        format!("{what}: a compare-and-set lost {TRIES} times in a row (other callers keep writing)"),
    )
}

fn unexpected(flavor: Flavor, need: &str) -> Error {
    Error::store(
        ErrorCode::InvalidArgument,
        format!("{}: the answer does not fit the call's need ({need})", flavor.engine()),
    )
}

/// The identity a call sees: the store's name for it, or — where only time
/// tells — a silence longer than a TTL since the latest of `written`.
fn the_identity(identity: &Identity, ns: &KvNamespace, written: impl Iterator<Item = Option<u64>>, now: u64) -> String {
    match identity {
        Identity::Named(s) | Identity::RolledBack(s) => s.clone(),
        Identity::Silence => kv::gap_identity(ns, written.flatten().max(), now),
    }
}

fn node_write(keys: &Keys, node: u64, record: &NodeRecord, version: Option<i64>) -> Write {
    let (key, text) = (keys.node(node), kv::encode_node(record));
    match version {
        Some(version) => Write::Set { key, text, version },
        None => Write::Create { key, text },
    }
}

/// What a call is, with its checked arguments.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    CreateNamespace {
        record: NamespaceRecord,
        fresh: bool,
    },
    Namespace,
    Acquire {
        holder: String,
        proposed_fence_ms: u64,
    },
    Renew {
        node: u64,
        epoch: u64,
        start_ms: u64,
        holder: String,
        proposed_fence_ms: u64,
    },
    Release {
        node: u64,
        epoch: u64,
        start_ms: u64,
        holder: String,
        high_water_ms: u64,
    },
    Nodes,
    CreateCounter {
        key: String,
        floor: u64,
    },
    Fetch {
        key: String,
        cas: CasLoop,
        seed: u64,
    },
}

/// Where a call is: the need it is waiting on, and what it read so far.
#[derive(Debug, Clone, PartialEq)]
enum At {
    Start,
    Ensured,
    /// Waiting on the clock; `placeholder`: what a namespace init found
    /// where it will write (`Some(version)`: ZooKeeper's empty znode).
    Now {
        placeholder: Option<i64>,
    },
    /// Waiting on the namespace record.
    Namespace {
        now: Option<(u64, Identity)>,
    },
    /// Waiting on the node records (acquire, nodes).
    Records {
        now: (u64, Identity),
        ns: KvNamespace,
        ns_read: Versioned,
    },
    /// Waiting on etcd's liveness keys (acquire).
    Live {
        now: (u64, Identity),
        ns: KvNamespace,
        ns_read: Versioned,
        records: Vec<(u64, Option<(NodeRecord, Versioned)>)>,
    },
    /// Waiting on one node's record (renew, release).
    Node {
        now: (u64, Identity),
        ns: KvNamespace,
        ns_read: Versioned,
    },
    /// Waiting on a commit; `finish` is the outcome when it holds.
    Commit {
        finish: Result<Reading>,
    },
    /// Waiting on a floor raised after a rollback (acquire).
    RaiseFloor,
    /// Waiting on [`Need::RollbackHandled`].
    Handled,
    /// Waiting on a counter read (create, fetch).
    Counter,
    /// Waiting on a fetch's swap.
    Swap,
    /// Waiting on a pause.
    Paused,
    Finished,
}

/// One call of the protocol on a compare-and-set store. Drive it with
/// [`start`](Self::start), then [`answer`](Self::answer) each [`Need`]
/// until [`Need::Finished`]; an `Err` ends the call.
#[derive(Debug, Clone, PartialEq)]
pub struct KvCall {
    flavor: Flavor,
    keys: Option<Keys>,
    op: Op,
    at: At,
    tries: u32,
    clock_misses: u32,
    raised: bool,
}

impl KvCall {
    fn new(flavor: Flavor, namespace: Option<&str>, op: Op) -> Result<Self> {
        Ok(KvCall {
            flavor,
            keys: namespace.map(Keys::new).transpose()?,
            op,
            at: At::Start,
            tries: 0,
            clock_misses: 0,
            raised: false,
        })
    }

    /// Create `namespace` if missing (its record then: `record`'s layout,
    /// nodes, TTL and skew; floor 0 when `fresh`, else above every old
    /// fence); finishes with the record the store holds (the caller checks
    /// it is the one asked for).
    pub fn create_namespace(flavor: Flavor, namespace: &str, layout: &str, nodes: u64, config: LeaseConfig, fresh: bool) -> Result<Self> {
        config.validate()?;
        let record = NamespaceRecord {
            layout: layout.to_string(),
            nodes,
            ttl_ms: config.ttl_ms,
            max_skew_ms: config.max_skew_ms,
            floor_ms: 0, // when fresh; else set from the store's clock
        };
        Self::new(flavor, Some(namespace), Op::CreateNamespace { record, fresh })
    }

    /// A namespace's record: finishes `namespace` or `missing`.
    pub fn namespace(flavor: Flavor, namespace: &str) -> Result<Self> {
        Self::new(flavor, Some(namespace), Op::Namespace)
    }

    /// An acquire by `holder`: finishes `grant` (`identity_changed` when
    /// the floor rose) or fails `no_free_node`.
    pub fn acquire(flavor: Flavor, namespace: &str, holder: &str, proposed_fence_ms: u64) -> Result<Self> {
        crate::inputs::holder(holder)?;
        let op = Op::Acquire {
            holder: holder.to_string(),
            proposed_fence_ms,
        };
        Self::new(flavor, Some(namespace), op)
    }

    /// A renewal: finishes `grant`, or `refused` (the lease is lost).
    pub fn renew(
        flavor: Flavor,
        namespace: &str,
        node: u64,
        epoch: u64,
        start_ms: u64,
        holder: &str,
        proposed_fence_ms: u64,
    ) -> Result<Self> {
        crate::inputs::holder(holder)?;
        let op = Op::Renew {
            node,
            epoch,
            start_ms,
            holder: holder.to_string(),
            proposed_fence_ms,
        };
        Self::new(flavor, Some(namespace), op)
    }

    /// A clean release with the holder's high-water: finishes `done`, or
    /// fails `lease_lost`.
    pub fn release(
        flavor: Flavor,
        namespace: &str,
        node: u64,
        epoch: u64,
        start_ms: u64,
        holder: &str,
        high_water_ms: u64,
    ) -> Result<Self> {
        crate::inputs::holder(holder)?;
        let op = Op::Release {
            node,
            epoch,
            start_ms,
            holder: holder.to_string(),
            high_water_ms,
        };
        Self::new(flavor, Some(namespace), op)
    }

    /// Every node's status: finishes `nodes` (`store_state_lost` for a
    /// missing namespace).
    pub fn nodes(flavor: Flavor, namespace: &str) -> Result<Self> {
        Self::new(flavor, Some(namespace), Op::Nodes)
    }

    /// The counter `biz_tag` at `floor` if missing (an existing one is left
    /// as it is: never lowered); `guard` is refused (no identity to
    /// record). Finishes `done`.
    pub fn create_counter(flavor: Flavor, biz_tag: &str, floor: u64, step: u64, guard: bool) -> Result<Self> {
        let key = kv::counter_key(biz_tag)?;
        super::args::check("floor", floor.into())?;
        super::args::check("step", step.into())?;
        if guard {
            super::check_guard(flavor.engine())?;
        }
        Self::new(flavor, None, Op::CreateCounter { key, floor })
    }

    /// A range of `step` from the counter `biz_tag` by compare-and-set on
    /// its version (the core's [`CasLoop`]: jittered pauses drawn from
    /// `seed`, bounded rounds): finishes `range`.
    pub fn fetch(flavor: Flavor, biz_tag: &str, step: u64, seed: u64) -> Result<Self> {
        let key = kv::counter_key(biz_tag)?;
        let step = super::args::check("step", step.into())?;
        let cas = CasLoop::new(step)?;
        Self::new(flavor, None, Op::Fetch { key, cas, seed })
    }

    /// The engine this call is for.
    pub const fn flavor(&self) -> Flavor {
        self.flavor
    }

    fn keys(&self) -> &Keys {
        self.keys.as_ref().expect("a namespace call has its keys")
    }

    fn subject(&self) -> Subject<'_> {
        match &self.op {
            Op::CreateCounter { key, .. } | Op::Fetch { key, .. } => Subject {
                biz_tag: key.strip_prefix("/idloom/counters:"),
                ..Subject::default()
            },
            Op::Renew { node, epoch, .. } | Op::Release { node, epoch, .. } => Subject {
                namespace: Some(self.keys().name()),
                node: Some(*node),
                epoch: Some(*epoch),
                biz_tag: None,
            },
            _ => Subject {
                namespace: Some(self.keys().name()),
                ..Subject::default()
            },
        }
    }

    fn what(&self) -> String {
        match &self.op {
            Op::CreateCounter { key, .. } | Op::Fetch { key, .. } => key.trim_start_matches("/idloom/counters:").to_string(),
            _ => self.keys().name().to_string(),
        }
    }

    /// The first need.
    pub fn start(&mut self) -> Result<Need> {
        if self.at != At::Start {
            return Err(Error::reason(ErrorCode::InvalidArgument, "start", "a call starts once"));
        }
        let parents = self.parents();
        if !parents.is_empty() {
            self.at = At::Ensured;
            return Ok(Need::Ensure(parents));
        }
        self.begin()
    }

    /// ZooKeeper's parents a call needs before it writes.
    fn parents(&self) -> Vec<String> {
        if self.flavor != Flavor::ZooKeeper {
            return Vec::new();
        }
        match &self.op {
            Op::CreateNamespace { .. } => {
                let k = self.keys();
                vec!["/idloom".to_string(), k.namespace().to_string(), k.clock(), k.nodes()]
            }
            Op::CreateCounter { .. } => vec!["/idloom".to_string()],
            _ => Vec::new(),
        }
    }

    /// A (new) round of the call, after its parents.
    fn begin(&mut self) -> Result<Need> {
        self.tries += 1;
        if self.tries > TRIES {
            self.at = At::Finished;
            return Err(contended(&self.what()));
        }
        match &self.op {
            Op::CreateNamespace { .. } | Op::Namespace | Op::Nodes => {
                self.at = At::Namespace { now: None };
                Ok(Need::Get(self.keys().namespace().to_string()))
            }
            Op::Acquire { .. } | Op::Renew { .. } | Op::Release { .. } => {
                self.at = At::Now { placeholder: None };
                Ok(Need::Now(self.keys().clock()))
            }
            Op::CreateCounter { key, .. } | Op::Fetch { key, .. } => {
                let key = key.clone();
                self.at = At::Counter;
                Ok(Need::Get(key))
            }
        }
    }

    fn finish(&mut self, reading: Reading) -> Result<Need> {
        self.at = At::Finished;
        Ok(Need::Finished(reading))
    }

    fn fail<T>(&mut self, e: Error) -> Result<T> {
        self.at = At::Finished;
        Err(e)
    }

    fn commit(&mut self, writes: Vec<Write>, finish: Result<Reading>) -> Result<Need> {
        self.at = At::Commit { finish };
        Ok(Need::Commit(writes))
    }

    /// The engine's answer to the last need; the next need.
    pub fn answer(&mut self, answer: Answer) -> Result<Need> {
        let r = self.step(answer);
        if r.is_err() {
            self.at = At::Finished;
        }
        r
    }

    fn step(&mut self, answer: Answer) -> Result<Need> {
        let at = core::mem::replace(&mut self.at, At::Finished);
        match (at, answer) {
            (At::Ensured, Answer::Done) => self.begin(),
            (At::Now { .. }, Answer::Now(None)) => {
                // ZooKeeper's clock key is missing (an operator deleted it, or
                // the namespace was never created here): its parents, then again.
                self.clock_misses += 1;
                if self.clock_misses > 2 {
                    return self.fail(Error::store(
                        ErrorCode::StoreUnavailable,
                        "zookeeper: the clock znode keeps vanishing".into(),
                    ));
                }
                let k = self.keys();
                let parents = vec!["/idloom".to_string(), k.namespace().to_string(), k.clock(), k.nodes()];
                self.at = At::Ensured;
                self.tries -= 1; // the round starts again after the parents
                Ok(Need::Ensure(parents))
            }
            (At::Now { placeholder }, Answer::Now(Some(now))) => match &self.op {
                Op::CreateNamespace { .. } => self.create_namespace_write(now, placeholder),
                _ => {
                    self.at = At::Namespace { now: Some(now) };
                    Ok(Need::Get(self.keys().namespace().to_string()))
                }
            },
            (At::Namespace { now }, Answer::Got(got)) => self.namespace_read(now, got),
            (At::Records { now, ns, ns_read }, Answer::Listed(found)) => {
                let records = self.records(&ns, found)?;
                if matches!(self.op, Op::Nodes) {
                    let rows = records
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
                        .collect();
                    return self.finish(Reading::Nodes(rows));
                }
                match self.flavor {
                    Flavor::Etcd => {
                        let prefix = live_prefix(self.keys());
                        self.at = At::Live { now, ns, ns_read, records };
                        Ok(Need::List(prefix))
                    }
                    Flavor::ZooKeeper => self.acquire_plan(now, ns, ns_read, records, None),
                }
            }
            (At::Live { now, ns, ns_read, records }, Answer::Listed(live)) => {
                let live: Vec<String> = live.into_iter().map(|(k, _)| k).collect();
                self.acquire_plan(now, ns, ns_read, records, Some(live))
            }
            (At::Node { now, ns, ns_read }, Answer::Got(got)) => self.lease_write(now, ns, ns_read, got),
            (At::Commit { finish }, Answer::Committed(true)) => match finish {
                Ok(reading) => self.finish(reading),
                Err(e) => self.fail(e),
            },
            (At::Commit { .. }, Answer::Committed(false)) => self.begin(),
            (At::RaiseFloor, Answer::Committed(won)) => {
                if won {
                    self.raised = true;
                    self.at = At::Handled;
                    return Ok(Need::RollbackHandled);
                }
                self.begin()
            }
            (At::Handled, Answer::Done) => self.begin(),
            (At::Counter, Answer::Got(got)) => self.counter_read(got),
            (At::Swap, Answer::Committed(won)) => {
                let Op::Fetch { key, cas, seed } = &mut self.op else {
                    unreachable!("only a fetch swaps")
                };
                let subject = Subject {
                    biz_tag: key.strip_prefix("/idloom/counters:"),
                    ..Subject::default()
                };
                *seed = splitmix(*seed);
                let unit = (*seed >> 11) as f64 / (1u64 << 53) as f64;
                let step = match cas.swapped(won, unit, &subject) {
                    Ok(s) => s,
                    Err(e) => return self.fail(e),
                };
                match step {
                    CasStep::Done { start, end } => self.finish(Reading::Range { start, end }),
                    CasStep::Pause { us } => {
                        self.at = At::Paused;
                        Ok(Need::Pause(us))
                    }
                    CasStep::Swap { .. } => {
                        let e = refuse(Refusal::NotProtocol, &self.subject());
                        self.fail(e)
                    }
                }
            }
            (At::Paused, Answer::Done) => {
                let Op::Fetch { key, .. } = &self.op else {
                    unreachable!("only a fetch pauses")
                };
                let key = key.clone();
                self.at = At::Counter;
                Ok(Need::Get(key))
            }
            (At::Finished, _) => Err(Error::reason(ErrorCode::InvalidArgument, "answer", "the call has finished")),
            (at, _) => {
                let need = match at {
                    At::Now { .. } => "now",
                    At::Namespace { .. } | At::Node { .. } | At::Counter => "get",
                    At::Records { .. } | At::Live { .. } => "list",
                    At::Commit { .. } | At::RaiseFloor | At::Swap => "commit",
                    At::Paused | At::Ensured | At::Handled => "done",
                    At::Start | At::Finished => "start",
                };
                Err(unexpected(self.flavor, need))
            }
        }
    }

    /// The namespace record read (`now`: the clock read before it, for the lease calls).
    fn namespace_read(&mut self, now: Option<(u64, Identity)>, got: Option<Versioned>) -> Result<Need> {
        let got_version = got.as_ref().map(|v| v.version);
        let present = got.filter(|v| !v.text.is_empty());
        if let Op::CreateNamespace { .. } = self.op {
            return match present {
                Some(v) => {
                    let ns = KvNamespace::decode(&v.text)?;
                    self.finish(Reading::Namespace(ns.record))
                }
                None => {
                    // A placeholder (ZooKeeper) or nothing: the clock, then the write.
                    self.at = At::Now { placeholder: got_version };
                    Ok(Need::Now(self.keys().clock()))
                }
            };
        }
        let Some(read) = present else {
            if let Op::Namespace = self.op {
                return self.finish(Reading::Missing);
            }
            let e = refuse(Refusal::NamespaceMissing, &self.subject());
            return self.fail(e);
        };
        let ns = KvNamespace::decode(&read.text)?;
        match &self.op {
            Op::Namespace => self.finish(Reading::Namespace(ns.record)),
            Op::Nodes => {
                let prefix = format!("{}/", self.keys().nodes());
                self.at = At::Records {
                    now: (0, Identity::Silence),
                    ns,
                    ns_read: read,
                };
                Ok(Need::List(prefix))
            }
            Op::Acquire { .. } => {
                let now = now.expect("an acquire reads the clock first");
                if matches!(now.1, Identity::RolledBack(_)) {
                    // The floor first, on its own; then the acquire as usual, above it.
                    let write = Write::Set {
                        key: self.keys().namespace().to_string(),
                        text: ns.floor_raised(now.0).encode(),
                        version: read.version,
                    };
                    self.at = At::RaiseFloor;
                    return Ok(Need::Commit(vec![write]));
                }
                let prefix = format!("{}/", self.keys().nodes());
                self.at = At::Records { now, ns, ns_read: read };
                Ok(Need::List(prefix))
            }
            Op::Renew { node, .. } | Op::Release { node, .. } => {
                let now = now.expect("a lease call reads the clock first");
                if matches!(now.1, Identity::RolledBack(_)) {
                    return match self.op {
                        Op::Renew { .. } => self.finish(Reading::Refused),
                        _ => self.fail(kv::rolled_back()),
                    };
                }
                let key = self.keys().node(*node);
                self.at = At::Node { now, ns, ns_read: read };
                Ok(Need::Get(key))
            }
            Op::CreateNamespace { .. } | Op::CreateCounter { .. } | Op::Fetch { .. } => {
                unreachable!("no namespace read")
            }
        }
    }
}

impl KvCall {
    /// Every node's record (`None`: never written) with its version, in node order.
    #[allow(clippy::type_complexity)]
    fn records(&self, ns: &KvNamespace, found: Vec<(String, Versioned)>) -> Result<Vec<(u64, Option<(NodeRecord, Versioned)>)>> {
        let nodes = ns.record.nodes;
        let mut out: Vec<(u64, Option<(NodeRecord, Versioned)>)> = (0..nodes).map(|n| (n, None)).collect();
        for (key, v) in found {
            // Not a node record (a key an operator put there): not ours.
            let Some(n) = self.keys().node_of(&key) else { continue };
            if n < nodes {
                out[n as usize].1 = Some((kv::decode_node(&v.text)?, v));
            }
        }
        Ok(out)
    }

    fn create_namespace_write(&mut self, now: (u64, Identity), placeholder: Option<i64>) -> Result<Need> {
        let Op::CreateNamespace { record, fresh } = &self.op else {
            unreachable!("only an init writes a namespace")
        };
        let (mut record, fresh) = (record.clone(), *fresh);
        let config = LeaseConfig {
            ttl_ms: record.ttl_ms,
            max_skew_ms: record.max_skew_ms,
        };
        record.floor_ms = if fresh { 0 } else { config.floor_after_loss(now.0) };
        let mut ns = KvNamespace {
            record,
            identity: String::new(),
        };
        ns.identity = the_identity(&now.1, &ns, core::iter::empty(), now.0);
        let (key, text) = (self.keys().namespace().to_string(), ns.encode());
        let write = match placeholder {
            Some(version) => Write::Set { key, text, version },
            None => Write::Create { key, text },
        };
        self.commit(vec![write], Ok(Reading::Namespace(ns.record)))
    }

    #[allow(clippy::type_complexity)]
    fn acquire_plan(
        &mut self,
        now: (u64, Identity),
        ns: KvNamespace,
        ns_read: Versioned,
        read: Vec<(u64, Option<(NodeRecord, Versioned)>)>,
        live: Option<Vec<String>>,
    ) -> Result<Need> {
        let Op::Acquire { holder, proposed_fence_ms } = &self.op else {
            unreachable!("only an acquire plans")
        };
        let (holder, proposed_fence_ms) = (holder.clone(), *proposed_fence_ms);
        let keys = self.keys().clone();
        let written = read.iter().map(|(_, r)| r.as_ref().and_then(|(_, v)| v.written_ms));
        let identity = the_identity(&now.1, &ns, written.chain([ns_read.written_ms]), now.0);
        let seen: Vec<(u64, NodeRecord)> = read
            .iter()
            .map(|(n, r)| {
                let mut r = r.as_ref().map(|(r, _)| r.clone()).unwrap_or_default();
                if let Some(live) = &live {
                    // etcd: held while the holder's liveness key lives, whatever the caller's clock says.
                    let key = live_key(&keys, *n);
                    r.expires_ms = if live.contains(&key) { u64::MAX } else { 0 };
                }
                (*n, r)
            })
            .collect();
        let plan = kv::acquire(
            &ns,
            seen.iter().map(|(n, r)| (*n, Some(r))),
            &holder,
            proposed_fence_ms,
            &identity,
            now.0,
        )?;
        let changed = plan.identity_changed();
        let mut writes = vec![match &plan.namespace {
            Some(next) => Write::Set {
                key: keys.namespace().to_string(),
                text: next.encode(),
                version: ns_read.version,
            },
            None => Write::Check {
                key: keys.namespace().to_string(),
                version: ns_read.version,
            },
        }];
        match plan.taken {
            Err(no_free_node) => {
                if changed {
                    // The floor still rises when the store's identity changed (as the SQL and Lua texts do).
                    self.commit(writes, Err(no_free_node))
                } else {
                    self.fail(no_free_node)
                }
            }
            Ok(taken) => {
                let version = read[taken.node as usize].1.as_ref().map(|(_, v)| v.version);
                writes.push(node_write(&keys, taken.node, &taken.record, version));
                writes.extend(self.extra(taken.node, Some(&taken.record), ns.record.ttl_ms));
                let grant = Reading::Grant {
                    grant: taken.grant,
                    identity_changed: changed || self.raised,
                };
                self.commit(writes, Ok(grant))
            }
        }
    }

    /// What else a lease call writes for `node` after it: etcd's liveness
    /// key on a new etcd lease (an acquire, a renewal: `Some`), deleted on a
    /// release (`None`); nothing on ZooKeeper.
    fn extra(&self, node: u64, after: Option<&NodeRecord>, ttl_ms: u64) -> Vec<Write> {
        if self.flavor != Flavor::Etcd {
            return Vec::new();
        }
        let key = live_key(self.keys(), node);
        vec![match after {
            Some(r) => Write::Live {
                key,
                text: format!("holder={}\nepoch={}\n", r.holder, r.epoch),
                ttl_s: lease_ttl_s(ttl_ms),
            },
            None => Write::Delete { key },
        }]
    }

    /// A renewal's or a release's node read: its next record, written with
    /// the namespace unchanged since the read (its floor).
    fn lease_write(&mut self, now: (u64, Identity), ns: KvNamespace, ns_read: Versioned, got: Option<Versioned>) -> Result<Need> {
        let (current, version, written) = match &got {
            Some(v) => (Some(kv::decode_node(&v.text)?), Some(v.version), v.written_ms),
            None => (None, None, None),
        };
        let identity = the_identity(&now.1, &ns, [written, ns_read.written_ms].into_iter(), now.0);
        let (next, reading) = match &self.op {
            Op::Renew {
                node,
                epoch,
                start_ms,
                holder,
                proposed_fence_ms,
            } => match kv::renew(
                &ns,
                *node,
                current.as_ref(),
                *epoch,
                *start_ms,
                holder,
                *proposed_fence_ms,
                &identity,
                now.0,
            ) {
                Ok((record, grant)) => (
                    record,
                    Reading::Grant {
                        grant,
                        identity_changed: false,
                    },
                ),
                Err(e) if e.code() == ErrorCode::LeaseLost => return self.finish(Reading::Refused),
                Err(e) => return self.fail(e),
            },
            Op::Release {
                epoch,
                start_ms,
                holder,
                high_water_ms,
                ..
            } => {
                // A release under another identity (a silence since a
                // restore) is over too: its write would erase the trace the
                // next acquire needs.
                let released = crate::lease::same_identity(&ns.identity, &identity)
                    .and_then(|()| kv::release(&ns, current.as_ref(), *epoch, *start_ms, holder, *high_water_ms));
                match released {
                    Ok(record) => (record, Reading::Done),
                    Err(e) => return self.fail(e),
                }
            }
            _ => unreachable!("only a renewal or a release writes a node"),
        };
        let node = match self.op {
            Op::Renew { node, .. } | Op::Release { node, .. } => node,
            _ => unreachable!("only a renewal or a release writes a node"),
        };
        let keys = self.keys().clone();
        let mut writes = vec![
            Write::Check {
                key: keys.namespace().to_string(),
                version: ns_read.version,
            },
            node_write(&keys, node, &next, version),
        ];
        let renewed = matches!(reading, Reading::Grant { .. });
        writes.extend(self.extra(node, renewed.then_some(&next), ns.record.ttl_ms));
        self.commit(writes, Ok(reading))
    }

    /// A counter read: create it (init), or the swap (fetch).
    fn counter_read(&mut self, got: Option<Versioned>) -> Result<Need> {
        match &mut self.op {
            Op::CreateCounter { key, floor } => {
                if got.is_some() {
                    return self.finish(Reading::Done);
                }
                let create = Write::Create {
                    key: key.clone(),
                    text: kv::encode_counter(*floor),
                };
                self.commit(vec![create], Ok(Reading::Done))
            }
            Op::Fetch { key, cas, .. } => {
                let version = got.as_ref().map(|v| v.version);
                let value = match got.map(|v| kv::decode_counter(&v.text)).transpose() {
                    Ok(v) => v,
                    Err(e) => return self.fail(e),
                };
                let subject = Subject {
                    biz_tag: key.strip_prefix("/idloom/counters:"),
                    ..Subject::default()
                };
                let step = cas.read(value, &subject);
                let set = match step {
                    Ok(CasStep::Swap { new, .. }) => Write::Set {
                        key: key.clone(),
                        text: kv::encode_counter(new),
                        version: version.unwrap_or_default(),
                    },
                    Ok(_) => {
                        let e = refuse(Refusal::NotProtocol, &subject);
                        return self.fail(e);
                    }
                    Err(e) => return self.fail(e),
                };
                self.at = At::Swap;
                Ok(Need::Commit(vec![set]))
            }
            _ => unreachable!("only a counter call reads a counter"),
        }
    }
}

/// The next state of a splitmix64 sequence (the fetch's pause jitter).
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A ZooKeeper or etcd store's URL as every binding reads it:
/// `zookeeper://host:port[,host:port…][/chroot][?session_timeout_ms=N&call_timeout_ms=N]`
/// (each 100..=600,000; defaults 10,000 and 5,000) or
/// `etcd://host:port[,host:port…][/][?call_timeout_ms=N]` (1..=3,600,000; default 5,000).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvUrl {
    /// The engine.
    pub flavor: Flavor,
    /// `host:port` of each server, in order.
    pub hosts: Vec<String>,
    /// ZooKeeper's chroot (`/app`), if any.
    pub chroot: Option<String>,
    /// ZooKeeper's session timeout (ms); etcd: none.
    pub session_timeout_ms: u64,
    /// The deadline of each call (ms).
    pub call_timeout_ms: u64,
}

/// ZooKeeper's default session timeout (ms).
pub const ZK_SESSION_TIMEOUT_MS: u64 = 10_000;
/// The default deadline of a call (ms).
pub const CALL_TIMEOUT_MS: u64 = 5_000;
/// etcd's longest call deadline (ms).
pub const ETCD_MAX_CALL_TIMEOUT_MS: u64 = 3_600_000;

impl KvUrl {
    /// `url` read (`invalid_argument` naming what is wrong).
    pub fn parse(url: &str) -> Result<KvUrl> {
        let bad = |why: &'static str| Error::reason(ErrorCode::InvalidArgument, "url", why);
        let (flavor, rest) = if let Some(rest) = url.strip_prefix("zookeeper://") {
            (Flavor::ZooKeeper, rest)
        } else if let Some(rest) = url.strip_prefix("etcd://") {
            (Flavor::Etcd, rest)
        } else {
            return Err(bad("must start with zookeeper:// or etcd://"));
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (hosts, chroot) = match path.split_once('/') {
            Some((h, "")) => (h, None),
            Some((h, c)) if flavor == Flavor::ZooKeeper => (h, Some(format!("/{c}"))),
            Some(_) => return Err(bad("an etcd URL names host:port[,host:port…] only")),
            None => (path, None),
        };
        let host_ok = |h: &str| {
            h.rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && !host.contains('/') && port.parse::<u16>().is_ok())
        };
        if hosts.is_empty() || !hosts.split(',').all(host_ok) {
            return Err(match flavor {
                Flavor::ZooKeeper => bad("must name host:port[,host:port…] (zookeeper://127.0.0.1:2181)"),
                Flavor::Etcd => bad("must name host:port[,host:port…] (etcd://127.0.0.1:2379)"),
            });
        }
        let mut out = KvUrl {
            flavor,
            hosts: hosts.split(',').map(ToString::to_string).collect(),
            chroot,
            session_timeout_ms: if flavor == Flavor::ZooKeeper { ZK_SESSION_TIMEOUT_MS } else { 0 },
            call_timeout_ms: CALL_TIMEOUT_MS,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or(bad("query parameters are name=value"))?;
            let (name, low, high) = match (flavor, k) {
                (Flavor::ZooKeeper, "session_timeout_ms") => ("session_timeout_ms", 100, 600_000),
                (Flavor::ZooKeeper, "call_timeout_ms") => ("call_timeout_ms", 100, 600_000),
                (Flavor::Etcd, "call_timeout_ms") => ("call_timeout_ms", 1, ETCD_MAX_CALL_TIMEOUT_MS),
                (Flavor::ZooKeeper, _) => return Err(bad("knows session_timeout_ms and call_timeout_ms only")),
                (Flavor::Etcd, _) => return Err(bad("knows call_timeout_ms only")),
            };
            let ms: u64 = v.parse().map_err(|_| bad("timeouts are milliseconds"))?;
            if !(low..=high).contains(&ms) {
                return Err(Error::range(ErrorCode::InvalidArgument, name, ms, low, high));
            }
            if name == "session_timeout_ms" {
                out.session_timeout_ms = ms;
            } else {
                out.call_timeout_ms = ms;
            }
        }
        Ok(out)
    }

    /// ZooKeeper's connect string: `host:port,host:port[/chroot]`.
    pub fn connect_string(&self) -> String {
        let mut s = self.hosts.join(",");
        if let Some(c) = &self.chroot {
            s.push_str(c);
        }
        s
    }
}
