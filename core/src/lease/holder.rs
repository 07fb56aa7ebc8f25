//! [`Holder`]: one lease as a binding drives it, and what a renewal's
//! outcome means ([`Renewal`]).

use super::config::LeaseConfig;
use super::messages::{Grant, Proposal, Release};
use super::tenure::Lease;
use super::tenure::LeaseState;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, Kind};

/// What a holder does after a renewal attempt (see [`Holder`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// Confirmed: the fence moved to `fence_ms` (extend the generators).
    Renewed {
        /// The confirmed fence.
        fence_ms: u64,
    },
    /// No usable answer (no answer, or too late to judge the clocks): the
    /// fence stands; renew again in `in_ms`.
    Retry {
        /// When to try again.
        in_ms: u64,
    },
    /// Renewals end: `lease_lost` (refused: stop the generators at the
    /// fence), `clock_skew` or a protocol error (the fence stays; release).
    Stop(Error),
}

impl Renewal {
    /// The event this outcome is, for the lease on `node` under `epoch`
    /// whose confirmed fence was `fence_ms`: renewed (the new fence), a
    /// renewal failed (retry in …), lost (refused) or expired (renewals
    /// ended another way, with the code).
    pub fn event(&self, node: u64, epoch: u64, fence_ms: u64) -> Event<'static> {
        let at = |kind| Event::new(kind).lease(node, epoch);
        match self {
            Renewal::Renewed { fence_ms } => at(Kind::LeaseRenewed).fence(*fence_ms),
            Renewal::Retry { in_ms } => at(Kind::LeaseRenewalFailed)
                .fence(fence_ms)
                .code(ErrorCode::StoreUnavailable.as_str())
                .retry_in(*in_ms),
            Renewal::Stop(e) if e.code() == ErrorCode::LeaseLost => at(Kind::LeaseLost).fence(fence_ms).code(e.code().as_str()),
            Renewal::Stop(e) => at(Kind::LeaseExpired).fence(fence_ms).code(e.code().as_str()),
        }
    }
}

/// The holder's side of one lease as a binding drives it: the proposal in
/// flight, the lease once granted, when to renew and what a renewal's
/// outcome means. Pure (no I/O, no clock): every host (Python threads and
/// asyncio, Node timers, a Worker's requests) runs the same decisions.
#[derive(Debug, Clone)]
pub struct Holder {
    config: LeaseConfig,
    lease: Option<Lease>,
    pending: Option<Proposal>,
    /// The event of the last step, until the binding takes it ([`Holder::take_event`]).
    event: Option<Event<'static>>,
}

impl Holder {
    /// A holder for a namespace's `config` (checked).
    pub fn new(config: LeaseConfig) -> Result<Self> {
        config.validate()?;
        Ok(Holder {
            config,
            lease: None,
            pending: None,
            event: None,
        })
    }

    /// The configuration.
    pub const fn config(&self) -> &LeaseConfig {
        &self.config
    }

    /// The lease, once granted.
    pub const fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    fn no_lease() -> Error {
        Error::reason(ErrorCode::LeaseLost, "lease", "no node was granted yet")
    }

    /// Start an acquisition at holder time `now_ms`: the fence to propose.
    pub fn begin_acquire(&mut self, now_ms: u64) -> u64 {
        let p = Lease::propose(&self.config, now_ms);
        self.pending = Some(p);
        p.fence_ms
    }

    /// The store granted a node, answered at `received_ms`. `clock_skew` (or
    /// `store_unavailable`, too late to judge) refuses it: give the node back
    /// with [`Grant::release_unused`].
    pub fn granted(&mut self, grant: &Grant, received_ms: u64) -> Result<()> {
        let proposal = self
            .pending
            .take()
            .ok_or(Error::reason(ErrorCode::InvalidArgument, "granted", "without begin_acquire"))?;
        let l = Lease::from_grant(self.config, &proposal, grant, received_ms)?;
        self.event = Some(Event::new(Kind::LeaseAcquired).lease(l.node(), l.epoch()).fence(l.fence_ms()));
        self.lease = Some(l);
        Ok(())
    }

    /// If a renewal is due at `now_ms`: mark it in flight, the fence to propose.
    pub fn begin_renew(&mut self, now_ms: u64) -> Option<u64> {
        let p = self.lease.as_mut()?.begin_renew(now_ms);
        self.pending = p;
        p.map(|p| p.fence_ms)
    }

