//! The core's one state machine for every call on ZooKeeper and etcd
//! (`idloom::stores::kvcall`), with the names and shapes of the Node
//! addon's (`bindings-node/src/kvcall.rs`, whose docs give them): `KvCall`,
//! `Revisions`, `storeKvUrl`, `storeKvCounterKey`, `storeKvCounter`.
//! Versions cross as decimal strings (exact at 64 bits).

use crate::errors::{bad, IntoJs, Out};
use crate::stores::{field, num, reading_parts};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use idloom::lease::LeaseConfig;
use idloom::stores::kvcall::{self, Answer, Flavor, Identity, KvUrl, Need, Versioned, Write};
use idloom::ErrorCode;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

fn set(o: &Object, name: &str, v: &JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(name), v);
}

fn invalid(param: &'static str, reason: &'static str) -> JsValue {
    bad(ErrorCode::InvalidArgument, param, reason)
}

/// A whole number from a JS number or BigInt.
fn whole(v: &JsValue, param: &'static str) -> Out<u64> {
    if let Some(n) = v.as_f64() {
        if (0.0..=9_007_199_254_740_991.0).contains(&n) && n == (n as u64) as f64 {
            return Ok(n as u64);
        }
        return Err(invalid(param, "must be a safe non-negative integer or a bigint"));
    }
    if v.is_bigint() {
        return u64::try_from(v.clone()).map_err(|_| invalid(param, "must be a non-negative integer within 64 bits"));
    }
    Err(invalid(param, "must be a safe non-negative integer or a bigint"))
}

/// A version from a decimal string, a JS number or a BigInt.
fn version(v: &JsValue, param: &'static str) -> Out<i64> {
    let wrong = || invalid(param, "must be an integer within 64 bits (a decimal string, a number or a bigint)");
    if let Some(t) = v.as_string() {
        return t.parse().map_err(|_| wrong());
    }
    if let Some(n) = v.as_f64() {
        if n.abs() <= 9_007_199_254_740_991.0 && n == (n as i64) as f64 {
            return Ok(n as i64);
        }
        return Err(wrong());
    }
    if v.is_bigint() {
        return i64::try_from(v.clone()).map_err(|_| wrong());
    }
    Err(wrong())
}

fn text(v: &JsValue, param: &'static str) -> Out<String> {
    v.as_string().ok_or_else(|| bad(ErrorCode::InvalidType, param, "must be a string"))
}

fn write_of(w: Write) -> JsValue {
    let o = Object::new();
    let (op, key, txt, ver, ttl) = match w {
        Write::Create { key, text } => ("create", key, Some(text), None, None),
        Write::Set { key, text, version } => ("set", key, Some(text), Some(version), None),
        Write::Check { key, version } => ("check", key, None, Some(version), None),
        Write::Live { key, text, ttl_s } => ("live", key, Some(text), None, Some(ttl_s)),
        Write::Delete { key } => ("delete", key, None, None, None),
    };
    set(&o, "op", &JsValue::from_str(op));
    set(&o, "key", &JsValue::from_str(&key));
    if let Some(t) = txt {
        set(&o, "text", &JsValue::from_str(&t));
    }
    if let Some(v) = ver {
        set(&o, "version", &JsValue::from_str(&v.to_string()));
    }
    if let Some(t) = ttl {
        set(&o, "ttlS", &JsValue::from_f64(t as f64));
    }
    o.into()
}

