//! What holder and store send each other: a proposal, a grant, a release.

/// What a holder sends with an acquire or a renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal {
    /// The fence to ask for: the holder's clock plus the TTL (ID time).
    pub fence_ms: u64,
    /// The holder's clock when the request left.
    pub sent_ms: u64,
}

/// A store's answer to an acquire or a renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Grant {
    /// The node leased.
    pub node: u64,
    /// The fencing token: it grows on every acquisition of the node.
    pub epoch: u64,
    /// ID time from which the holder may mint (the previous fence, or the namespace floor).
    pub start_ms: u64,
    /// ID time before which every tick the holder mints must end.
    pub fence_ms: u64,
    /// The store's clock when it answered.
    pub store_now_ms: u64,
}

impl Grant {
    /// The release of a grant the holder refused to use (`clock_skew`): the
    /// node goes back at once, with its fence back at the start.
    pub const fn release_unused(&self) -> Release {
        Release {
            node: self.node,
            epoch: self.epoch,
            start_ms: self.start_ms,
            high_water_ms: self.start_ms,
        }
    }
}

/// What a clean release sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// The node.
    pub node: u64,
    /// The epoch.
    pub epoch: u64,
    /// The lease's start, as granted: the store releases only the lease
    /// that starts there (the same epoch number can come back after a store
    /// forgot or was restored).
    pub start_ms: u64,
    /// The end of the last tick minted (ID time), clamped into `[start, fence]`:
    /// the store lowers the node's fence to it, so the next holder starts at once.
    pub high_water_ms: u64,
}
