//! Small but meaningful runs of the simulation: 200 holders in 3 regions,
//! 3 simulated minutes, each fault kind; the checks stay at 0 with the
//! real protocol and find duplicates when a defence is removed. The figures
//! asserted are simulated (deterministic for a seed), never wall time.

use idloom_sim::{run, scenario, Broken, Config, Report};

const HOLDERS: u32 = 200;
const MINUTES: u64 = 3;

fn cfg(name: &str) -> Config {
    scenario(name, HOLDERS, MINUTES, 7).expect("a scenario")
}

/// Run and require the checks at 0; the report.
fn safe(c: &Config) -> Report {
    let r = run(c);
    let k = &r.checks;
    assert!(k.claims >= u64::from(c.holders), "{}: every holder leased: {}", c.name, r.table());
    assert_eq!(
        (k.overlaps, k.duplicates, k.outside_claim),
        (0, 0, 0),
        "{}: the checks found a breach:\n{}",
        c.name,
        r.table()
    );
    assert!(
        r.ids_minted > u64::from(c.holders) * 60,
        "{}: the fleet minted: {}",
        c.name,
        r.table()
    );
    r
}

#[test]
fn a_seed_gives_the_same_report_every_time() {
    let c = cfg("internet");
    let (a, b) = (run(&c).json(), run(&c).json());
    assert_eq!(a, b, "the same seed, another report");
    let other = run(&scenario("internet", HOLDERS, MINUTES, 8).expect("a scenario")).json();
    assert_ne!(a, other, "another seed, the same report: the seed is not used");
}

#[test]
fn steady_load_is_three_renewals_per_holder_per_ttl() {
    let r = safe(&cfg("steady"));
    let l = &r.load;
    assert_eq!(l.expected_renewals_per_s, 60.0);
    assert!(
        (l.steady_renewals_per_s - l.expected_renewals_per_s).abs() <= 0.05 * l.expected_renewals_per_s,
        "{}",
        r.table()
    );
    assert_eq!((l.acquires, r.leases_granted, r.lease_lost, r.renewal_retries), (200, 200, 0, 0));
    assert_eq!(r.still_blocked_at_end, 0);
}

#[test]
fn a_partitioned_region_stops_at_its_fences_and_comes_back() {
    let r = safe(&cfg("partition"));
    let f = &r.faults[0];
    // Region 2 holds a third of the fleet; each of them runs into its fence.
    assert_eq!(f.holders_hit, 66);
    assert!(r.stopped_at_fence >= 66, "{}", r.table());
    assert_eq!(f.outages, 66, "every partitioned holder mints again: {}", r.table());
    // The partition lasts 60 s; a holder mints until its fence (up to a TTL in).
    assert!(f.outage_max_ms <= 60_000 && f.outage_p50_ms >= 40_000, "{}", r.table());
    assert_eq!(r.still_blocked_at_end, 0);
}

#[test]
fn clocks_past_max_skew_are_refused_and_within_it_are_not() {
    let r = safe(&cfg("clocks"));
    // 2 holders drift to +3 s, 2 to -3 s (past the 1 s bound), 4 to +0.5 s.
    assert!(r.clock_skew_stops + r.clock_skew_refusals > 0, "{}", r.table());
    assert_eq!(r.clock_skew_stops, 4, "the four past the bound end their renewals: {}", r.table());
    assert_eq!(r.still_blocked_at_end, 4, "and cannot lease again: {}", r.table());
    assert_eq!(r.lease_lost, 0);
}

#[test]
fn a_pause_past_the_ttl_stops_at_the_fence_then_renews() {
    let r = safe(&cfg("pauses"));
    assert!(r.stopped_at_fence >= 1, "the 15 s pause outlives the fence: {}", r.table());
    assert_eq!(r.faults[0].outages, 0, "a 2 s pause is within the fence: {}", r.table());
    assert!(r.faults[1].outages >= 1);
    assert_eq!(r.still_blocked_at_end, 0);
}

#[test]
fn crashes_and_clean_restarts_lease_again() {
    let r = safe(&cfg("churn"));
    assert_eq!(r.load.releases, 20, "10 % released cleanly: {}", r.table());
    assert_eq!(r.leases_granted, 230, "{}", r.table());
    for f in &r.faults {
        assert_eq!(f.outages, f.holders_hit, "{}", r.table());
        assert!(f.outage_max_ms < 3_000 + 1_000, "down 3 s, then a round trip: {}", r.table());
    }
}

#[test]
fn a_store_restart_ends_every_lease_and_the_floor_holds_them_ttl_plus_skew() {
    let c = cfg("store_restart");
    let r = safe(&c);
    assert_eq!(r.lease_lost, 200, "every renewal after the restart is refused: {}", r.table());
    assert_eq!(r.leases_granted, 400);
    let f = &r.faults[0];
    assert_eq!(f.outages, 200);
    // Back after the store's 5 s down, the new floor is store now + ttl + max_skew.
    let bound = 5_000 + c.lease.ttl_ms + c.lease.max_skew_ms + 500;
    assert!(f.recovered_after_ms <= bound, "{}", r.table());
    assert!(f.recovered_after_ms >= 5_000 + c.lease.ttl_ms, "{}", r.table());
}

#[test]
fn a_store_restore_under_a_new_identity_is_safe() {
    let r = safe(&cfg("store_restore"));
    assert_eq!(r.lease_lost, 200, "{}", r.table());
    let r = safe(&cfg("takeover"));
    assert!(r.lease_lost > 0);
}

#[test]
fn everything_at_once_is_safe() {
    safe(&cfg("internet"));
}

#[test]
fn a_holder_extending_its_own_fence_mints_duplicates() {
    let mut c = cfg("takeover");
    c.broken = Some(Broken::SelfExtend);
    let r = run(&c);
    assert!(r.checks.duplicates > 0, "the check missed the broken holder: {}", r.table());
    assert!(r.checks.overlaps > 0 && r.checks.outside_claim > 0, "{}", r.table());
}

#[test]
fn a_restore_that_keeps_the_identity_mints_duplicates() {
    let mut c = cfg("takeover");
    c.broken = Some(Broken::RestoreKeepsIdentity);
    let r = run(&c);
    assert!(r.checks.duplicates > 0, "the check missed the revived lease: {}", r.table());
    assert!(r.checks.overlaps > 0, "{}", r.table());
}

#[test]
fn a_twitter_layout_runs_out_of_nodes_at_1024() {
    // 1,100 holders on the Twitter layout's 10 node bits: 76 cannot lease.
    let mut c = scenario("steady", 1_100, 2, 7).expect("a scenario");
    c.node_bits = 10;
    c.nodes = 1 << 10;
    let r = run(&c);
    assert_eq!(r.leases_granted, 1_024, "{}", r.table());
    assert!(r.no_free_node > 0, "{}", r.table());
    assert_eq!(r.still_blocked_at_end, 76, "{}", r.table());
    assert_eq!((r.checks.overlaps, r.checks.duplicates), (0, 0));
}

#[test]
fn a_store_restarted_as_fresh_mints_duplicates() {
    // The namespace recreated with floor 0 instead of above the old fences:
    // the holders that lost their leases still mint below theirs.
    let mut c = cfg("store_restart");
    c.broken = Some(Broken::RestartFresh);
    let r = run(&c);
    assert!(r.checks.duplicates > 0, "the check missed the missing floor: {}", r.table());
    assert!(r.checks.overlaps > 0, "{}", r.table());
}
