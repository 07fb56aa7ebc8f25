//! The core's MariaDB/MySQL texts on the machine's real MariaDB (never a
//! mock): leases as short transactions under racing holders, segments in
//! LAST_INSERT_ID and CAS modes, sequences with a step, Flickr tickets on two
//! odd/even "servers", and store faults as codes. Names unique to the run.

#![cfg(feature = "std")]

#[path = "support/my.rs"]
mod my;
#[path = "support/race.rs"]
mod race;

impl race::Leases for MyStore {
    fn acquire(&mut self, ns: &str, holder: &str, proposed_fence_ms: u64) -> idloom::Result<Grant> {
        MyStore::acquire(self, ns, holder, proposed_fence_ms)
    }
    fn renew(&mut self, ns: &str, g: &Grant, holder: &str, proposed_fence_ms: u64) -> idloom::Result<Grant> {
        MyStore::renew(self, ns, g, holder, proposed_fence_ms)
    }
    fn release(&mut self, ns: &str, g: &Grant, holder: &str, high_water_ms: u64) -> idloom::Result<u64> {
        MyStore::release(self, ns, g, holder, high_water_ms)
    }
}

use idloom::lease::{Grant, LeaseConfig};
use idloom::stores::sequence_numbers;
use idloom::{Clock, ErrorCode, Layout, SystemClock};
use my::MyStore;
use mysql::prelude::Queryable;
use std::collections::HashSet;
use std::sync::Once;

static SCHEMA: Once = Once::new();

fn store() -> MyStore {
    let mut s = MyStore::connect(&my::url())
        .unwrap_or_else(|e| panic!("MariaDB at {}: {e} (the tests need the server; they never skip)", my::url()));
    SCHEMA.call_once(|| s.init().unwrap());
    s
}

fn unique(tag: &str) -> String {
    format!("t{tag}_{}_{}", std::process::id(), SystemClock.now_ms() % 10_000_000_000)
}

const CONFIG: LeaseConfig = LeaseConfig {
    ttl_ms: 300,
    max_skew_ms: 100,
};

#[test]
fn sixteen_holders_racing_for_eight_nodes_never_share_an_epoch() {
    let ns = unique("race");
    store().init_namespace(&ns, &Layout::TWITTER, 8, CONFIG, true).unwrap();
    let n = race::sixteen_holders_on_eight_nodes(store, &ns, CONFIG.ttl_ms);
    eprintln!("{n} grants to 16 holders on 8 nodes");
}

#[test]
fn expiry_renewal_release_and_floor() {
    let ns = unique("lease");
    let mut db = store();
    assert_eq!(db.acquire(&ns, "a", 0).unwrap_err().code(), ErrorCode::StoreStateLost);
    let before = SystemClock.now_ms();
    let floor = db.init_namespace(&ns, &Layout::TWITTER, 1, CONFIG, false).unwrap();
    assert!(floor as u64 + 5 >= before + 400, "not fresh: floor {floor} ~ now + ttl + skew");
    assert_eq!(
        db.init_namespace(&ns, &Layout::BAIDU, 1, CONFIG, false).unwrap_err().code(),
        ErrorCode::StoreSchema
    );
    let a = db.acquire(&ns, "a", SystemClock.now_ms() + 300).unwrap();
    assert_eq!(a.start_ms, floor as u64);
    assert!(a.store_now_ms.abs_diff(SystemClock.now_ms()) < 1_000, "the store's clock (NOW(3))");
    assert_eq!(db.acquire(&ns, "b", 0).unwrap_err().code(), ErrorCode::NoFreeNode);
    let r = db.renew(&ns, &a, "a", a.fence_ms + 500).unwrap();
    assert_eq!(
        r.fence_ms,
        (a.fence_ms + 500)
            .min(r.store_now_ms + CONFIG.ttl_ms + CONFIG.max_skew_ms)
            .max(a.fence_ms)
    );
    // Renewals that change nothing (the same millisecond, the same fence) still hold.
    for _ in 0..20 {
        db.renew(&ns, &a, "a", 0).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(CONFIG.ttl_ms + 50));
    let b = db.acquire(&ns, "b", 0).unwrap();
    assert_eq!((b.epoch, b.start_ms), (a.epoch + 1, r.fence_ms));
    assert_eq!(db.renew(&ns, &a, "a", u64::MAX >> 12).unwrap_err().code(), ErrorCode::LeaseLost);
    assert_eq!(db.release(&ns, &b, "b", b.start_ms + 3).unwrap(), b.start_ms);
}

#[test]
fn a_proposed_fence_is_clamped_to_one_lease_ahead_of_the_stores_clock() {
    let ns = unique("clamp");
    let mut db = store();
    db.init_namespace(&ns, &Layout::TWITTER, 1, CONFIG, true).unwrap();
    race::proposed_fences_are_clamped(&mut db, &ns, CONFIG, 1 << 60, |_, _| ());
}

