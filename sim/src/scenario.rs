//! What a run simulates: the fleet, the network, the lease parameters, the
//! faults, and the named scenarios `scripts/sim` and the tests run.

use idloom::lease::LeaseConfig;

/// One fault, at simulated milliseconds from the start of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Every message between `region` and the store's region is lost for `for_ms`.
    Partition {
        /// The region cut off (not the store's own, region 0, to keep the store reachable somewhere).
        region: u8,
        /// When it starts.
        at_ms: u64,
        /// How long it lasts.
        for_ms: u64,
    },
    /// `count` holders stop for `for_ms` (a GC or VM pause): their timers
    /// and the answers that reach them wait until it ends; their clocks run on.
    Pause {
        /// How many holders (chosen by the seed among those up).
        count: u32,
        /// When it starts.
        at_ms: u64,
        /// How long it lasts.
        for_ms: u64,
    },
    /// `count` holders' clocks move by `ms_per_s` every simulated second
    /// until they are `to_ms` off true time (past `max_skew` or within it).
    Drift {
        /// How many holders.
        count: u32,
        /// When the drift starts.
        at_ms: u64,
        /// Milliseconds per second, towards `to_ms`.
        ms_per_s: u64,
        /// The offset from true time it stops at (negative: behind).
        to_ms: i64,
    },
    /// `count` holders end: a crash (no release: the node is free after its
    /// TTL) or a clean restart (`graceful`: the generator stops and the node
    /// is released with its high-water); they start again after `down_ms`
    /// under a new holder string, as `default_holder` gives one.
    Crash {
        /// How many holders.
        count: u32,
        /// When.
        at_ms: u64,
        /// How long they stay down.
        down_ms: u64,
        /// A clean restart (release) rather than a crash.
        graceful: bool,
    },
    /// The store restarts without its state (Redis without persistence):
    /// down for `down_ms`, then empty under a new identity, the namespace
    /// recreated not fresh (its floor at `store now + ttl + max_skew`).
    StoreRestart {
        /// When it goes down.
        at_ms: u64,
        /// How long it answers nothing.
        down_ms: u64,
    },
    /// The store is restored from the snapshot taken at `snapshot_at_ms`:
    /// the old records and the identity they recorded, on a server whose
    /// identity is new (unless the run is [`Broken::RestoreKeepsIdentity`]).
    StoreRestore {
        /// When the snapshot was taken (before `at_ms`).
        snapshot_at_ms: u64,
        /// When the store goes down.
        at_ms: u64,
        /// How long it answers nothing.
        down_ms: u64,
    },
}

impl Fault {
    /// When the fault starts.
    pub const fn at_ms(&self) -> u64 {
        match self {
            Fault::Partition { at_ms, .. }
            | Fault::Pause { at_ms, .. }
            | Fault::Drift { at_ms, .. }
            | Fault::Crash { at_ms, .. }
            | Fault::StoreRestart { at_ms, .. }
            | Fault::StoreRestore { at_ms, .. } => *at_ms,
        }
    }

    /// Its name in the report.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Partition { .. } => "partition",
            Fault::Pause { .. } => "pause",
            Fault::Drift { .. } => "drift",
            Fault::Crash { graceful: true, .. } => "clean_restart",
            Fault::Crash { .. } => "crash",
            Fault::StoreRestart { .. } => "store_restart",
            Fault::StoreRestore { .. } => "store_restore",
        }
    }
}

/// A defence removed on purpose, to show the checks find what it prevents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    /// The holder extends its own generator's fence (its clock + TTL) when
    /// a renewal gets no answer or is refused, and ignores `lease_lost`.
    SelfExtend,
    /// A restore from a snapshot keeps the server's identity as the
    /// snapshot recorded it, so no floor rises and old leases renew.
    RestoreKeepsIdentity,
    /// A store that restarted empty gets its namespace back as *fresh*
    /// (floor 0, as for a first deployment) instead of above the old fences.
    RestartFresh,
}

/// Everything a run depends on; the same `Config` gives the same report.
#[derive(Debug, Clone)]
pub struct Config {
    /// The scenario's name (in the report).
    pub name: String,
    /// The seed of every random choice.
    pub seed: u64,
    /// How many holders (processes leasing one node each).
    pub holders: u32,
    /// Regions; the store is in region 0, holders are spread evenly.
    pub regions: u8,
    /// Round trip to the store per region (min, max ms), each message's
    /// one-way delay drawn from half of it.
    pub rtt_ms: Vec<(u64, u64)>,
    /// Nodes in the namespace.
    pub nodes: u64,
    /// Node bits of the layout (41 time bits of 1 ms, the rest sequence: 63 bits in all).
    pub node_bits: u32,
    /// The namespace's TTL and skew bound.
    pub lease: LeaseConfig,
    /// How long the run lasts (simulated ms).
    pub duration_ms: u64,
    /// Holders start at random within this window.
    pub start_spread_ms: u64,
    /// Holders' clocks start within ± this of true time.
    pub clock_spread_ms: u64,
    /// Every holder mints one ID whenever its clock reads a multiple of this
    /// (so two holders on one node would mint the same ticks).
    pub mint_every_ms: u64,
    /// The faults.
    pub faults: Vec<Fault>,
    /// A defence removed, if any.
    pub broken: Option<Broken>,
}

