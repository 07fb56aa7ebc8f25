//! [`Lease`]: the holder's side of one lease, from the grant to a renewal,
//! a refusal or the release.

use super::config::LeaseConfig;
use super::messages::{Grant, Proposal, Release};
use crate::error::{Detail, Error, ErrorCode, Result};

/// Where a lease stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseState {
    /// Held: renew when [`Lease::renew_due`] says so.
    Active,
    /// A renewal was refused: the node belongs to someone else from the fence on.
    Lost,
    /// Released cleanly.
    Released,
}

/// The holder's side of one lease (see the module docs).
#[derive(Debug, Clone)]
pub struct Lease {
    config: LeaseConfig,
    node: u64,
    epoch: u64,
    start_ms: u64,
    fence_ms: u64,
    /// When (holder clock) the request of the last confirming answer left:
    /// the store's expiry is at least a TTL after it.
    confirmed_sent_ms: u64,
    skew_ms: i64,
    renewal_sent_ms: Option<u64>,
    state: LeaseState,
}

/// Skew of the store's clock from the holder's, from one round trip:
/// (store now − midpoint, half the round trip).
fn skew(sent_ms: u64, received_ms: u64, store_now_ms: u64) -> (i64, u64) {
    let half = received_ms.saturating_sub(sent_ms) / 2;
    let midpoint = sent_ms.saturating_add(half);
    let skew = i128::from(store_now_ms) - i128::from(midpoint);
    (skew.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64, half)
}

impl Lease {
    /// What to ask for at holder time `now_ms`: a fence one TTL ahead.
    pub fn propose(config: &LeaseConfig, now_ms: u64) -> Proposal {
        Proposal {
            fence_ms: now_ms.saturating_add(config.ttl_ms),
            sent_ms: now_ms,
        }
    }

    /// The skew from one round trip, or an error. The store read its clock
    /// somewhere between sending and receiving, so the true skew lies within
    /// `skew ± uncertainty`. Within the bound everywhere: accepted. Beyond it
    /// everywhere: `clock_skew`. Otherwise the round trip was too long to
    /// judge the clocks (a pause, a slow store, a request queued while the
    /// client reconnected): `store_unavailable` — transient: try again. (A
    /// slow answer must not read as skew: the soak found a renewal queued
    /// through a Redis restart reported as `clock_skew`, ending renewals.)
    fn check_skew(config: &LeaseConfig, proposal: &Proposal, grant: &Grant, received_ms: u64) -> Result<i64> {
        let (skew_ms, uncertainty_ms) = skew(proposal.sent_ms, received_ms, grant.store_now_ms);
        if skew_ms.unsigned_abs().saturating_add(uncertainty_ms) > config.max_skew_ms {
            let code = if skew_ms.unsigned_abs().saturating_sub(uncertainty_ms) > config.max_skew_ms {
                ErrorCode::ClockSkew
            } else {
                ErrorCode::StoreUnavailable
            };
            return Err(Error::new(
                code,
                Detail::Skew {
                    skew_ms,
                    uncertainty_ms,
                    max_ms: config.max_skew_ms,
                },
            ));
        }
        Ok(skew_ms)
    }

    fn check_grant(grant: &Grant) -> Result<()> {
        if grant.fence_ms < grant.start_ms {
            return Err(Error::reason(
                ErrorCode::StoreSchema,
                "grant",
                "the store answered a fence below the lease's start: not the idloom protocol",
            ));
        }
        Ok(())
    }

    /// The lease the store granted for `proposal`, answered at holder time
    /// `received_ms`. Refused with `clock_skew` when the store's clock is
    /// further than `max_skew_ms` from the holder's (give the node back then).
    pub fn from_grant(config: LeaseConfig, proposal: &Proposal, grant: &Grant, received_ms: u64) -> Result<Lease> {
        config.validate()?;
        Self::check_grant(grant)?;
        let skew_ms = Self::check_skew(&config, proposal, grant, received_ms)?;
        Ok(Lease {
            config,
            node: grant.node,
            epoch: grant.epoch,
            start_ms: grant.start_ms,
            fence_ms: grant.fence_ms,
            confirmed_sent_ms: proposal.sent_ms,
            skew_ms,
            renewal_sent_ms: None,
            state: LeaseState::Active,
        })
    }

    /// The node.
    pub const fn node(&self) -> u64 {
        self.node
    }
    /// The epoch (fencing token).
    pub const fn epoch(&self) -> u64 {
        self.epoch
    }
    /// ID time from which this holder mints.
    pub const fn start_ms(&self) -> u64 {
        self.start_ms
    }
    /// ID time before which every tick it mints must end (the last confirmed fence).
    pub const fn fence_ms(&self) -> u64 {
        self.fence_ms
    }
    /// The store's clock minus the holder's, as last estimated.
    pub const fn skew_ms(&self) -> i64 {
        self.skew_ms
    }
    /// The state.
    pub const fn state(&self) -> LeaseState {
        self.state
    }
    /// The configuration.
    pub const fn config(&self) -> &LeaseConfig {
        &self.config
    }

