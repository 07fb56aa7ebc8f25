//! A renewal's outcome as the one action every binding exposes the same
//! way: `("renewed", fence_ms)` — extend the generators to the fence;
//! `("retry", in_ms)` — the fence stands, renew again then; `stop` — the
//! error to raise or report (`lease_lost`: the generators stop at their
//! last confirmed fence). Python and Node return the pair and raise the
//! error; the Rust stores crate matches on [`Action`] itself. Its event is
//! [`Renewal::event`](crate::lease::Renewal::event).

use crate::error::Error;

/// What a binding does after a renewal: the holder's [`Renewal`](crate::lease::Renewal) itself.
pub type Action = crate::lease::Renewal;

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