fn need_of(need: Need) -> JsValue {
    let o = Object::new();
    let kind = match need {
        Need::Ensure(keys) => {
            set(&o, "keys", &keys.iter().map(|k| JsValue::from_str(k)).collect::<Array>());
            "ensure"
        }
        Need::Now(key) => {
            set(&o, "key", &JsValue::from_str(&key));
            "now"
        }
        Need::Get(key) => {
            set(&o, "key", &JsValue::from_str(&key));
            "get"
        }
        Need::List(prefix) => {
            set(&o, "prefix", &JsValue::from_str(&prefix));
            "list"
        }
        Need::Commit(writes) => {
            set(&o, "writes", &writes.into_iter().map(write_of).collect::<Array>());
            "commit"
        }
        Need::RollbackHandled => "rollbackHandled",
        Need::Pause(us) => {
            set(&o, "us", &num(us));
            "pause"
        }
        Need::Finished(reading) => {
            set(&o, "reading", &reading_parts(&reading));
            "finished"
        }
    };
    set(&o, "need", &JsValue::from_str(kind));
    o.into()
}

fn versioned(r: &JsValue) -> Out<Versioned> {
    let written = field(r, "writtenMs");
    Ok(Versioned {
        text: text(&field(r, "text"), "record.text")?,
        version: version(&field(r, "version"), "record.version")?,
        written_ms: if written.is_null() || written.is_undefined() {
            None
        } else {
            Some(whole(&written, "record.writtenMs")?)
        },
    })
}

fn identity_of(i: &JsValue) -> Out<Identity> {
    let name = || {
        field(i, "name")
            .as_string()
            .ok_or_else(|| invalid("identity.name", "a named identity needs its name"))
    };
    match field(i, "kind").as_string().as_deref() {
        Some("named") => Ok(Identity::Named(name()?)),
        Some("rolledBack") => Ok(Identity::RolledBack(name()?)),
        Some("silence") => Ok(Identity::Silence),
        _ => Err(invalid("identity.kind", "must be 'named', 'rolledBack' or 'silence'")),
    }
}

fn identity_js(i: Identity) -> JsValue {
    let o = Object::new();
    let (kind, name) = match i {
        Identity::Named(n) => ("named", Some(n)),
        Identity::RolledBack(n) => ("rolledBack", Some(n)),
        Identity::Silence => ("silence", None),
    };
    set(&o, "kind", &JsValue::from_str(kind));
    if let Some(n) = name {
        set(&o, "name", &JsValue::from_str(&n));
    }
    o.into()
}

fn absent(v: &JsValue) -> bool {
    v.is_null() || v.is_undefined()
}

fn answer_of(a: &JsValue) -> Out<Answer> {
    Ok(match field(a, "kind").as_string().as_deref() {
        Some("done") => Answer::Done,
        Some("now") => {
            let (ms, identity) = (field(a, "ms"), field(a, "identity"));
            if absent(&ms) {
                Answer::Now(None)
            } else if absent(&identity) {
                return Err(invalid("answer.identity", "a clock read answers the store's identity too"));
            } else {
                Answer::Now(Some((whole(&ms, "answer.ms")?, identity_of(&identity)?)))
            }
        }
        Some("got") => {
            let r = field(a, "record");
            Answer::Got(if absent(&r) { None } else { Some(versioned(&r)?) })
        }
        Some("listed") => {
            let records = field(a, "records");
            let mut out = Vec::new();
            if !absent(&records) {
                for r in Array::from(&records).iter() {
                    let key = field(&r, "key")
                        .as_string()
                        .ok_or_else(|| invalid("answer.records", "each record names its key"))?;
                    out.push((key, versioned(&r)?));
                }
            }
            Answer::Listed(out)
        }
        Some("committed") => Answer::Committed(
            field(a, "ok")
                .as_bool()
                .ok_or_else(|| invalid("answer.ok", "a commit answers whether it held"))?,
        ),
        _ => return Err(invalid("answer.kind", "must be 'done', 'now', 'got', 'listed' or 'committed'")),
    })
}

fn flavor(engine: &str) -> Out<Flavor> {
    Flavor::of(engine).js()
}

/// One call of the lease protocol (or a counter's) on ZooKeeper or etcd.
#[wasm_bindgen(js_name = KvCall)]
pub struct WasmKvCall {
    inner: kvcall::KvCall,
}

