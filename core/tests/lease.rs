//! Leases: the holder's state machine (renew timing, skew, refusal,
//! release) and the store's reference model, and the two with fenced
//! generators: a paused holder never repeats the new holder's IDs.

use idloom::lease::{Grant, Holder as LeaseHolder, Lease, LeaseConfig, LeaseState, MemoryStore, NodeRecord, Proposal, Renewal};
use idloom::{ErrorCode, Generator, Layout, Next, Policy};
use std::collections::HashSet;

const T0: u64 = 1_700_000_000_000;
const CONFIG: LeaseConfig = LeaseConfig {
    ttl_ms: 10_000,
    max_skew_ms: 1_000,
};

fn grant(node: u64, epoch: u64, start_ms: u64, fence_ms: u64, store_now_ms: u64) -> Grant {
    Grant {
        node,
        epoch,
        start_ms,
        fence_ms,
        store_now_ms,
    }
}

#[test]
fn config_bounds() {
    assert!(CONFIG.validate().is_ok());
    let bad = LeaseConfig { ttl_ms: 0, max_skew_ms: 0 };
    assert_eq!(bad.validate().unwrap_err().to_string(), "ttl_ms must be in 1..=86400000, got 0");
    let skewed = LeaseConfig {
        ttl_ms: 100,
        max_skew_ms: 100,
    };
    assert_eq!(skewed.validate().unwrap_err().to_string(), "max_skew_ms must be in 0..=99, got 100");
    assert_eq!(CONFIG.renew_every_ms(), 3_333);
    assert_eq!(CONFIG.floor_after_loss(T0), T0 + 11_000);
}

#[test]
fn the_skew_estimate_comes_from_the_round_trip_and_is_bounded() {
    let p = Lease::propose(&CONFIG, T0);
    assert_eq!(
        p,
        Proposal {
            fence_ms: T0 + 10_000,
            sent_ms: T0
        }
    );
    // Answered 40 ms later; the store's clock 300 ms ahead of the midpoint.
    let l = Lease::from_grant(CONFIG, &p, &grant(3, 1, 0, T0 + 10_000, T0 + 20 + 300), T0 + 40).unwrap();
    assert_eq!((l.node(), l.epoch(), l.skew_ms(), l.expires_ms()), (3, 1, 300, T0 + 10_000));
    // 1030 ms behind with a 40 ms round trip: beyond 1000 wherever in the
    // round trip the store read its clock.
    let e = Lease::from_grant(CONFIG, &p, &grant(3, 1, 0, T0 + 10_000, T0 + 20 - 1_030), T0 + 40).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ClockSkew);
    assert_eq!(
        e.to_string(),
        "the store's clock is -1030 ms (± 20 ms) from this holder's, over max_skew_ms = 1000"
    );
    // 990 ± 20 may be within the bound or past it: not judged (transient), never accepted.
    assert_eq!(
        Lease::from_grant(CONFIG, &p, &grant(3, 1, 0, T0 + 10_000, T0 + 20 - 990), T0 + 40)
            .unwrap_err()
            .code(),
        ErrorCode::StoreUnavailable
    );
    // The soak's case: a renewal queued 450 ms through a reconnection, the
    // store's clock equal to the holder's (max 300): not a skew.
    let tight = LeaseConfig {
        ttl_ms: 1_500,
        max_skew_ms: 300,
    };
    let q = Lease::propose(&tight, T0);
    assert_eq!(
        Lease::from_grant(tight, &q, &grant(3, 1, 0, T0 + 1_500, T0 + 449), T0 + 450)
            .unwrap_err()
            .code(),
        ErrorCode::StoreUnavailable
    );
    // A slow round trip alone is too uncertain to judge: transient, not a skew.
    assert_eq!(
        Lease::from_grant(CONFIG, &p, &grant(3, 1, 0, 0, T0 + 1_100), T0 + 2_200)
            .unwrap_err()
            .code(),
        ErrorCode::StoreUnavailable
    );
    // Refused for skew, the grant goes back at once with its fence at the start.
    let mut s = MemoryStore::new(CONFIG, 1, "r", true, T0).unwrap();
    let p2 = Lease::propose(&CONFIG, T0 + 5_000);
    let g = s.acquire("far", p2.fence_ms, "r", T0).unwrap();
    assert_eq!(
        Lease::from_grant(CONFIG, &p2, &g, T0 + 5_000).unwrap_err().code(),
        ErrorCode::ClockSkew
    );
    let r = g.release_unused();
    s.release(r.node, r.epoch, r.start_ms, "far", r.high_water_ms).unwrap();
    assert_eq!(
        s.acquire("next", T0 + 10_000, "r", T0).unwrap().start_ms,
        0,
        "free at once, nothing was minted"
    );
    // A store answer with the fence below the start is not the protocol.
    assert_eq!(
        Lease::from_grant(CONFIG, &p, &grant(3, 1, 9, 8, T0), T0).unwrap_err().code(),
        ErrorCode::StoreSchema
    );
}