    /// Holder time from which the store may give the node away unless a
    /// renewal lands first (a lower bound: the store's expiry is a TTL after
    /// it received the request, which left no earlier than this).
    pub const fn expires_ms(&self) -> u64 {
        self.confirmed_sent_ms.saturating_add(self.config.ttl_ms)
    }

    /// Whether to start a renewal at holder time `now_ms`: active, none in
    /// flight, and a third of the TTL since the last confirmed request — or
    /// the clock reads before that request: it stepped back, and only a
    /// renewal lets the store's clock judge it (`clock_skew`). Waiting for
    /// the stepped clock to come round again would let the store's TTL run
    /// out unrenewed (the soak found the lease lost instead of the skew told).
    pub fn renew_due(&self, now_ms: u64) -> bool {
        self.state == LeaseState::Active
            && self.renewal_sent_ms.is_none()
            && (now_ms >= self.confirmed_sent_ms.saturating_add(self.config.renew_every_ms()) || now_ms < self.confirmed_sent_ms)
    }

    /// Start a renewal at `now_ms` if one is due: what to send.
    pub fn begin_renew(&mut self, now_ms: u64) -> Option<Proposal> {
        if !self.renew_due(now_ms) {
            return None;
        }
        self.renewal_sent_ms = Some(now_ms);
        Some(Lease::propose(&self.config, now_ms))
    }

    /// The store confirmed the renewal: the fence moves on (never back).
    /// `clock_skew` if the clocks drifted apart: the fence stays where it
    /// was, and the holder should stop and release. `store_unavailable` if
    /// the answer came too late to judge the clocks (the holder was paused,
    /// the store was slow): the fence stays, and another renewal may start.
    pub fn renewed(&mut self, proposal: &Proposal, grant: &Grant, received_ms: u64) -> Result<()> {
        self.renewal_sent_ms = None;
        if self.state != LeaseState::Active {
            return Err(self.not_active());
        }
        if grant.node != self.node || grant.epoch != self.epoch {
            return Err(Error::reason(
                ErrorCode::StoreSchema,
                "grant",
                "the store confirmed a renewal for another node or epoch: not the idloom protocol",
            ));
        }
        Self::check_grant(grant)?;
        self.skew_ms = Self::check_skew(&self.config, proposal, grant, received_ms)?;
        self.fence_ms = self.fence_ms.max(grant.fence_ms);
        // The latest confirmed request, even when the clock read earlier than
        // the one before (a small step back, within max_skew): the expiry it
        // implies is then earlier (conservative), and the next renewal is a
        // third of the TTL on, not at once again until the clock comes round.
        self.confirmed_sent_ms = proposal.sent_ms;
        Ok(())
    }

    /// The renewal did not get an answer (store unavailable): another may
    /// start at once. The lease stands until its fence.
    pub fn renew_failed(&mut self) {
        self.renewal_sent_ms = None;
    }

    /// The store refused the renewal (zero rows: epoch or holder changed).
    /// The holder may mint below the last confirmed fence, never past it;
    /// returns the `lease_lost` error to report.
    pub fn refused(&mut self) -> Error {
        self.renewal_sent_ms = None;
        self.state = LeaseState::Lost;
        self.lost_error()
    }

    fn lost_error(&self) -> Error {
        Error::new(
            ErrorCode::LeaseLost,
            Detail::Fence {
                node: self.node,
                epoch: self.epoch,
                tick_ms: self.fence_ms,
                fence_ms: self.fence_ms,
                lost: true,
            },
        )
    }

    fn not_active(&self) -> Error {
        match self.state {
            LeaseState::Lost => self.lost_error(),
            _ => Error::reason(ErrorCode::LeaseLost, "lease", "released: lease a node again"),
        }
    }

    /// A clean shutdown after the generator stopped: release with the end of
    /// the last tick minted (`None`: nothing minted), clamped into
    /// `[start, fence]`. A lost lease has nothing to release.
    pub fn release(&mut self, high_water_ms: Option<u64>) -> Result<Release> {
        if self.state != LeaseState::Active {
            return Err(self.not_active());
        }
        self.state = LeaseState::Released;
        Ok(Release {
            node: self.node,
            epoch: self.epoch,
            start_ms: self.start_ms,
            high_water_ms: high_water_ms.unwrap_or(self.start_ms).clamp(self.start_ms, self.fence_ms),
        })
    }
}
