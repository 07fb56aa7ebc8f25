//! The core's one state machine for every call on ZooKeeper and etcd
//! (`idloom::stores::kvcall`), for the shared JS driver `js/stores/kv.mjs`:
//! `KvCall` says what it needs next, the driver does it on the user's client
//! and answers. The wasm build exports the same names and shapes
//! (`bindings-wasm/src/kvcall.rs`).
//!
//! Shapes: a need is `{ need: 'ensure', keys }`, `{ need: 'now', key }`,
//! `{ need: 'get', key }`, `{ need: 'list', prefix }`, `{ need: 'commit',
//! writes: [{ op, key, text?, version?, ttlS? }] }`, `{ need:
//! 'rollbackHandled' }`, `{ need: 'pause', us }` or `{ need: 'finished',
//! reading }` (the reading as `storeRead` returns it). An answer is `{ kind:
//! 'done' }`, `{ kind: 'now', ms?, identity? }` (no `ms`: ZooKeeper's clock
//! key is missing), `{ kind: 'got', record? }`, `{ kind: 'listed', records }`
//! or `{ kind: 'committed', ok }`; a record is `{ key?, text, version,
//! writtenMs? }`. Versions (ZooKeeper's data version, etcd's int64
//! `mod_revision`) cross as decimal strings, exact at any size (what etcd's
//! JS client gives and takes); they are accepted as numbers and BigInts too.
//! Milliseconds are numbers (BigInts past 2^53 − 1).

use crate::errors::{throw, IntoJs};
use crate::stores::{num, reading_parts, Part};
use idloom::lease::LeaseConfig;
use idloom::stores::kvcall::{self, Answer, Flavor, Identity, KvUrl, Need, Versioned, Write};
use idloom::ErrorCode;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A whole number from JavaScript: a number or a BigInt.
type Whole = Either<f64, BigInt>;
/// A version from JavaScript: a decimal string, a number or a BigInt.
type VersionIn = Either3<String, f64, BigInt>;

fn bad(env: &Env, param: &'static str, reason: &'static str) -> napi::Error {
    throw(env, &idloom::Error::reason(ErrorCode::InvalidArgument, param, reason))
}

fn whole(env: &Env, v: &Whole, param: &'static str) -> Result<u64> {
    match v {
        Either::A(n) if n.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(n) => Ok(*n as u64),
        Either::B(b) => match b.get_u64() {
            (false, n, true) => Ok(n),
            _ => Err(bad(env, param, "must be a non-negative integer within 64 bits")),
        },
        Either::A(_) => Err(bad(env, param, "must be a safe non-negative integer or a bigint")),
    }
}