#[test]
fn a_clock_stepped_back_renews_at_once_and_the_store_tells_the_skew() {
    // Without this, a clock 3 s back waits 3 s for its next renewal and the
    // store's TTL runs out first: the lease is lost and the skew never told.
    let p = Lease::propose(&CONFIG, T0);
    let mut l = Lease::from_grant(CONFIG, &p, &grant(1, 1, 0, T0 + 10_000, T0), T0).unwrap();
    assert!(
        !l.renew_due(T0 + 10) && l.renew_due(T0 - 3_000),
        "a reading before the last confirmed request"
    );
    let r = l.begin_renew(T0 - 3_000).unwrap();
    let e = l.renewed(&r, &grant(1, 1, 0, T0 + 10_000, T0 + 1), T0 - 2_998).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ClockSkew);
    assert_eq!(l.fence_ms(), T0 + 10_000, "the fence stays where it was");
    // A small step back (within max_skew) renews once, then keeps the cadence:
    // no renewal at every reading until the clock comes round.
    let mut m = Lease::from_grant(CONFIG, &p, &grant(1, 1, 0, T0 + 10_000, T0), T0).unwrap();
    let r = m.begin_renew(T0 - 200).unwrap();
    m.renewed(&r, &grant(1, 1, 0, T0 + 10_000, T0 - 200), T0 - 199).unwrap();
    assert!(!m.renew_due(T0 - 150) && !m.renew_due(T0 + 3_000) && m.renew_due(T0 - 200 + 3_333));
    assert_eq!(m.expires_ms(), T0 - 200 + 10_000, "the expiry from the latest confirmed request");
}

#[test]
fn renewals_every_third_of_the_ttl_move_the_fence_on_and_a_refusal_loses_the_lease() {
    let p = Lease::propose(&CONFIG, T0);
    let mut l = Lease::from_grant(CONFIG, &p, &grant(1, 4, 500, T0 + 10_000, T0), T0).unwrap();
    assert!(!l.renew_due(T0 + 3_332) && l.renew_due(T0 + 3_333));
    let r = l.begin_renew(T0 + 3_400).unwrap();
    assert!(l.begin_renew(T0 + 3_500).is_none(), "one renewal in flight at a time");
    l.renewed(&r, &grant(1, 4, 500, r.fence_ms, T0 + 3_410), T0 + 3_420).unwrap();
    assert_eq!((l.fence_ms(), l.expires_ms()), (T0 + 13_400, T0 + 13_400));
    // A store answering another epoch is refused as a protocol error.
    let r2 = l.begin_renew(T0 + 7_000).unwrap();
    assert_eq!(
        l.renewed(&r2, &grant(1, 5, 500, r2.fence_ms, T0 + 7_000), T0 + 7_000)
            .unwrap_err()
            .code(),
        ErrorCode::StoreSchema
    );
    // A transient failure lets the next attempt go at once.
    let _ = l.begin_renew(T0 + 7_100).unwrap();
    l.renew_failed();
    assert!(l.renew_due(T0 + 7_100));
    let e = l.refused();
    assert_eq!((e.code(), l.state()), (ErrorCode::LeaseLost, LeaseState::Lost));
    assert!(!l.renew_due(T0 + 20_000));
    assert_eq!(
        l.release(Some(T0)).unwrap_err().code(),
        ErrorCode::LeaseLost,
        "a lost lease releases nothing"
    );
}