#[wasm_bindgen(js_class = KvCall)]
impl WasmKvCall {
    /// Create `namespace` if missing; finishes `['namespace', …]`.
    #[wasm_bindgen(js_name = createNamespace)]
    #[allow(clippy::too_many_arguments)]
    pub fn create_namespace(
        engine: &str,
        namespace: &str,
        layout: &str,
        nodes: JsValue,
        ttl_ms: JsValue,
        max_skew_ms: JsValue,
        fresh: bool,
    ) -> Out<WasmKvCall> {
        let config = LeaseConfig {
            ttl_ms: whole(&ttl_ms, "ttl_ms")?,
            max_skew_ms: whole(&max_skew_ms, "max_skew_ms")?,
        };
        let nodes = whole(&nodes, "nodes")?;
        let inner = kvcall::KvCall::create_namespace(flavor(engine)?, namespace, layout, nodes, config, fresh).js()?;
        Ok(WasmKvCall { inner })
    }

    /// A namespace's record: finishes `['namespace', …]` or `['missing']`.
    pub fn namespace(engine: &str, namespace: &str) -> Out<WasmKvCall> {
        let inner = kvcall::KvCall::namespace(flavor(engine)?, namespace).js()?;
        Ok(WasmKvCall { inner })
    }

    /// An acquire by `holder`: finishes `['grant', …]` or throws `no_free_node`.
    pub fn acquire(engine: &str, namespace: &str, holder: &str, proposed_fence_ms: JsValue) -> Out<WasmKvCall> {
        let proposed = whole(&proposed_fence_ms, "proposed_fence_ms")?;
        let inner = kvcall::KvCall::acquire(flavor(engine)?, namespace, holder, proposed).js()?;
        Ok(WasmKvCall { inner })
    }

    /// A renewal: finishes `['grant', …]`, or `['refused']`.
    #[allow(clippy::too_many_arguments)]
    pub fn renew(
        engine: &str,
        namespace: &str,
        node: JsValue,
        epoch: JsValue,
        start_ms: JsValue,
        holder: &str,
        proposed_fence_ms: JsValue,
    ) -> Out<WasmKvCall> {
        let (node, epoch) = (whole(&node, "node")?, whole(&epoch, "epoch")?);
        let start = whole(&start_ms, "start_ms")?;
        let proposed = whole(&proposed_fence_ms, "proposed_fence_ms")?;
        let inner = kvcall::KvCall::renew(flavor(engine)?, namespace, node, epoch, start, holder, proposed).js()?;
        Ok(WasmKvCall { inner })
    }

    /// A clean release with the holder's high-water: finishes `['done']` or throws `lease_lost`.
    #[allow(clippy::too_many_arguments)]
    pub fn release(
        engine: &str,
        namespace: &str,
        node: JsValue,
        epoch: JsValue,
        start_ms: JsValue,
        holder: &str,
        high_water_ms: JsValue,
    ) -> Out<WasmKvCall> {
        let (node, epoch) = (whole(&node, "node")?, whole(&epoch, "epoch")?);
        let start = whole(&start_ms, "start_ms")?;
        let high = whole(&high_water_ms, "high_water_ms")?;
        let inner = kvcall::KvCall::release(flavor(engine)?, namespace, node, epoch, start, holder, high).js()?;
        Ok(WasmKvCall { inner })
    }

    /// Every node's status: finishes `['nodes', …]`.
    pub fn nodes(engine: &str, namespace: &str) -> Out<WasmKvCall> {
        let inner = kvcall::KvCall::nodes(flavor(engine)?, namespace).js()?;
        Ok(WasmKvCall { inner })
    }