impl Config {
    /// A fleet of `holders` in 3 regions (round trips 1–5, 30–90 and
    /// 90–150 ms to the store in region 0), TTL 10 s and skew 1 s (the
    /// server's defaults), nodes: the next power of two above 1.25 ×
    /// holders, 5 simulated minutes, no faults.
    pub fn fleet(name: &str, holders: u32, seed: u64) -> Config {
        let want = (u64::from(holders) * 5 / 4).max(2);
        let node_bits = 64 - (want - 1).leading_zeros();
        Config {
            name: name.into(),
            seed,
            holders,
            regions: 3,
            rtt_ms: vec![(1, 5), (30, 90), (90, 150)],
            nodes: 1 << node_bits,
            node_bits,
            lease: LeaseConfig {
                ttl_ms: 10_000,
                max_skew_ms: 1_000,
            },
            duration_ms: 300_000,
            start_spread_ms: 5_000,
            clock_spread_ms: 200,
            mint_every_ms: 1_000,
            faults: Vec::new(),
            broken: None,
        }
    }
}

/// The named scenarios, for a fleet of `holders` over `minutes` simulated
/// minutes (faults placed in proportion, at least a few TTLs apart).
pub const SCENARIOS: [&str; 9] = [
    "steady",
    "partition",
    "clocks",
    "pauses",
    "churn",
    "store_restart",
    "store_restore",
    "internet",
    "takeover",
];

/// The scenario `name` for `holders` holders over `minutes` minutes (≥ 2).
pub fn scenario(name: &str, holders: u32, minutes: u64, seed: u64) -> Option<Config> {
    let mut c = Config::fleet(name, holders, seed);
    let m = minutes.max(2);
    c.duration_ms = m * 60_000;
    let at = |fraction: u64| c.duration_ms * fraction / 100;
    let pct = |p: u32| (holders * p / 100).max(1);
    let faults = match name {
        "steady" => vec![],
        // Region 2 (the far one) cut off for a third of the run.
        "partition" => vec![Fault::Partition {
            region: 2,
            at_ms: at(25),
            for_ms: c.duration_ms / 3,
        }],
        // 2 % of the fleet drift past max_skew (3 × it, ahead and behind), 2 % within it.
        "clocks" => vec![
            Fault::Drift {
                count: pct(1),
                at_ms: at(20),
                ms_per_s: 50,
                to_ms: 3_000,
            },
            Fault::Drift {
                count: pct(1),
                at_ms: at(20),
                ms_per_s: 50,
                to_ms: -3_000,
            },
            Fault::Drift {
                count: pct(2),
                at_ms: at(20),
                ms_per_s: 10,
                to_ms: 500,
            },
        ],
        // 1 % paused 2 s (a GC), then 0.5 % paused 15 s (past the TTL: a VM stall).
        "pauses" => vec![
            Fault::Pause {
                count: pct(1),
                at_ms: at(25),
                for_ms: 2_000,
            },
            Fault::Pause {
                count: pct(1) / 2 + 1,
                at_ms: at(55),
                for_ms: 15_000,
            },
        ],
        // 5 % crash (down 3 s), then 10 % restart cleanly (a deploy wave).
        "churn" => vec![
            Fault::Crash {
                count: pct(5),
                at_ms: at(25),
                down_ms: 3_000,
                graceful: false,
            },
            Fault::Crash {
                count: pct(10),
                at_ms: at(55),
                down_ms: 3_000,
                graceful: true,
            },
        ],
        "store_restart" => vec![Fault::StoreRestart {
            at_ms: at(40),
            down_ms: 5_000,
        }],
        "store_restore" => vec![Fault::StoreRestore {
            snapshot_at_ms: at(20),
            at_ms: at(40),
            down_ms: 5_000,
        }],
        // Nodes change hands behind a partition, and the store is restored
        // from a snapshot older than the change while the partition lasts:
        // region 2 is cut off, 10 % of the fleet crash and restart (their
        // new leases take region 2's expired nodes, the lowest free), the
        // store is restored from before all that, then the partition heals
        // and region 2's renewals reach the restored records. What the two
        // broken runs must be caught in (tests/sim.rs).
        // The partition heals a second after the store is back, while the
        // leases that took region 2's nodes still mint below their fences.
        "takeover" => vec![
            Fault::Partition {
                region: 2,
                at_ms: at(20),
                for_ms: at(50) + 3_000 - at(20),
            },
            Fault::Crash {
                count: pct(10),
                at_ms: at(35),
                down_ms: 1_000,
                graceful: false,
            },
            Fault::StoreRestore {
                snapshot_at_ms: at(15),
                at_ms: at(50),
                down_ms: 2_000,
            },
        ],
        // Everything, one after the other.
        "internet" => vec![
            Fault::Partition {
                region: 2,
                at_ms: at(8),
                for_ms: c.duration_ms / 8,
            },
            Fault::Pause {
                count: pct(1),
                at_ms: at(25),
                for_ms: 2_000,
            },
            Fault::Pause {
                count: pct(1) / 2 + 1,
                at_ms: at(28),
                for_ms: 15_000,
            },
            Fault::Drift {
                count: pct(1),
                at_ms: at(32),
                ms_per_s: 50,
                to_ms: 3_000,
            },
            Fault::Crash {
                count: pct(5),
                at_ms: at(40),
                down_ms: 3_000,
                graceful: false,
            },
            Fault::Crash {
                count: pct(10),
                at_ms: at(45),
                down_ms: 3_000,
                graceful: true,
            },
            Fault::StoreRestart {
                at_ms: at(55),
                down_ms: 5_000,
            },
            Fault::StoreRestore {
                snapshot_at_ms: at(65),
                at_ms: at(75),
                down_ms: 5_000,
            },
        ],
        _ => return None,
    };
    c.faults = faults;
    Some(c)
}
