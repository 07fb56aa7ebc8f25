//! Node leases (`docs/COORDINATION.md`): the core's lease state machine
//! (`LeaseMachine`). Every decision is the core's; JavaScript (`idloom/stores`)
//! runs the store texts, owns the renewal timer and maps driver failures to codes.

use crate::errors::{throw, IntoJs};
use idloom::lease::{Grant, Holder, Lease, LeaseConfig, LeaseState, Renewal, MAX_TTL_MS};
use idloom::ErrorCode;
use napi::bindgen_prelude::*;
use napi_derive::napi;

pub(crate) fn ms(env: &Env, v: f64, param: &'static str) -> Result<u64> {
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
        match self.holder.renewed(&grant, received).pair() {
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

    /// The event of the last step, once (the core's `Holder::take_event`):
    /// `lease_acquired`, a renewal's outcome, `lease_released`; null if none is new.
    #[napi]
    pub fn take_event(&mut self) -> Option<crate::events::EventRecord> {
        self.holder.take_event().map(Into::into)
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
