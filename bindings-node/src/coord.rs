//! Coordination for Node (`docs/COORDINATION.md`): the core's lease state machine
//! and the store texts `idloom/stores` runs on the host's drivers (pg,
//! ioredis). Every decision is the core's; JavaScript runs the texts, owns
//! the renewal timer and maps driver failures to codes.

use crate::errors::{throw, IntoJs};
use crate::snowflake::LayoutSpec;
use idloom::lease::{Grant, Holder, Lease, LeaseConfig, LeaseState, Renewal, MAX_TTL_MS};
use idloom::stores::renewal::Action;
use idloom::ErrorCode;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::collections::HashMap;

fn ms(env: &Env, v: f64, param: &'static str) -> Result<u64> {
    if !(v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_991.0) {
        return Err(throw(
            env,
            &idloom::Error::reason(ErrorCode::InvalidArgument, param, "must be a safe non-negative integer"),
        ));
    }
    Ok(v as u64)
}

/// A store's answer, as numbers.
#[napi(object)]
pub struct GrantSpec {
    pub node: f64,
    pub epoch: f64,
    pub start_ms: f64,
    pub fence_ms: f64,
    pub store_now_ms: f64,
}

impl GrantSpec {
    fn grant(&self, env: &Env) -> Result<Grant> {
        Ok(Grant {
            node: ms(env, self.node, "grant.node")?,
            epoch: ms(env, self.epoch, "grant.epoch")?,
            start_ms: ms(env, self.start_ms, "grant.startMs")?,
            fence_ms: ms(env, self.fence_ms, "grant.fenceMs")?,
            store_now_ms: ms(env, self.store_now_ms, "grant.storeNowMs")?,
        })
    }
}

/// The holder's side of one node lease, pure (no I/O): the core's
/// `Holder` — the fence to propose, the skew estimate, when to renew, what a
/// renewal's outcome means, what high-water to release with.
#[napi]
pub struct LeaseMachine {
    holder: Holder,
}

fn lost(env: &Env) -> napi::Error {
    throw(
        env,
        &idloom::Error::reason(ErrorCode::LeaseLost, "lease", "no node was granted yet"),
    )
}

#[napi]
impl LeaseMachine {
    #[napi(constructor)]
    pub fn new(env: Env, ttl_ms: f64, max_skew_ms: f64) -> Result<Self> {
        let config = LeaseConfig {
            ttl_ms: ms(&env, ttl_ms, "ttlMs")?,
            max_skew_ms: ms(&env, max_skew_ms, "maxSkewMs")?,
        };
        if config.ttl_ms > MAX_TTL_MS {
            return Err(throw(
                &env,
                &idloom::Error::range(ErrorCode::InvalidArgument, "ttlMs", config.ttl_ms, 1, MAX_TTL_MS),
            ));
        }
        Ok(LeaseMachine {
            holder: Holder::new(config).js(&env)?,
        })
    }

    /// Start an acquisition at holder time `nowMs`: the fence to propose.
    #[napi]
    pub fn begin_acquire(&mut self, env: Env, now_ms: f64) -> Result<f64> {
        Ok(self.holder.begin_acquire(ms(&env, now_ms, "nowMs")?) as f64)
    }

    /// The store granted a node; `clock_skew` when the clocks are too far apart.
    #[napi]
    pub fn granted(&mut self, env: Env, grant: GrantSpec, received_ms: f64) -> Result<()> {
        let grant = grant.grant(&env)?;
        let received = ms(&env, received_ms, "receivedMs")?;
        self.holder.granted(&grant, received).js(&env)
    }

    /// If a renewal is due at `nowMs`: mark it in flight, return the fence to propose.
    #[napi]
    pub fn begin_renew(&mut self, env: Env, now_ms: f64) -> Result<Option<f64>> {
        Ok(self.holder.begin_renew(ms(&env, now_ms, "nowMs")?).map(|f| f as f64))
    }