fn version(env: &Env, v: &VersionIn, param: &'static str) -> Result<i64> {
    let wrong = || {
        bad(
            env,
            param,
            "must be an integer within 64 bits (a decimal string, a number or a bigint)",
        )
    };
    match v {
        Either3::A(t) => t.parse().map_err(|_| wrong()),
        Either3::B(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 => Ok(*n as i64),
        Either3::B(_) => Err(wrong()),
        Either3::C(b) => match b.get_i64() {
            (n, true) => Ok(n),
            _ => Err(wrong()),
        },
    }
}

fn flavor(env: &Env, engine: &str) -> Result<Flavor> {
    Flavor::of(engine).js(env)
}

/// An operation of a batch.
#[napi(object, object_from_js = false)]
pub struct KvWrite {
    /// `create`, `set`, `check`, `live` or `delete`.
    pub op: String,
    pub key: String,
    pub text: Option<String>,
    /// The version it must still have (`set`, `check`), a decimal string.
    pub version: Option<String>,
    /// The etcd lease's TTL in whole seconds (`live`).
    #[napi(js_name = "ttlS")]
    pub ttl_s: Option<f64>,
}

fn write_of(w: Write) -> KvWrite {
    let (op, key, text, version, ttl_s) = match w {
        Write::Create { key, text } => ("create", key, Some(text), None, None),
        Write::Set { key, text, version } => ("set", key, Some(text), Some(version.to_string()), None),
        Write::Check { key, version } => ("check", key, None, Some(version.to_string()), None),
        Write::Live { key, text, ttl_s } => ("live", key, Some(text), None, Some(ttl_s as f64)),
        Write::Delete { key } => ("delete", key, None, None, None),
    };
    KvWrite {
        op: op.to_string(),
        key,
        text,
        version,
        ttl_s,
    }
}

/// What the call needs next (see the module docs).
#[napi(object, object_from_js = false)]
pub struct KvNeed {
    pub need: String,
    pub keys: Option<Vec<String>>,
    pub key: Option<String>,
    pub prefix: Option<String>,
    pub writes: Option<Vec<KvWrite>>,
    #[napi(ts_type = "number | bigint")]
    pub us: Option<Whole>,
    #[napi(ts_type = "[string, ...(string | number | bigint)[]]")]
    pub reading: Option<Vec<Part>>,
}

fn need_of(need: Need) -> KvNeed {
    let mut out = KvNeed {
        need: String::new(),
        keys: None,
        key: None,
        prefix: None,
        writes: None,
        us: None,
        reading: None,
    };
    out.need = match need {
        Need::Ensure(keys) => {
            out.keys = Some(keys);
            "ensure"
        }
        Need::Now(key) => {
            out.key = Some(key);
            "now"
        }
        Need::Get(key) => {
            out.key = Some(key);
            "get"
        }
        Need::List(prefix) => {
            out.prefix = Some(prefix);
            "list"
        }
        Need::Commit(writes) => {
            out.writes = Some(writes.into_iter().map(write_of).collect());
            "commit"
        }
        Need::RollbackHandled => "rollbackHandled",
        Need::Pause(us) => {
            out.us = Some(num(us));
            "pause"
        }
        Need::Finished(reading) => {
            out.reading = Some(reading_parts(&reading));
            "finished"
        }
    }
    .to_string();
    out
}

/// The store's identity at a clock read: `named` (etcd's cluster),
/// `rolledBack` (named, but the store went back in time) or `silence`
/// (ZooKeeper: only time tells).
#[napi(object)]
pub struct KvIdentity {
    pub kind: String,
    pub name: Option<String>,
}

/// A key's text and version (and, on ZooKeeper, when it was written).
#[napi(object, object_to_js = false)]
pub struct KvRecord {
    /// The full key (a `listed` answer's records).
    pub key: Option<String>,
    pub text: String,
    #[napi(ts_type = "string | number | bigint")]
    pub version: VersionIn,
    #[napi(ts_type = "number | bigint")]
    pub written_ms: Option<Whole>,
}

/// An answer to a need (see the module docs).
#[napi(object, object_to_js = false)]
pub struct KvAnswer {
    /// `done`, `now`, `got`, `listed` or `committed`.
    pub kind: String,
    #[napi(ts_type = "number | bigint")]
    pub ms: Option<Whole>,
    pub identity: Option<KvIdentity>,
    pub record: Option<KvRecord>,
    pub records: Option<Vec<KvRecord>>,
    pub ok: Option<bool>,
}

fn versioned(env: &Env, r: &KvRecord) -> Result<Versioned> {
    Ok(Versioned {
        text: r.text.clone(),
        version: version(env, &r.version, "record.version")?,
        written_ms: r.written_ms.as_ref().map(|w| whole(env, w, "record.writtenMs")).transpose()?,
    })
}

fn identity_of(env: &Env, i: &KvIdentity) -> Result<Identity> {
    let name = || {
        i.name
            .clone()
            .ok_or_else(|| bad(env, "identity.name", "a named identity needs its name"))
    };
    match i.kind.as_str() {
        "named" => Ok(Identity::Named(name()?)),
        "rolledBack" => Ok(Identity::RolledBack(name()?)),
        "silence" => Ok(Identity::Silence),
        _ => Err(bad(env, "identity.kind", "must be 'named', 'rolledBack' or 'silence'")),
    }
}

fn identity_js(i: Identity) -> KvIdentity {
    let (kind, name) = match i {
        Identity::Named(n) => ("named", Some(n)),
        Identity::RolledBack(n) => ("rolledBack", Some(n)),
        Identity::Silence => ("silence", None),
    };
    KvIdentity {
        kind: kind.to_string(),
        name,
    }
}

fn answer_of(env: &Env, a: &KvAnswer) -> Result<Answer> {
    Ok(match a.kind.as_str() {
        "done" => Answer::Done,
        "now" => match (&a.ms, &a.identity) {
            (None, _) => Answer::Now(None),
            (Some(ms), Some(i)) => Answer::Now(Some((whole(env, ms, "answer.ms")?, identity_of(env, i)?))),
            (Some(_), None) => return Err(bad(env, "answer.identity", "a clock read answers the store's identity too")),
        },
        "got" => Answer::Got(a.record.as_ref().map(|r| versioned(env, r)).transpose()?),
        "listed" => {
            let records = a.records.as_deref().unwrap_or_default();
            let mut out = Vec::with_capacity(records.len());
            for r in records {
                let key = r
                    .key
                    .clone()
                    .ok_or_else(|| bad(env, "answer.records", "each record names its key"))?;
                out.push((key, versioned(env, r)?));
            }
            Answer::Listed(out)
        }
        "committed" => Answer::Committed(a.ok.ok_or_else(|| bad(env, "answer.ok", "a commit answers whether it held"))?),
        _ => return Err(bad(env, "answer.kind", "must be 'done', 'now', 'got', 'listed' or 'committed'")),
    })
}

/// One call of the lease protocol (or a counter's) on ZooKeeper or etcd:
/// `start()`, then `answer(…)` each need until it is `finished`. A refusal
/// (`no_free_node`, `lease_lost`, a record that does not parse…) is thrown.
#[napi]
pub struct KvCall {
    inner: kvcall::KvCall,
}

#[napi]
impl KvCall {
    /// Create `namespace` if missing (floor 0 when `fresh`); finishes
    /// `['namespace', …]` with the record the store holds.
    #[napi(factory)]
    #[allow(clippy::too_many_arguments)]
    pub fn create_namespace(
        env: Env,
        engine: String,
        namespace: String,
        layout: String,
        #[napi(ts_arg_type = "number | bigint")] nodes: Whole,
        #[napi(ts_arg_type = "number | bigint")] ttl_ms: Whole,
        #[napi(ts_arg_type = "number | bigint")] max_skew_ms: Whole,
        fresh: bool,
    ) -> Result<Self> {
        let config = LeaseConfig {
            ttl_ms: whole(&env, &ttl_ms, "ttl_ms")?,
            max_skew_ms: whole(&env, &max_skew_ms, "max_skew_ms")?,
        };
        let nodes = whole(&env, &nodes, "nodes")?;
        let inner = kvcall::KvCall::create_namespace(flavor(&env, &engine)?, &namespace, &layout, nodes, config, fresh).js(&env)?;
        Ok(KvCall { inner })
    }

    /// A namespace's record: finishes `['namespace', …]` or `['missing']`.
    #[napi(factory)]
    pub fn namespace(env: Env, engine: String, namespace: String) -> Result<Self> {
        let inner = kvcall::KvCall::namespace(flavor(&env, &engine)?, &namespace).js(&env)?;
        Ok(KvCall { inner })
    }

    /// An acquire by `holder`: finishes `['grant', …]` or throws `no_free_node`.
    #[napi(factory)]
    pub fn acquire(
        env: Env,
        engine: String,
        namespace: String,
        holder: String,
        #[napi(ts_arg_type = "number | bigint")] proposed_fence_ms: Whole,
    ) -> Result<Self> {
        let proposed = whole(&env, &proposed_fence_ms, "proposed_fence_ms")?;
        let inner = kvcall::KvCall::acquire(flavor(&env, &engine)?, &namespace, &holder, proposed).js(&env)?;
        Ok(KvCall { inner })
    }

    /// A renewal: finishes `['grant', …]`, or `['refused']` (the lease is lost).
    #[napi(factory)]
    #[allow(clippy::too_many_arguments)]
    pub fn renew(
        env: Env,
        engine: String,
        namespace: String,
        #[napi(ts_arg_type = "number | bigint")] node: Whole,
        #[napi(ts_arg_type = "number | bigint")] epoch: Whole,
        #[napi(ts_arg_type = "number | bigint")] start_ms: Whole,
        holder: String,
        #[napi(ts_arg_type = "number | bigint")] proposed_fence_ms: Whole,
    ) -> Result<Self> {
        let (node, epoch) = (whole(&env, &node, "node")?, whole(&env, &epoch, "epoch")?);
        let start = whole(&env, &start_ms, "start_ms")?;
        let proposed = whole(&env, &proposed_fence_ms, "proposed_fence_ms")?;
        let inner = kvcall::KvCall::renew(flavor(&env, &engine)?, &namespace, node, epoch, start, &holder, proposed).js(&env)?;
        Ok(KvCall { inner })
    }

    /// A clean release with the holder's high-water: finishes `['done']` or throws `lease_lost`.
    #[napi(factory)]
    #[allow(clippy::too_many_arguments)]
    pub fn release(
        env: Env,
        engine: String,
        namespace: String,
        #[napi(ts_arg_type = "number | bigint")] node: Whole,
        #[napi(ts_arg_type = "number | bigint")] epoch: Whole,
        #[napi(ts_arg_type = "number | bigint")] start_ms: Whole,
        holder: String,
        #[napi(ts_arg_type = "number | bigint")] high_water_ms: Whole,
    ) -> Result<Self> {
        let (node, epoch) = (whole(&env, &node, "node")?, whole(&env, &epoch, "epoch")?);
        let start = whole(&env, &start_ms, "start_ms")?;
        let high = whole(&env, &high_water_ms, "high_water_ms")?;
        let inner = kvcall::KvCall::release(flavor(&env, &engine)?, &namespace, node, epoch, start, &holder, high).js(&env)?;
        Ok(KvCall { inner })
    }

    /// Every node's status: finishes `['nodes', …]` (six parts a node).
    #[napi(factory)]
    pub fn nodes(env: Env, engine: String, namespace: String) -> Result<Self> {
        let inner = kvcall::KvCall::nodes(flavor(&env, &engine)?, &namespace).js(&env)?;
        Ok(KvCall { inner })
    }

    /// The counter `bizTag` at `floor` if missing (never lowered); `guard` is refused.
    #[napi(factory)]
    pub fn create_counter(
        env: Env,
        engine: String,
        biz_tag: String,
        #[napi(ts_arg_type = "number | bigint")] floor: Whole,
        #[napi(ts_arg_type = "number | bigint")] step: Whole,
        guard: bool,
    ) -> Result<Self> {
        let (floor, step) = (whole(&env, &floor, "floor")?, whole(&env, &step, "step")?);
        let inner = kvcall::KvCall::create_counter(flavor(&env, &engine)?, &biz_tag, floor, step, guard).js(&env)?;
        Ok(KvCall { inner })
    }

    /// A range of `step` from the counter `bizTag` by compare-and-set
    /// (pauses jittered from `seed`): finishes `['range', start, end]`.
    #[napi(factory)]
    pub fn fetch(
        env: Env,
        engine: String,
        biz_tag: String,
        #[napi(ts_arg_type = "number | bigint")] step: Whole,
        #[napi(ts_arg_type = "number | bigint")] seed: Whole,
    ) -> Result<Self> {
        let (step, seed) = (whole(&env, &step, "step")?, whole(&env, &seed, "seed")?);
        let inner = kvcall::KvCall::fetch(flavor(&env, &engine)?, &biz_tag, step, seed).js(&env)?;
        Ok(KvCall { inner })
    }

    /// The first need.
    #[napi]
    pub fn start(&mut self, env: Env) -> Result<KvNeed> {
        Ok(need_of(self.inner.start().js(&env)?))
    }

    /// The answer to the last need; the next need.
    #[napi]
    pub fn answer(&mut self, env: Env, answer: KvAnswer) -> Result<KvNeed> {
        let answer = answer_of(&env, &answer)?;
        Ok(need_of(self.inner.answer(answer).js(&env)?))
    }
}

/// A store handle's watch on etcd's revision (one per store): a response
/// header's revision below one seen before its request was sent means the
/// store went back in time. Revisions are decimal strings.
#[napi]
pub struct Revisions {
    inner: kvcall::Revisions,
}

#[napi]
impl Revisions {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Revisions {
            inner: kvcall::Revisions::new(),
        }
    }

    /// The highest revision seen so far (read it before sending a request).
    #[napi]
    pub fn seen(&self) -> String {
        self.inner.seen().to_string()
    }

    /// The identity a call sees from a response header: `clusterId` (an
    /// unsigned 64-bit ID), `seenBefore` (`seen()` when the request was
    /// sent) and the header's `revision`.
    #[napi]
    pub fn identity(
        &mut self,
        env: Env,
        #[napi(ts_arg_type = "string | number | bigint")] cluster_id: VersionIn,
        #[napi(ts_arg_type = "string | number | bigint")] seen_before: VersionIn,
        #[napi(ts_arg_type = "string | number | bigint")] revision: VersionIn,
    ) -> Result<KvIdentity> {
        let cluster = match &cluster_id {
            Either3::A(t) => t
                .parse::<u64>()
                .map_err(|_| bad(&env, "clusterId", "must be an unsigned 64-bit integer"))?,
            Either3::B(n) => whole(&env, &Either::A(*n), "clusterId")?,
            Either3::C(b) => match b.get_u64() {
                (false, n, true) => n,
                _ => return Err(bad(&env, "clusterId", "must be an unsigned 64-bit integer")),
            },
        };
        let seen = version(&env, &seen_before, "seenBefore")?;
        let revision = version(&env, &revision, "revision")?;
        Ok(identity_js(self.inner.identity(cluster, seen, revision)))
    }

    /// The floor rose: stop reporting the rollback.
    #[napi]
    pub fn handled(&mut self) {
        self.inner.handled();
    }
}