#[test]
fn release_clamps_the_high_water_into_the_interval() {
    let p = Lease::propose(&CONFIG, T0);
    let mut l = Lease::from_grant(CONFIG, &p, &grant(2, 1, T0 - 100, T0 + 10_000, T0), T0).unwrap();
    assert_eq!(
        l.clone().release(None).unwrap().high_water_ms,
        T0 - 100,
        "nothing minted: back to the start"
    );
    assert_eq!(l.clone().release(Some(T0 + 99_999)).unwrap().high_water_ms, T0 + 10_000);
    let r = l.release(Some(T0 + 42)).unwrap();
    assert_eq!((r.node, r.epoch, r.high_water_ms), (2, 1, T0 + 42));
    assert_eq!(l.state(), LeaseState::Released);
    assert_eq!(l.release(None).unwrap_err().code(), ErrorCode::LeaseLost);
}

#[test]
fn the_store_model_acquires_renews_releases_and_raises_its_floor() {
    let mut s = MemoryStore::new(CONFIG, 2, "run-1", true, T0).unwrap();
    assert_eq!(s.floor_ms(), 0);
    let a = s.acquire("a", T0 + 10_000, "run-1", T0).unwrap();
    assert_eq!((a.node, a.epoch, a.start_ms, a.fence_ms), (0, 1, 0, T0 + 10_000));
    let b = s.acquire("b", T0 + 10_000, "run-1", T0).unwrap();
    assert_eq!(b.node, 1);
    let e = s.acquire("c", T0 + 10_000, "run-1", T0 + 1).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NoFreeNode);
    // a's lease runs out on the store's clock; c takes node 0 and starts at a's fence.
    let c = s.acquire("c", T0 + 20_000, "run-1", T0 + 10_000).unwrap();
    assert_eq!((c.node, c.epoch, c.start_ms, c.fence_ms), (0, 2, T0 + 10_000, T0 + 20_000));
    assert_eq!(
        s.renew(0, 1, a.start_ms, "a", T0 + 40_000, "run-1", T0 + 10_001)
            .unwrap_err()
            .code(),
        ErrorCode::LeaseLost
    );
    // c renews; the fence never moves back.
    assert_eq!(
        s.renew(0, 2, c.start_ms, "c", T0 + 15_000, "run-1", T0 + 12_000).unwrap().fence_ms,
        T0 + 20_000
    );
    // A clean release: free at once, fence at the high-water (clamped into c's interval).
    s.release(0, 2, c.start_ms, "c", T0 + 12_345).unwrap();
    let again = s.acquire("c", T0 + 22_500, "run-1", T0 + 12_500).unwrap();
    assert_eq!(
        (again.node, again.epoch, again.start_ms),
        (0, 3, T0 + 12_345),
        "sticky and immediate"
    );
    // The store came back under a new identity (a restart, a restore, a failover): a live
    // holder's renewal is refused and changes nothing; the next acquire raises the floor.
    let d = s.renew(1, 1, b.start_ms, "b", T0 + 23_000, "run-2", T0 + 13_000).unwrap_err();
    assert_eq!(d.code(), ErrorCode::LeaseLost);
    assert_eq!(s.floor_ms(), 0, "a renewal leaves the floor to the next acquire");
    s.release(0, 3, again.start_ms, "c", T0 + 12_400).unwrap();
    let e2 = s.acquire("e", T0 + 23_000, "run-2", T0 + 13_000).unwrap();
    assert_eq!(s.floor_ms(), T0 + 13_000 + 11_000);
    assert_eq!(e2.start_ms, T0 + 24_000, "above every fence a holder from before could use");
    // Created without fresh: the floor is set from the start.
    assert_eq!(MemoryStore::new(CONFIG, 1, "x", false, T0).unwrap().floor_ms(), T0 + 11_000);
}