#[test]
fn eight_fetchers_on_one_row_never_overlap_in_atomic_and_cas_modes() {
    let table = unique("leaf");
    store().init_segment(&table, "order", 1, 1000).unwrap();
    for cas in [false, true] {
        let ranges: Vec<((u64, u64), u32)> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    let table = table.clone();
                    s.spawn(move || {
                        let mut db = store();
                        (0..40)
                            .map(|_| {
                                if cas {
                                    db.fetch_cas(&table, "order", 100, 200).unwrap()
                                } else {
                                    (db.fetch(&table, "order", 100).unwrap(), 0)
                                }
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
        });
        let mut sorted: Vec<(u64, u64)> = ranges.iter().map(|r| r.0).collect();
        sorted.sort_unstable();
        for w in sorted.windows(2) {
            assert!(w[0].1 <= w[1].0, "ranges {:?} and {:?} overlap", w[0], w[1]);
        }
        if cas {
            eprintln!(
                "MariaDB CAS: 320 fetches by 8 threads, {} retries",
                ranges.iter().map(|r| r.1).sum::<u32>()
            );
        }
    }
}

#[test]
fn sequences_with_a_step_and_two_ticket_servers_interleave_without_meeting() {
    let mut db = store();
    // Two "databases" as Tinyid's remainder and delta: step 100, offsets 0 and 1 of 2.
    let (s0, s1) = (unique("seq0"), unique("seq1"));
    let ((a0, i0), (a1, i1)) = (sequence_numbers(100, 0, 0, 2).unwrap(), sequence_numbers(100, 0, 1, 2).unwrap());
    assert_eq!([a0, i0, a1, i1], [0, 200, 100, 200]);
    db.create_sequence(&s0, a0, i0).unwrap();
    db.create_sequence(&s1, a1, i1).unwrap();
    let mut ranges: Vec<u64> = (0..20)
        .flat_map(|_| [db.sequence_next(&s0).unwrap(), db.sequence_next(&s1).unwrap()])
        .collect();
    ranges.sort_unstable();
    assert!(
        ranges.windows(2).all(|w| w[1] - w[0] == 100),
        "ranges of 100 counters, interleaved: {ranges:?}"
    );
    // Flickr tickets: odd and even servers (auto_increment_increment 2, offsets 1 and 2).
    let (odd, even) = (unique("tk_odd"), unique("tk_even"));
    let mut a = store();
    let mut b = store();
    for (conn, table, offset) in [(&mut a, &odd, 1), (&mut b, &even, 2)] {
        conn.conn
            .query_drop(format!(
                "SET SESSION auto_increment_increment = 2, auto_increment_offset = {offset}"
            ))
            .unwrap();
        conn.conn
            .query_drop(idloom::stores::segment_sql(idloom::stores::mysql::TICKET_SCHEMA, table).unwrap())
            .unwrap();
    }
    let mut tickets = HashSet::new();
    for i in 0..50 {
        for (conn, table, parity) in [(&mut a, &odd, 1), (&mut b, &even, 0)] {
            let t = conn.ticket(table, i % 10 == 0).unwrap();
            assert_eq!(
                t % 2,
                parity,
                "ticket {t} on the {} server",
                if parity == 1 { "odd" } else { "even" }
            );
            assert!(tickets.insert(t), "ticket {t} twice");
        }
    }
}

#[test]
fn store_faults_have_their_codes() {
    let mut db = store();
    let table = unique("leaf");
    assert_eq!(
        db.fetch(&table, "order", 10).unwrap_err().code(),
        ErrorCode::StoreSchema,
        "a missing table"
    );
    db.init_segment(&table, "order", 1, 10).unwrap();
    assert_eq!(
        db.fetch(&table, "nope", 10).unwrap_err().code(),
        ErrorCode::StoreStateLost,
        "a missing counter"
    );
    assert_eq!(db.fetch("x`; DROP", "order", 10).unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(
        MyStore::connect("mysql://root@127.0.0.1:1/test").err().unwrap().code(),
        ErrorCode::StoreUnavailable
    );
}

#[test]
fn status_shows_every_node_with_its_holder_and_fence() {
    let ns = unique("status");
    let mut db = store();
    db.init_namespace(&ns, &Layout::TWITTER, 3, CONFIG, true).unwrap();
    let g = db.acquire(&ns, "h", 1_000).unwrap();
    race::check_status(&db.nodes(&ns).unwrap(), &g, "h");
}

#[test]
fn node_rows_are_made_in_bulk_and_acquire_uses_the_node_indexes() {
    let ns = unique("bulk");
    let mut db = store();
    db.init_namespace(&ns, &Layout::SONYFLAKE, 2_500, CONFIG, true).unwrap();
    db.init_namespace(&ns, &Layout::SONYFLAKE, 2_500, CONFIG, true).unwrap();
    let rows = db.nodes(&ns).unwrap();
    assert_eq!(rows.len(), 2_500, "three statements of at most 1,000 rows");
    assert!(rows.iter().enumerate().all(|(k, r)| r.0 == k as i64));
    // init made the indexes acquire_pick.sql reads (O(log n), not a sort of every free row).
    let indexes: Vec<String> = db
        .conn
        .query(
            "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'idloom_node'",
        )
        .unwrap();
    for want in ["idloom_node_expiry", "idloom_node_holder"] {
        assert!(indexes.iter().any(|i| i == want), "{want} in {indexes:?}");
    }
    // The pick reads each index with LIMIT 1; the old text sorted every free row (filesort).
    let plan: Vec<mysql::Row> = db
        .conn
        .exec(
            format!("EXPLAIN {}", idloom::stores::mysql::ACQUIRE_PICK),
            (&ns, "a", i64::MAX, &ns, i64::MAX),
        )
        .unwrap();
    let node_reads: Vec<(Option<String>, Option<String>)> = plan
        .iter()
        .filter(|r| r.get::<Option<String>, _>("table").flatten().as_deref() == Some("idloom_node"))
        .map(|r| {
            (
                r.get::<Option<String>, _>("key").flatten(),
                r.get::<Option<String>, _>("Extra").flatten(),
            )
        })
        .collect();
    assert_eq!(node_reads.len(), 2, "{node_reads:?}");
    for (key, extra) in &node_reads {
        assert!(
            matches!(key.as_deref(), Some("idloom_node_holder" | "idloom_node_expiry")),
            "{node_reads:?}"
        );
        assert!(!extra.as_deref().unwrap_or("").contains("filesort"), "{node_reads:?}");
    }
    // Sticky first, else the node that expired first.
    race::expired_first_then_sticky(&mut db, &ns);
}