/// A ZooKeeper or etcd URL as the core reads it.
#[napi(object, object_from_js = false)]
pub struct KvUrlParts {
    pub engine: String,
    pub hosts: Vec<String>,
    pub chroot: Option<String>,
    /// `host:port,host:port[/chroot]` (ZooKeeper's connect string).
    pub connect_string: String,
    /// ZooKeeper's session timeout (ms); 0 on etcd.
    pub session_timeout_ms: f64,
    pub call_timeout_ms: f64,
}

/// `url` read by the core (`KvUrl::parse`): `zookeeper://host:port[,…][/chroot][?session_timeout_ms=N&call_timeout_ms=N]`
/// or `etcd://host:port[,…][?call_timeout_ms=N]`; `invalid_argument` otherwise.
#[napi]
pub fn store_kv_url(env: Env, url: String) -> Result<KvUrlParts> {
    let u = KvUrl::parse(&url).js(&env)?;
    Ok(KvUrlParts {
        engine: u.flavor.engine().to_string(),
        connect_string: u.connect_string(),
        hosts: u.hosts,
        chroot: u.chroot,
        session_timeout_ms: u.session_timeout_ms as f64,
        call_timeout_ms: u.call_timeout_ms as f64,
    })
}

/// The key of the counter `bizTag` on ZooKeeper and etcd (`invalid_argument` for a bad tag).
#[napi]
pub fn store_kv_counter_key(env: Env, biz_tag: String) -> Result<String> {
    idloom::stores::kv::counter_key(&biz_tag).js(&env)
}

/// Where a counter record's next range starts (`store_schema` when the text is not one).
#[napi(ts_return_type = "number | bigint")]
pub fn store_kv_counter(env: Env, text: String) -> Result<Whole> {
    Ok(num(idloom::stores::kv::decode_counter(&text).js(&env)?))
}