    /// Milliseconds from `nowMs` until the next renewal is due.
    #[napi]
    pub fn next_renewal_in_ms(&self, env: Env, now_ms: f64) -> Result<f64> {
        Ok(self.holder.next_renewal_in_ms(ms(&env, now_ms, "nowMs")?) as f64)
    }

    /// The store confirmed the renewal: `['renewed', fence]`, or `['retry',
    /// ms]` when it came too late to judge the clocks; throws when renewals
    /// end (`clock_skew`, a protocol error).
    #[napi(ts_return_type = "[string, number]")]
    pub fn renewed(&mut self, env: Env, grant: GrantSpec, received_ms: f64) -> Result<(String, f64)> {
        let grant = grant.grant(&env)?;
        let received = ms(&env, received_ms, "receivedMs")?;
        // The core's one action: ("renewed", fence) or ("retry", ms); a stop is thrown.
        match Action::from(self.holder.renewed(&grant, received)).pair() {
            Ok((action, n)) => Ok((action.into(), n as f64)),
            Err(e) => Err(throw(&env, &e)),
        }
    }

    /// The renewal failed without a protocol answer (`code`: the idloom code
    /// it was mapped to, none for a driver's own failure): in how many ms to
    /// retry, or null when renewals end.
    #[napi]
    pub fn renew_failed(&mut self, code: Option<String>) -> Option<f64> {
        match self.holder.renew_failed(code.as_deref().and_then(ErrorCode::from_name)) {
            Renewal::Retry { in_ms } => Some(in_ms as f64),
            _ => None,
        }
    }

    /// The store refused the renewal: the lease is lost. Returns the
    /// `lease_lost` message to report.
    #[napi]
    pub fn refused(&mut self, env: Env) -> Result<String> {
        match self.holder.refused() {
            Renewal::Stop(e) => Ok(e.to_string()),
            _ => Err(lost(&env)),
        }
    }

    /// A clean release after the generators stopped: `[node, epoch, highWaterMs]`.
    #[napi]
    pub fn release(&mut self, env: Env, high_water_ms: Option<f64>) -> Result<Vec<f64>> {
        let hw = match high_water_ms {
            Some(v) => Some(ms(&env, v, "highWaterMs")?),
            None => None,
        };
        let r = self.holder.release(hw).js(&env)?;
        Ok(vec![r.node as f64, r.epoch as f64, r.high_water_ms as f64])
    }

    /// `[node, epoch, startMs, fenceMs, skewMs, expiresMs]` of the lease held.
    #[napi]
    pub fn snapshot(&self, env: Env) -> Result<Vec<f64>> {
        let l = self.holder.lease().ok_or_else(|| lost(&env))?;
        Ok(vec![
            l.node() as f64,
            l.epoch() as f64,
            l.start_ms() as f64,
            l.fence_ms() as f64,
            l.skew_ms() as f64,
            l.expires_ms() as f64,
        ])
    }

    /// `pending` (nothing granted yet), `active`, `lost` or `released`.
    #[napi(getter)]
    pub fn state(&self) -> &'static str {
        match self.holder.lease().map(Lease::state) {
            None => "pending",
            Some(LeaseState::Active) => "active",
            Some(LeaseState::Lost) => "lost",
            Some(LeaseState::Released) => "released",
        }
    }

    /// How often to renew: every third of the TTL.
    #[napi(getter)]
    pub fn renew_every_ms(&self) -> f64 {
        self.holder.config().renew_every_ms() as f64
    }

    /// The TTL.
    #[napi(getter)]
    pub fn ttl_ms(&self) -> f64 {
        self.holder.config().ttl_ms as f64
    }
}

/// Every store text the core holds for `engine` (`postgres`, `mysql`, `redis`), by name.
#[napi]
pub fn store_texts(env: Env, engine: String) -> Result<HashMap<String, String>> {
    let texts = idloom::stores::texts(&engine).ok_or_else(|| {
        throw(
            &env,
            &idloom::Error::reason(ErrorCode::InvalidArgument, "engine", "must be postgres, mysql or redis"),
        )
    })?;
    Ok(texts.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect())
}