    /// The counter `bizTag` at `floor` if missing; `guard` is refused.
    #[wasm_bindgen(js_name = createCounter)]
    pub fn create_counter(engine: &str, biz_tag: &str, floor: JsValue, step: JsValue, guard: bool) -> Out<WasmKvCall> {
        let (floor, step) = (whole(&floor, "floor")?, whole(&step, "step")?);
        let inner = kvcall::KvCall::create_counter(flavor(engine)?, biz_tag, floor, step, guard).js()?;
        Ok(WasmKvCall { inner })
    }

    /// A range of `step` from the counter `bizTag` by compare-and-set: finishes `['range', start, end]`.
    pub fn fetch(engine: &str, biz_tag: &str, step: JsValue, seed: JsValue) -> Out<WasmKvCall> {
        let (step, seed) = (whole(&step, "step")?, whole(&seed, "seed")?);
        let inner = kvcall::KvCall::fetch(flavor(engine)?, biz_tag, step, seed).js()?;
        Ok(WasmKvCall { inner })
    }

    /// The first need.
    pub fn start(&mut self) -> Out<JsValue> {
        Ok(need_of(self.inner.start().js()?))
    }

    /// The answer to the last need; the next need.
    pub fn answer(&mut self, answer: JsValue) -> Out<JsValue> {
        let answer = answer_of(&answer)?;
        Ok(need_of(self.inner.answer(answer).js()?))
    }
}

/// A store handle's watch on etcd's revision (one per store).
#[wasm_bindgen(js_name = Revisions)]
pub struct WasmRevisions {
    inner: kvcall::Revisions,
}

#[wasm_bindgen(js_class = Revisions)]
impl WasmRevisions {
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> WasmRevisions {
        WasmRevisions {
            inner: kvcall::Revisions::new(),
        }
    }

    /// The highest revision seen so far (a decimal string).
    pub fn seen(&self) -> String {
        self.inner.seen().to_string()
    }

    /// The identity a call sees from a response header.
    pub fn identity(&mut self, cluster_id: JsValue, seen_before: JsValue, revision: JsValue) -> Out<JsValue> {
        let cluster = match cluster_id.as_string() {
            Some(t) => t
                .parse::<u64>()
                .map_err(|_| invalid("clusterId", "must be an unsigned 64-bit integer"))?,
            None => whole(&cluster_id, "clusterId")?,
        };
        let seen = version(&seen_before, "seenBefore")?;
        let revision = version(&revision, "revision")?;
        Ok(identity_js(self.inner.identity(cluster, seen, revision)))
    }

    /// The floor rose: stop reporting the rollback.
    pub fn handled(&mut self) {
        self.inner.handled();
    }
}

/// `url` read by the core (`KvUrl::parse`).
#[wasm_bindgen(js_name = storeKvUrl)]
pub fn store_kv_url(url: &str) -> Out<JsValue> {
    let u = KvUrl::parse(url).js()?;
    let o = Object::new();
    set(&o, "engine", &JsValue::from_str(u.flavor.engine()));
    set(&o, "hosts", &u.hosts.iter().map(|h| JsValue::from_str(h)).collect::<Array>());
    if let Some(c) = &u.chroot {
        set(&o, "chroot", &JsValue::from_str(c));
    }
    set(&o, "connectString", &JsValue::from_str(&u.connect_string()));
    set(&o, "sessionTimeoutMs", &JsValue::from_f64(u.session_timeout_ms as f64));
    set(&o, "callTimeoutMs", &JsValue::from_f64(u.call_timeout_ms as f64));
    Ok(o.into())
}

/// The key of the counter `bizTag` on ZooKeeper and etcd.
#[wasm_bindgen(js_name = storeKvCounterKey)]
pub fn store_kv_counter_key(biz_tag: &str) -> Out<String> {
    idloom::stores::kv::counter_key(biz_tag).js()
}

/// Where a counter record's next range starts (`store_schema` when the text is not one).
#[wasm_bindgen(js_name = storeKvCounter)]
pub fn store_kv_counter(text: &str) -> Out<JsValue> {
    Ok(num(idloom::stores::kv::decode_counter(text).js()?))
}
