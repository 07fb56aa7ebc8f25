//! What a run reports: the store's load, the faults' outages, the
//! refusals, and the checks (duplicates must be 0). JSON (serde) and a
//! table for humans.

use crate::scenario::{Config, Fault};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Requests per second the store answered.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Load {
    /// Acquires over the run.
    pub acquires: u64,
    /// Renewals over the run.
    pub renewals: u64,
    /// Releases over the run.
    pub releases: u64,
    /// Renewals per second before the first fault (after one TTL of start-up).
    pub steady_renewals_per_s: f64,
    /// What `holders × 3 / TTL` predicts for it (a renewal every third of the TTL).
    pub expected_renewals_per_s: f64,
    /// Mean requests per second over the whole run (all kinds).
    pub mean_per_s: f64,
    /// The busiest second: requests answered in it (all kinds).
    pub peak_per_s: u64,
    /// When it was (simulated seconds from the start).
    pub peak_at_s: u64,
    /// The busiest second's acquires.
    pub peak_acquires_per_s: u64,
}

impl Load {
    /// From the per-second counts `[acquires, renewals, releases]`.
    pub fn from_seconds(s: &[[u32; 3]], cfg: &Config) -> Load {
        let sum = |k: usize| s.iter().map(|c| u64::from(c[k])).sum::<u64>();
        let from = (cfg.lease.ttl_ms / 1000 + cfg.start_spread_ms / 1000 + 1) as usize;
        let to = cfg
            .faults
            .iter()
            .map(|f| match f {
                Fault::StoreRestore { snapshot_at_ms, at_ms, .. } => (*snapshot_at_ms).min(*at_ms),
                f => f.at_ms(),
            })
            .min()
            .unwrap_or(cfg.duration_ms);
        let to = ((to / 1000) as usize).min(s.len());
        let steady = if to > from {
            s[from..to].iter().map(|c| f64::from(c[1])).sum::<f64>() / (to - from) as f64
        } else {
            0.0
        };
        let (peak_at, peak) = s
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.iter().map(|&x| u64::from(x)).sum::<u64>()))
            .fold((0, 0), |best, x| if x.1 > best.1 { x } else { best });
        let total = sum(0) + sum(1) + sum(2);
        Load {
            acquires: sum(0),
            renewals: sum(1),
            releases: sum(2),
            steady_renewals_per_s: round1(steady),
            expected_renewals_per_s: round1(f64::from(cfg.holders) * 1000.0 / cfg.lease.renew_every_ms() as f64),
            mean_per_s: round1(total as f64 * 1000.0 / cfg.duration_ms as f64),
            peak_per_s: peak,
            peak_at_s: peak_at as u64,
            peak_acquires_per_s: s.get(peak_at).map_or(0, |c| u64::from(c[0])),
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// One fault and the outages it caused: from the first mint a holder it
/// hit could not make to the next one it made (sampled mints, plus mints
/// at the exact moments of a fence and a start).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FaultReport {
    /// The fault's kind.
    pub kind: String,
    /// When it started (simulated ms).
    pub at_ms: u64,
    /// Its parameters, as text.
    pub what: String,
    /// Holders it touched.
    pub holders_hit: u64,
    /// Outages ended (a holder minting again) that it caused.
    pub outages: u64,
    /// Median outage (ms).
    pub outage_p50_ms: u64,
    /// 99th percentile (ms).
    pub outage_p99_ms: u64,
    /// Longest (ms).
    pub outage_max_ms: u64,
    /// From the fault's start to the last of its holders minting again (ms).
    pub recovered_after_ms: u64,
}

impl FaultReport {
    /// The report of `fault`.
    pub fn new(fault: &Fault, hit: u64, mut outages: Vec<u64>, recovered_ms: u64) -> FaultReport {
        outages.sort_unstable();
        let q = |p: usize| {
            if outages.is_empty() {
                0
            } else {
                outages[((outages.len() - 1) * p) / 100]
            }
        };
        FaultReport {
            kind: fault.kind().into(),
            at_ms: fault.at_ms(),
            what: format!("{fault:?}"),
            holders_hit: hit,
            outages: outages.len() as u64,
            outage_p50_ms: q(50),
            outage_p99_ms: q(99),
            outage_max_ms: outages.last().copied().unwrap_or(0),
            recovered_after_ms: recovered_ms,
        }
    }
}

/// The safety checks; every count must be 0 unless a defence was removed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Checks {
    /// Leases recorded (each with its claimed interval).
    pub claims: u64,
    /// Pairs of leases whose claimed intervals `[start, fence)` on one node overlap.
    pub overlaps: u64,
    /// IDs minted twice.
    pub duplicates: u64,
    /// IDs outside the interval the store granted their lease.
    pub outside_claim: u64,
}