/// A segment text with its table name checked and in place.
#[napi]
pub fn store_segment_sql(env: Env, text: String, table: String) -> Result<String> {
    idloom::stores::segment_sql(&text, &table).js(&env)
}

/// A sequence's create text for sequence `index` of `count` handing out
/// ranges of `step` from `floor` (the core's start and increment, checked).
#[napi]
pub fn store_sequence_sql(env: Env, text: String, name: String, step: f64, floor: f64, index: f64, count: f64) -> Result<String> {
    let n = |v: f64, param: &'static str| -> Result<u64> {
        if v.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&v) {
            Ok(v as u64)
        } else {
            Err(throw(
                &env,
                &idloom::Error::reason(ErrorCode::InvalidArgument, param, "must be a non-negative safe integer"),
            ))
        }
    };
    let (start, increment) =
        idloom::stores::sequence_numbers(n(step, "step")?, n(floor, "floor")?, n(index, "index")?, n(count, "count")?).js(&env)?;
    idloom::stores::sequence_sql(&text, &name, start, increment).js(&env)
}

/// Compare-and-set rounds a Leaf `cas` fetch tries (the core's).
#[napi]
pub const STORE_CAS_TRIES: u32 = idloom::stores::CAS_TRIES;

/// The core's pause before compare-and-set round `attempt + 1`, in µs, for a uniform `unit` in [0, 1).
#[napi]
pub fn store_cas_pause_us(attempt: u32, unit: f64) -> f64 {
    idloom::stores::cas_pause_us(attempt, unit) as f64
}

/// Check a namespace name (1 to 64 of `A-Z a-z 0-9 _ . -`).
#[napi]
pub fn store_check_namespace(env: Env, namespace: String) -> Result<()> {
    idloom::stores::check_namespace(&namespace).js(&env)
}

/// Check a string a caller gives a store as input `kind` (`namespace`,
/// `biz_tag`, `holder`, `description`, `table`): the core's characters and
/// length, else `invalid_argument`.
#[napi]
pub fn store_check_input(env: Env, kind: String, value: String) -> Result<()> {
    idloom::inputs::check(&kind, &value).js(&env)
}

/// A store URL with its password shown as `***` (`scheme://user:***@host`,
/// `password=***`): what messages, `inspect` and the CLI show.
#[napi]
pub fn store_redact_url(url: String) -> String {
    idloom::secrets::redact_url(&url)
}

/// `text` (a message, a driver's error) with `url` redacted and its
/// password removed wherever it appears.
#[napi]
pub fn store_redact(text: String, url: String) -> String {
    idloom::secrets::redact(&text, &url)
}

/// What a MySQL URL's `ssl-mode` (null: absent) and `ssl-ca` ask for:
/// `DISABLED`, `REQUIRED`, `VERIFY_CA` or `VERIFY_IDENTITY` (the core decides).
#[napi]
pub fn store_mysql_tls(env: Env, ssl_mode: Option<String>, has_ca: bool) -> Result<&'static str> {
    Ok(idloom::tls::mysql_mode(ssl_mode.as_deref(), has_ca).js(&env)?.name())
}

/// The core's node count of a namespace on `engine` with the layout `spec`:
/// `nodes` checked (`invalid_argument` naming the range), or the default
/// (1,024, at most the layout's node count) when absent.
#[napi]
pub fn store_namespace_nodes(env: Env, engine: String, spec: LayoutSpec, nodes: Option<f64>) -> Result<f64> {
    let nodes = match nodes {
        None => None,
        Some(v) if v.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&v) => Some(v as u64),
        Some(_) => {
            return Err(throw(
                &env,
                &idloom::Error::reason(ErrorCode::InvalidArgument, "nodes", "must be a non-negative safe integer"),
            ))
        }
    };
    Ok(idloom::stores::namespace_nodes(&engine, &spec.layout(&env)?, nodes).js(&env)? as f64)
}

/// The record of a layout a namespace keeps.
#[napi]
pub fn store_layout_record(env: Env, spec: LayoutSpec) -> Result<String> {
    Ok(idloom::stores::layout_record(&spec.layout(&env)?))
}