#[test]
fn a_far_future_fence_is_clamped_to_one_lease_ahead_of_the_stores_clock() {
    let mut s = MemoryStore::new(CONFIG, 1, "run", true, T0).unwrap();
    let bound = |now: u64| now + CONFIG.ttl_ms + CONFIG.max_skew_ms;
    assert_eq!(s.fence_bound(T0), bound(T0));
    let years = T0 + 10 * 365 * 86_400_000;
    let a = s.acquire("a", years, "run", T0).unwrap();
    assert_eq!(a.fence_ms, bound(T0), "acquire: clamped");
    assert_eq!(s.acquire("b", u64::MAX, "run", T0 + 1).unwrap_err().code(), ErrorCode::NoFreeNode);
    let r = s.renew(0, 1, a.start_ms, "a", u64::MAX, "run", T0 + 3_000).unwrap();
    assert_eq!(r.fence_ms, bound(T0 + 3_000), "renew: clamped");
    // Never below a fence already granted: a clamp under it leaves it.
    assert_eq!(
        s.renew(0, 1, a.start_ms, "a", years, "run", T0).unwrap().fence_ms,
        bound(T0 + 3_000)
    );
    // The next holder starts where the last lease could reach, not years ahead.
    let b = s.acquire("b", T0 + 30_000, "run", T0 + 20_000).unwrap();
    assert_eq!((b.epoch, b.start_ms, b.fence_ms), (2, bound(T0 + 3_000), T0 + 30_000));
    // A floor above the bound (a store that lost its state) still wins: start = max(fence, floor).
    let mut lost = MemoryStore::new(CONFIG, 1, "run", false, T0).unwrap();
    let g = lost.acquire("a", T0, "run", T0).unwrap();
    assert_eq!((g.start_ms, g.fence_ms), (bound(T0), bound(T0)));
}