    /// How long from `now_ms` until the next renewal is due (at most a third of the TTL).
    pub fn next_renewal_in_ms(&self, now_ms: u64) -> u64 {
        let every = self.config.renew_every_ms();
        match &self.lease {
            Some(l) => (l.expires_ms() - self.config.ttl_ms + every).saturating_sub(now_ms).min(every),
            None => every,
        }
    }

    /// How soon to retry a renewal that got no usable answer: a quarter of
    /// the renewal period (at least 10 ms), so several tries fit before the fence.
    pub const fn retry_in_ms(&self) -> u64 {
        let q = self.config.renew_every_ms() / 4;
        if q < 10 {
            10
        } else {
            q
        }
    }

    /// The store confirmed the renewal (answered at `received_ms`).
    pub fn renewed(&mut self, grant: &Grant, received_ms: u64) -> Renewal {
        let before = self.active();
        let r = self.renewed_inner(grant, received_ms);
        self.judged(before, r)
    }

    fn renewed_inner(&mut self, grant: &Grant, received_ms: u64) -> Renewal {
        let proposal = self.pending.take();
        let retry = self.retry_in_ms();
        let Some(lease) = self.lease.as_mut() else {
            return Renewal::Stop(Self::no_lease());
        };
        let Some(proposal) = proposal else {
            lease.renew_failed();
            return Renewal::Stop(Error::reason(ErrorCode::InvalidArgument, "renewed", "without begin_renew"));
        };
        match lease.renewed(&proposal, grant, received_ms) {
            Ok(()) => Renewal::Renewed {
                fence_ms: lease.fence_ms(),
            },
            // Answered too late to judge the clocks (a paused holder, a slow store).
            Err(e) if e.code() == ErrorCode::StoreUnavailable => Renewal::Retry { in_ms: retry },
            Err(e) => Renewal::Stop(e),
        }
    }

    /// The renewal failed without an answer from the protocol: `code` is the
    /// idloom code the host mapped the failure to (`None`: not one of ours,
    /// e.g. a driver's own exception). `store_unavailable` and unknown
    /// failures retry; any other code ends renewals with it.
    pub fn renew_failed(&mut self, code: Option<ErrorCode>) -> Renewal {
        let before = self.active();
        self.pending = None;
        if let Some(l) = self.lease.as_mut() {
            l.renew_failed();
        }
        let r = match code {
            None | Some(ErrorCode::StoreUnavailable) => Renewal::Retry { in_ms: self.retry_in_ms() },
            Some(c) => Renewal::Stop(Error::reason(c, "renewal", "the store refused it")),
        };
        self.judged(before, r)
    }

    /// The store refused the renewal (another epoch or holder): `lease_lost`.
    pub fn refused(&mut self) -> Renewal {
        let before = self.active();
        self.pending = None;
        let r = Renewal::Stop(match self.lease.as_mut() {
            Some(l) => l.refused(),
            None => Self::no_lease(),
        });
        self.judged(before, r)
    }

    /// A clean release after the generators stopped (see [`Lease::release`]).
    pub fn release(&mut self, high_water_ms: Option<u64>) -> Result<Release> {
        let r = self.lease.as_mut().ok_or_else(Self::no_lease)?.release(high_water_ms)?;
        self.event = Some(Event::new(Kind::LeaseReleased).lease(r.node, r.epoch).fence(r.high_water_ms));
        Ok(r)
    }

    /// The event of the last step, once: `lease_acquired` (after
    /// [`granted`](Self::granted)), a renewal's outcome while the lease was
    /// active ([`Renewal::event`]: renewed, renewal failed, lost, expired;
    /// a released lease ends quietly), `lease_released` (its `fence_ms` is
    /// the high-water). Bindings take it after each step and deliver it
    /// outside their locks (a logger, hooks, an emitter, counters).
    pub fn take_event(&mut self) -> Option<Event<'static>> {
        self.event.take()
    }

    fn active(&self) -> bool {
        self.lease.as_ref().is_some_and(|l| l.state() == LeaseState::Active)
    }

    /// Record a renewal's outcome as the event of this step (for a lease
    /// that was active when the step began).
    fn judged(&mut self, was_active: bool, r: Renewal) -> Renewal {
        if let (true, Some(l)) = (was_active, self.lease.as_ref()) {
            self.event = Some(r.event(l.node(), l.epoch(), l.fence_ms()));
        }
        r
    }
}
