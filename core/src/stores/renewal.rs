//! A renewal's outcome as the one action every binding exposes the same
//! way: `("renewed", fence_ms)` — extend the generators to the fence;
//! `("retry", in_ms)` — the fence stands, renew again then; `stop` — the
//! error to raise or report (`lease_lost`: the generators stop at their
//! last confirmed fence). Python and Node return the pair and raise the
//! error; the Rust stores crate matches on [`Action`] itself.

use crate::error::Error;
use crate::events::Event;
use crate::lease::Renewal;

/// What a binding does after a renewal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Extend the generators to `fence_ms`.
    Renewed {
        /// The confirmed fence.
        fence_ms: u64,
    },
    /// Keep the fence; renew again in `in_ms`.
    Retry {
        /// When.
        in_ms: u64,
    },
    /// Renewals end with this error.
    Stop(Error),
}

impl Action {
    /// The action's name and number as bindings hand them on
    /// (`Err` for `stop`): `("renewed", fence_ms)` or `("retry", in_ms)`.
    pub fn pair(self) -> Result<(&'static str, u64), Error> {
        match self {
            Action::Renewed { fence_ms } => Ok(("renewed", fence_ms)),
            Action::Retry { in_ms } => Ok(("retry", in_ms)),
            Action::Stop(e) => Err(e),
        }
    }
}

impl Action {
    /// The event this action is, for the lease on `node` under `epoch`
    /// whose confirmed fence was `fence_ms`: renewed (the new fence), a
    /// renewal failed (retry in …), lost (refused) or expired (renewals
    /// ended another way, with the code).
    pub fn event(&self, node: u64, epoch: u64, fence_ms: u64) -> Event<'static> {
        Renewal::from(self.clone()).event(node, epoch, fence_ms)
    }
}

impl From<Action> for Renewal {
    fn from(a: Action) -> Self {
        match a {
            Action::Renewed { fence_ms } => Renewal::Renewed { fence_ms },
            Action::Retry { in_ms } => Renewal::Retry { in_ms },
            Action::Stop(e) => Renewal::Stop(e),
        }
    }
}

impl From<Renewal> for Action {
    fn from(r: Renewal) -> Self {
        match r {
            Renewal::Renewed { fence_ms } => Action::Renewed { fence_ms },
            Renewal::Retry { in_ms } => Action::Retry { in_ms },
            Renewal::Stop(e) => Action::Stop(e),
        }
    }
}