/// A run's report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// The scenario.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// Holders.
    pub holders: u32,
    /// Regions.
    pub regions: u8,
    /// Nodes in the namespace.
    pub nodes: u64,
    /// The TTL.
    pub ttl_ms: u64,
    /// The skew bound.
    pub max_skew_ms: u64,
    /// Simulated time.
    pub duration_ms: u64,
    /// Each holder's mint period.
    pub mint_every_ms: u64,
    /// The defence removed, if any.
    pub broken: Option<String>,
    /// The store's load.
    pub load: Load,
    /// Leases granted and accepted.
    pub leases_granted: u64,
    /// Renewals confirmed.
    pub renewals_confirmed: u64,
    /// Renewals retried (no answer in time, or too late to judge the clocks).
    pub renewal_retries: u64,
    /// Renewals refused: `lease_lost`.
    pub lease_lost: u64,
    /// Renewals that ended with `clock_skew`.
    pub clock_skew_stops: u64,
    /// Grants refused by the holder with `clock_skew` (the node given back at once).
    pub clock_skew_refusals: u64,
    /// Grants answered too late to judge the clocks (given back, acquired again).
    pub too_late_to_judge: u64,
    /// Acquires refused with `no_free_node`.
    pub no_free_node: u64,
    /// Leases whose generator refused a mint at the fence (`lease_expired` or `lease_lost`).
    pub stopped_at_fence: u64,
    /// Holders that could not mint when the run ended.
    pub still_blocked_at_end: u64,
    /// IDs minted (sampled).
    pub ids_minted: u64,
    /// Mints that gave no ID, by code: `lease_expired` / `lease_lost` at a
    /// fence; `no_lease` between leases; before a lease's start, `retry_at`
    /// (the tick just before it) or `clock_moved_backwards` (the start more
    /// than the default policy's 1 s of lead ahead of the clock — `NodeLease`
    /// hands a lease over only once its start has come; the sim mints anyway,
    /// to see the generator refuse).
    pub mint_failures: BTreeMap<String, u64>,
    /// The faults.
    pub faults: Vec<FaultReport>,
    /// Outages no fault touched.
    pub unfaulted_outages: u64,
    /// The checks.
    pub checks: Checks,
}

impl Report {
    /// The report as pretty JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data")
    }

    /// The report as a table for humans.
    pub fn table(&self) -> String {
        let mut o = String::new();
        let l = &self.load;
        let _ = writeln!(
            o,
            "scenario {} (seed {}): {} holders in {} regions, {} nodes, ttl {} ms, max_skew {} ms, {} s simulated{}",
            self.scenario,
            self.seed,
            self.holders,
            self.regions,
            self.nodes,
            self.ttl_ms,
            self.max_skew_ms,
            self.duration_ms / 1000,
            self.broken.as_ref().map_or(String::new(), |b| format!(", BROKEN: {b}"))
        );
        let _ = writeln!(
            o,
            "  store load   acquires {}, renewals {}, releases {}; renewals/s steady {} (holders x 3 / ttl = {}); mean {}/s; peak {}/s at {} s ({} acquires)",
            l.acquires,
            l.renewals,
            l.releases,
            l.steady_renewals_per_s,
            l.expected_renewals_per_s,
            l.mean_per_s,
            l.peak_per_s,
            l.peak_at_s,
            l.peak_acquires_per_s
        );
        let _ = writeln!(
            o,
            "  leases       granted {}, renewed {}, retried {}, lease_lost {}, clock_skew stops {} + refusals {}, too late {}, no_free_node {}",
            self.leases_granted,
            self.renewals_confirmed,
            self.renewal_retries,
            self.lease_lost,
            self.clock_skew_stops,
            self.clock_skew_refusals,
            self.too_late_to_judge,
            self.no_free_node
        );
        let failures: Vec<String> = self.mint_failures.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(
            o,
            "  mints        {} IDs; stopped at the fence {} leases; refused: {}; blocked at end {}",
            self.ids_minted,
            self.stopped_at_fence,
            if failures.is_empty() { "none".into() } else { failures.join(", ") },
            self.still_blocked_at_end
        );
        if !self.faults.is_empty() {
            let _ = writeln!(
                o,
                "  {:<14} {:>8} {:>7} {:>8} {:>10} {:>10} {:>10} {:>12}",
                "fault", "at s", "hit", "outages", "p50 ms", "p99 ms", "max ms", "recovered ms"
            );
            for f in &self.faults {
                let _ = writeln!(
                    o,
                    "  {:<14} {:>8} {:>7} {:>8} {:>10} {:>10} {:>10} {:>12}",
                    f.kind,
                    f.at_ms / 1000,
                    f.holders_hit,
                    f.outages,
                    f.outage_p50_ms,
                    f.outage_p99_ms,
                    f.outage_max_ms,
                    f.recovered_after_ms
                );
            }
        }
        let c = &self.checks;
        let _ = writeln!(
            o,
            "  checks       {} leases: overlapping claims {}, duplicate IDs {}, IDs outside their grant {}",
            c.claims, c.overlaps, c.duplicates, c.outside_claim
        );
        o
    }
}