#[test]
fn sixteen_threads_racing_for_eight_nodes_never_share_an_epoch_and_start_above_the_fences() {
    let store = std::sync::Mutex::new(MemoryStore::new(CONFIG, 8, "run", true, T0).unwrap());
    let clock = std::sync::atomic::AtomicU64::new(T0);
    let grants: Vec<Grant> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..16)
            .map(|t| {
                let (store, clock) = (&store, &clock);
                s.spawn(move || {
                    let mut mine = Vec::new();
                    for _ in 0..200 {
                        let now = clock.fetch_add(700, std::sync::atomic::Ordering::SeqCst);
                        if let Ok(g) = store.lock().unwrap().acquire(&format!("h{t}"), now + CONFIG.ttl_ms, "run", now) {
                            mine.push(g);
                        }
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    let mut seen = HashSet::new();
    let mut by_node: Vec<Vec<Grant>> = vec![Vec::new(); 8];
    for g in &grants {
        assert!(seen.insert((g.node, g.epoch)), "(node {}, epoch {}) twice", g.node, g.epoch);
        by_node[g.node as usize].push(*g);
    }
    for list in &mut by_node {
        list.sort_by_key(|g| g.epoch);
        for w in list.windows(2) {
            assert!(
                w[1].start_ms >= w[0].fence_ms,
                "epoch {} starts below epoch {}'s fence",
                w[1].epoch,
                w[0].epoch
            );
        }
    }
    assert!(grants.len() > 100);
}

/// A holder: its lease, its generator, its clock offset from the store.
struct Holder {
    name: &'static str,
    lease: Lease,
    gen: Generator,
    ids: Vec<u64>,
}

impl Holder {
    fn acquire(name: &'static str, store: &mut MemoryStore, local_ms: u64, store_ms: u64) -> Holder {
        let p = Lease::propose(&CONFIG, local_ms);
        let g = store.acquire(name, p.fence_ms, "run", store_ms).unwrap();
        let lease = Lease::from_grant(CONFIG, &p, &g, local_ms).unwrap();
        let mut gen = Generator::new(Layout::TWITTER, g.node, Policy::default()).unwrap();
        gen.set_lease(lease.start_ms(), lease.fence_ms(), lease.epoch());
        Holder {
            name,
            lease,
            gen,
            ids: Vec::new(),
        }
    }
    fn mint(&mut self, local_ms: u64, n: usize) -> Result<(), ErrorCode> {
        for _ in 0..n {
            match self.gen.next_at(local_ms) {
                Ok(Next::Id(id)) => self.ids.push(id),
                Ok(Next::RetryAt(_)) => return Ok(()),
                Err(e) => return Err(e.code()),
            }
        }
        Ok(())
    }
    fn renew(&mut self, store: &mut MemoryStore, local_ms: u64, store_ms: u64) -> Result<(), ErrorCode> {
        let Some(p) = self.lease.begin_renew(local_ms) else { return Ok(()) };
        match store.renew(
            self.lease.node(),
            self.lease.epoch(),
            self.lease.start_ms(),
            self.name,
            p.fence_ms,
            "run",
            store_ms,
        ) {
            Ok(g) => {
                self.lease.renewed(&p, &g, local_ms).map_err(|e| e.code())?;
                self.gen.extend_fence(self.lease.fence_ms());
                Ok(())
            }
            Err(_) => {
                let e = self.lease.refused();
                self.gen.lose_lease();
                Err(e.code())
            }
        }
    }
}

#[test]
fn a_holder_paused_past_its_ttl_mints_nothing_past_its_fence_and_then_learns_it_lost() {
    let mut store = MemoryStore::new(CONFIG, 1, "run", true, T0).unwrap();
    // a's clock runs 900 ms ahead of the store's (within max_skew).
    let mut a = Holder::acquire("a", &mut store, T0 + 900, T0);
    for k in 0..6u64 {
        a.mint(T0 + 900 + k * 1_500, 500).unwrap();
        a.renew(&mut store, T0 + 900 + k * 1_500, T0 + k * 1_500).unwrap();
    }
    // SIGSTOP: a stops renewing at store time 7,500; its lease expires at 17,500.
    // b (800 ms behind the store) takes the node at store time 20,000.
    let mut b = Holder::acquire("b", &mut store, T0 + 19_200, T0 + 20_000);
    assert!(b.lease.start_ms() >= a.lease.fence_ms(), "b starts at a's last fence");
    b.mint(T0 + 19_200, 4096).unwrap(); // b mints on its own clock, above a's fence
                                        // SIGCONT: a wakes up and mints at its clock (now far past its fence).
    assert_eq!(
        a.mint(T0 + 900 + 20_000, 10),
        Err(ErrorCode::LeaseExpired),
        "nothing at or past the fence"
    );
    // Its renewal is refused: lease_lost, for good.
    assert_eq!(a.renew(&mut store, T0 + 900 + 20_000, T0 + 20_000), Err(ErrorCode::LeaseLost));
    assert_eq!(a.mint(T0 + 900 + 20_001, 10), Err(ErrorCode::LeaseLost));
    let all: HashSet<u64> = a.ids.iter().chain(&b.ids).copied().collect();
    assert_eq!(all.len(), a.ids.len() + b.ids.len(), "zero duplicates");
    let times = |ids: &[u64]| {
        ids.iter()
            .map(|&i| Layout::TWITTER.decompose(i).unwrap().timestamp_ms)
            .collect::<Vec<_>>()
    };
    let (a_max, b_min) = (times(&a.ids).into_iter().max().unwrap(), times(&b.ids).into_iter().min().unwrap());
    assert!(a_max < b_min, "a's ID time ends before b's begins");
}

#[test]
fn a_round_trip_too_long_to_judge_is_transient_and_a_real_skew_is_clock_skew() {
    let config = LeaseConfig {
        ttl_ms: 3_000,
        max_skew_ms: 200,
    };
    let p = Lease::propose(&config, 1_000);
    let grant = |store_now_ms| Grant {
        node: 1,
        epoch: 1,
        start_ms: 0,
        fence_ms: 4_000,
        store_now_ms,
    };
    // Answered after 1.5 s (a paused holder): the clocks cannot be judged.
    let e = Lease::from_grant(config, &p, &grant(1_750), 2_500).unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreUnavailable, "{e}");
    assert!(e.to_string().contains("too slowly"), "{e}");
    // A quick answer from a store 5 s ahead: a real skew.
    assert_eq!(
        Lease::from_grant(config, &p, &grant(6_005), 1_010).unwrap_err().code(),
        ErrorCode::ClockSkew
    );
    // A renewal answered too late leaves the lease as it was, and may be tried again.
    let mut lease = Lease::from_grant(config, &p, &grant(1_005), 1_010).unwrap();
    let r = lease.begin_renew(2_100).unwrap();
    let e = lease.renewed(&r, &grant(3_000), 4_000).unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreUnavailable);
    assert_eq!(lease.fence_ms(), 4_000, "the fence stays at the last confirmed one");
    assert!(lease.begin_renew(4_000).is_some(), "another renewal may start");
}

#[test]
fn a_holder_drives_one_lease_and_says_what_each_renewal_outcome_means() {
    let mut h = LeaseHolder::new(CONFIG).unwrap();
    assert!(LeaseHolder::new(LeaseConfig { ttl_ms: 0, max_skew_ms: 0 }).is_err());
    assert_eq!(h.begin_renew(T0), None, "nothing granted");
    assert!(matches!(h.renewed(&grant(0, 1, 0, 0, T0), T0), Renewal::Stop(e) if e.code() == ErrorCode::LeaseLost));
    let fence = h.begin_acquire(T0);
    assert_eq!(fence, T0 + 10_000);
    h.granted(&grant(3, 1, T0 - 50, fence, T0 + 5), T0 + 10).unwrap();
    assert!(h.granted(&grant(3, 1, 0, fence, T0), T0).is_err(), "a grant without a proposal");
    assert_eq!(h.lease().unwrap().node(), 3);
    assert_eq!(h.next_renewal_in_ms(T0 + 1_000), 2_333);
    assert_eq!(h.next_renewal_in_ms(T0 + 9_000), 0);
    assert_eq!(h.begin_renew(T0 + 1_000), None, "not due yet");
    // Renewed: the fence moves on.
    let p = h.begin_renew(T0 + 3_400).unwrap();
    assert_eq!(
        h.renewed(&grant(3, 1, T0 - 50, p, T0 + 3_405), T0 + 3_410),
        Renewal::Renewed { fence_ms: p }
    );
    // Answered too late to judge the clocks: retry in a quarter period.
    let p2 = h.begin_renew(T0 + 7_000).unwrap();
    assert_eq!(
        h.renewed(&grant(3, 1, T0 - 50, p2, T0 + 8_250), T0 + 9_500),
        Renewal::Retry { in_ms: 833 }
    );
    assert_eq!(h.lease().unwrap().fence_ms(), p, "the fence stays");
    // No answer (store_unavailable, or a driver's own failure): retry; any other code stops.
    h.begin_renew(T0 + 7_100).unwrap();
    assert_eq!(h.renew_failed(Some(ErrorCode::StoreUnavailable)), Renewal::Retry { in_ms: 833 });
    h.begin_renew(T0 + 7_200).unwrap();
    assert_eq!(h.renew_failed(None), Renewal::Retry { in_ms: 833 });
    h.begin_renew(T0 + 7_300).unwrap();
    assert!(matches!(h.renew_failed(Some(ErrorCode::StoreSchema)), Renewal::Stop(e) if e.code() == ErrorCode::StoreSchema));
    // A skewed answer stops renewals with clock_skew.
    let p3 = h.begin_renew(T0 + 7_400).unwrap();
    assert!(matches!(h.renewed(&grant(3, 1, T0 - 50, p3, T0 + 9_400), T0 + 7_401), Renewal::Stop(e) if e.code() == ErrorCode::ClockSkew));
    // Refused: lease_lost, and nothing to release.
    h.begin_renew(T0 + 7_500).unwrap();
    assert!(matches!(h.refused(), Renewal::Stop(e) if e.code() == ErrorCode::LeaseLost));
    assert_eq!(h.release(Some(T0)).unwrap_err().code(), ErrorCode::LeaseLost);
    let tiny = LeaseHolder::new(LeaseConfig {
        ttl_ms: 30,
        max_skew_ms: 5,
    })
    .unwrap();
    assert_eq!(tiny.retry_in_ms(), 10, "at least 10 ms");
}

#[test]
fn a_store_restored_from_its_records_answers_as_the_one_it_was_saved_from() {
    let mut a = MemoryStore::new(CONFIG, 2, "do", true, T0).unwrap();
    let g = a.acquire("x", T0 + 10_000, "do", T0).unwrap();
    let records: Vec<NodeRecord> = a.nodes().to_vec();
    let mut b = MemoryStore::restore(CONFIG, a.floor_ms(), "do", records).unwrap();
    assert_eq!(b.config(), &CONFIG);
    assert_eq!(
        b.renew(g.node, g.epoch, g.start_ms, "x", T0 + 11_000, "do", T0 + 1)
            .unwrap()
            .fence_ms,
        T0 + 11_000
    );
    assert_eq!(b.acquire("y", T0, "do", T0 + 2).unwrap().node, 1, "node 0 is still held");
    assert_eq!(
        MemoryStore::restore(CONFIG, 0, "do", Vec::new()).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
}

/// SPIN's `no_start_check` schedule on the reference store: a snapshot taken
/// while a held node 0, restored after b took the node over, revives a's
/// record. Every renewal and release of a's old lease is refused — first
/// because the server's identity is not the recorded one, then (after an
/// acquire raised the floor) because a's start is below the floor — so a
/// cannot mint over b's ticks. Without the start-and-floor check a's renewal
/// passes (the identity check alone is gone once an acquire has met it).
#[test]
fn a_superseded_lease_revived_by_an_older_snapshot_never_renews() {
    let mut s = MemoryStore::new(CONFIG, 2, "run-1", true, T0).unwrap();
    let a = s.acquire("a", T0 + 10_000, "run-1", T0).unwrap();
    assert_eq!(s.acquire("c", T0 + 10_000, "run-1", T0).unwrap().node, 1);
    let snapshot: Vec<NodeRecord> = s.nodes().to_vec();
    let b = s.acquire("b", T0 + 20_000, "run-1", T0 + 10_000).unwrap();
    assert_eq!((b.node, b.epoch), (a.node, 2), "b took a's node after a's TTL");
    // Restored from the snapshot (the server comes back as run-2): a's record is back.
    let mut r = MemoryStore::restore(CONFIG, 0, "run-1", snapshot).unwrap();
    let lost = |e: idloom::Error| e.code();
    assert_eq!(
        r.renew(a.node, a.epoch, a.start_ms, "a", T0 + 21_000, "run-2", T0 + 11_000)
            .map_err(lost),
        Err(ErrorCode::LeaseLost),
        "another identity: refused, nothing changed"
    );
    assert_eq!(r.floor_ms(), 0);
    // Any acquire (here c's, sticky to node 1) meets the identity and raises the floor above every fence from before.
    let c = r.acquire("c", T0 + 21_000, "run-2", T0 + 11_000).unwrap();
    assert_eq!((c.node, r.floor_ms()), (1, T0 + 22_000));
    assert_eq!(
        r.renew(a.node, a.epoch, a.start_ms, "a", T0 + 21_000, "run-2", T0 + 11_001)
            .map_err(lost),
        Err(ErrorCode::LeaseLost),
        "a's start is below the floor: the lease is over"
    );
    assert_eq!(
        r.release(a.node, a.epoch, a.start_ms, "a", T0 + 5_000).map_err(lost),
        Err(ErrorCode::LeaseLost)
    );
    // When a's record expires, the next holder starts at the floor, above b's fence.
    let d = r.acquire("d", T0 + 31_000, "run-2", T0 + 21_000).unwrap();
    assert!(d.start_ms >= T0 + 22_000 && d.start_ms >= b.fence_ms);
}

/// SPIN's `no_start_check_forget` schedule: a store that forgot (a restart
/// empty) gives epoch 1 again, here to a holder with the same name. The old
/// lease (epoch 1, its own start) is not the new one: refused.
#[test]
fn an_epoch_number_given_again_after_the_store_forgot_is_another_lease() {
    let mut s = MemoryStore::new(CONFIG, 1, "run-1", true, T0).unwrap();
    let old = s.acquire("worker", T0 + 10_000, "run-1", T0).unwrap();
    let mut again = MemoryStore::new(CONFIG, 1, "run-2", false, T0 + 1_000).unwrap();
    let new = again.acquire("worker", T0 + 11_000, "run-2", T0 + 1_000).unwrap();
    assert_eq!((new.node, new.epoch), (old.node, old.epoch), "the same node and epoch number");
    assert!(new.start_ms > old.fence_ms);
    let e = again
        .renew(old.node, old.epoch, old.start_ms, "worker", T0 + 14_000, "run-2", T0 + 4_000)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::LeaseLost);
    assert_eq!(
        again
            .release(old.node, old.epoch, old.start_ms, "worker", T0 + 5_000)
            .unwrap_err()
            .code(),
        ErrorCode::LeaseLost
    );
    let ok = again
        .renew(new.node, new.epoch, new.start_ms, "worker", T0 + 14_000, "run-2", T0 + 4_000)
        .unwrap();
    assert_eq!(ok.start_ms, new.start_ms);
}
