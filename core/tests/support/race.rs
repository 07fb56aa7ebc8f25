//! The lease race every store must survive: 16 holders, 8 nodes, short TTLs,
//! some releases, many rounds. No (node, epoch) is handed out twice, and every
//! epoch starts at or above the fence the previous one ended with.

#![allow(dead_code)]

use idloom::lease::Grant;
use idloom::{Clock, ErrorCode, Result, SystemClock};
use std::collections::HashSet;

/// The lease calls the shared scenarios make, on any store adapter.
pub trait Leases {
    fn acquire(&mut self, ns: &str, holder: &str, proposed_fence_ms: u64) -> Result<Grant>;
    fn renew(&mut self, ns: &str, g: &Grant, holder: &str, proposed_fence_ms: u64) -> Result<Grant>;
    fn release(&mut self, ns: &str, g: &Grant, holder: &str, high_water_ms: u64) -> Result<u64>;
}

/// The pick every store makes, on a namespace of free nodes 0 and 1 (and
/// maybe more): a and b get 0 and 1; released, b's node is the one that
/// expired first; a's own node comes back to a (sticky).
pub fn expired_first_then_sticky<S: Leases>(db: &mut S, ns: &str) {
    let a = db.acquire(ns, "a", 0).unwrap();
    let b = db.acquire(ns, "b", 0).unwrap();
    assert_eq!((a.node, b.node), (0, 1));
    assert_eq!(db.release(ns, &b, "b", b.start_ms).unwrap(), b.start_ms);
    assert_eq!(db.acquire(ns, "c", 0).unwrap().node, 1, "released: expired first");
    assert_eq!(db.release(ns, &a, "a", a.start_ms).unwrap(), a.start_ms);
    assert_eq!(db.acquire(ns, "a", 0).unwrap().node, 0, "sticky");
}

/// Every store clamps a proposed fence to one lease ahead of its own clock,
/// on a one-node namespace `ns` (already created with `config`): holder a
/// proposes a fence ten years ahead when it acquires and `renew_proposal`
/// when it renews, and gets `store now + ttl + max_skew` both times; once its
/// lease runs out, b takes the node at a's last fence — usable, not years
/// away. `after_renew` runs with the store and a's renewed grant (an
/// engine's own checks while a still holds the node). Answers (a, a
/// renewed, b).
pub fn proposed_fences_are_clamped<S: Leases>(
    db: &mut S,
    ns: &str,
    config: idloom::lease::LeaseConfig,
    renew_proposal: u64,
    after_renew: impl FnOnce(&mut S, &Grant),
) -> (Grant, Grant, Grant) {
    let years = SystemClock.now_ms() + 10 * 365 * 86_400_000;
    let a = db.acquire(ns, "a", years).unwrap();
    let bound = |g: &Grant| g.store_now_ms + config.ttl_ms + config.max_skew_ms;
    assert_eq!(a.fence_ms, bound(&a), "acquire: clamped to store now + ttl + max_skew");
    let r = db.renew(ns, &a, "a", renew_proposal).unwrap();
    assert_eq!(r.fence_ms, bound(&r), "renew: clamped too");
    after_renew(db, &r);
    std::thread::sleep(std::time::Duration::from_millis(config.ttl_ms + 50));
    let b = db.acquire(ns, "b", 0).unwrap();
    assert_eq!(
        b.start_ms, r.fence_ms,
        "the node stays usable: the next start is the last reachable fence"
    );
    assert!(b.start_ms < years);
    (a, r, b)
}

/// Run the race on a namespace of 8 nodes (already created) with connections
/// from `connect`; returns how many grants were made.
pub fn sixteen_holders_on_eight_nodes<S: Leases>(connect: impl Fn() -> S + Sync, ns: &str, ttl_ms: u64) -> usize {
    // (grant, the fence it ended with: its start if released with nothing minted).
    let grants: Vec<(Grant, u64)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..16)
            .map(|t| {
                let connect = &connect;
                s.spawn(move || {
                    let mut db = connect();
                    let holder = format!("h{t}");
                    let mut mine = Vec::new();
                    for round in 0..24 {
                        match db.acquire(ns, &holder, SystemClock.now_ms() + ttl_ms) {
                            Ok(g) if round % 3 == 0 => {
                                db.release(ns, &g, &holder, g.start_ms).unwrap(); // nothing minted
                                mine.push((g, g.start_ms));
                            }
                            Ok(g) => mine.push((g, g.fence_ms)),
                            Err(e) => assert_eq!(e.code(), ErrorCode::NoFreeNode, "{e}"),
                        }
                        std::thread::sleep(std::time::Duration::from_millis(30));
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    let mut seen = HashSet::new();
    let mut by_node: Vec<Vec<(Grant, u64)>> = vec![Vec::new(); 8];
    for (g, end) in &grants {
        assert!(
            seen.insert((g.node, g.epoch)),
            "(node {}, epoch {}) handed out twice",
            g.node,
            g.epoch
        );
        by_node[g.node as usize].push((*g, *end));
    }
    for list in &mut by_node {
        list.sort_by_key(|(g, _)| g.epoch);
        for w in list.windows(2) {
            assert!(
                w[1].0.start_ms >= w[0].1,
                "epoch {} starts below epoch {}'s last fence",
                w[1].0.epoch,
                w[0].0.epoch
            );
        }
    }
    assert!(grants.len() > 16, "only {} grants", grants.len());
    grants.len()
}

/// A status listing of 3 nodes after one acquisition by `holder`: the held
/// node shows its holder, epoch and fence; the others were never held.
/// Rows are (node, holder, epoch, expires_ms, start_ms, fence_ms).
pub fn check_status<N: Copy + Into<i128>>(rows: &[(N, String, N, N, N, N)], g: &Grant, holder: &str) {
    let n = |v: N| -> i128 { v.into() };
    assert_eq!(rows.len(), 3);
    let held = &rows[g.node as usize];
    assert_eq!(
        (held.1.as_str(), n(held.2), n(held.5)),
        (holder, i128::from(g.epoch), i128::from(g.fence_ms))
    );
    assert!(rows
        .iter()
        .filter(|r| n(r.0) != i128::from(g.node))
        .all(|r| r.1.is_empty() && n(r.2) == 0));
}