/// The core's check of a Redis counter's floor for ranges of `step` (Lua
/// computes in doubles: below 2^53 − 1 − step, else `invalid_range`).
#[napi]
pub fn store_redis_counter_floor(env: Env, floor: f64, step: f64) -> Result<f64> {
    // Any non-negative integer (a floor past 2^53 is what the core refuses by range).
    let n = |v: f64, param: &'static str| -> Result<u64> {
        if v.fract() == 0.0 && v >= 0.0 {
            Ok(v as u64)
        } else {
            Err(throw(
                &env,
                &idloom::Error::reason(ErrorCode::InvalidArgument, param, "must be a non-negative integer"),
            ))
        }
    };
    let floor = n(floor, "floor")?;
    let step = n(step, "step")?;
    Ok(idloom::stores::redis::check_counter_floor(floor, step).js(&env)? as f64)
}

/// Redis keys: `ns` (a namespace's record) or `counter` (a segment counter).
#[napi]
pub fn store_redis_key(env: Env, kind: String, name: String) -> Result<String> {
    match kind.as_str() {
        "ns" => {
            idloom::stores::check_namespace(&name).js(&env)?;
            Ok(idloom::stores::redis::namespace_key(&name))
        }
        _ => {
            idloom::inputs::biz_tag(&name).js(&env)?;
            Ok(idloom::stores::redis::counter_key(&name))
        }
    }
}

/// A host-local slot: slot *k* of *count* under `dir/namespace`, held by an
/// exclusive file lock as long as this object (and the process) lives; node
/// = `hostBase + k`. For `cluster` and PM2 workers: claim it in the worker.
#[napi]
pub struct Slot {
    slot: std::sync::Mutex<Option<idloom::state::Slot>>,
    index: u64,
    node: u64,
    layout: idloom::Layout,
}

impl Slot {
    /// The slot's process-wide fence file.
    pub(crate) fn fence(&self, env: &Env) -> Result<std::sync::Arc<idloom::state::FileFence>> {
        let guard = self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = guard.as_ref().ok_or_else(|| {
            throw(
                env,
                &idloom::Error::reason(ErrorCode::NoFreeNode, "slot", "released: claim a slot again"),
            )
        })?;
        slot.fence(&self.layout).js(env)
    }
    pub(crate) fn node_id(&self) -> u64 {
        self.node
    }
    pub(crate) fn layout(&self) -> idloom::Layout {
        self.layout
    }
}

#[napi]
impl Slot {
    /// Claim the first free slot of `count`; `no_free_node` when every slot is held by a live process.
    #[napi(factory)]
    pub fn claim(env: Env, dir: String, namespace: String, count: f64, host_base: f64, spec: LayoutSpec) -> Result<Slot> {
        let layout = spec.layout(&env)?;
        let count = ms(&env, count, "count")?;
        let host_base = ms(&env, host_base, "hostBase")?;
        if host_base > layout.max_node() {
            return Err(throw(
                &env,
                &idloom::Error::range(ErrorCode::NodeOutOfRange, "hostBase", host_base, 0, layout.max_node()),
            ));
        }
        let slot = idloom::state::Slot::claim(std::path::Path::new(&dir), &namespace, count, host_base, layout.max_node()).js(&env)?;
        Ok(Slot {
            index: slot.index(),
            node: slot.node(),
            slot: std::sync::Mutex::new(Some(slot)),
            layout,
        })
    }

    /// The slot index *k*.
    #[napi(getter)]
    pub fn index(&self) -> f64 {
        self.index as f64
    }

    /// The node: `hostBase + k`.
    #[napi(getter)]
    pub fn node(&self) -> f64 {
        self.node as f64
    }

    /// Whether this object still holds the lock.
    #[napi(getter)]
    pub fn held(&self) -> bool {
        self.slot.lock().map(|s| s.is_some()).unwrap_or(false)
    }

    /// Let the slot go now (it also goes when the process dies).
    #[napi]
    pub fn release(&self) {
        if let Ok(mut s) = self.slot.lock() {
            s.take();
        }
    }
}
