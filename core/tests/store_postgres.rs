//! The core's PostgreSQL texts on the machine's real server (never a mock):
//! leases under 16 racing holders, refused renewals, releases, floors after a
//! lost namespace or a new store identity, segments in atomic and CAS modes,
//! and every store fault as its code. Names are unique to the run; a server
//! that is unreachable fails these tests, it never skips them.

#![cfg(feature = "std")]

#[path = "support/pg.rs"]
mod pg;
#[path = "support/race.rs"]
mod race;

impl race::Leases for PgStore {
    fn acquire(&mut self, ns: &str, holder: &str, proposed_fence_ms: u64) -> idloom::Result<Grant> {
        PgStore::acquire(self, ns, holder, proposed_fence_ms)
    }
    fn renew(&mut self, ns: &str, g: &Grant, holder: &str, proposed_fence_ms: u64) -> idloom::Result<Grant> {
        PgStore::renew(self, ns, g, holder, proposed_fence_ms)
    }
    fn release(&mut self, ns: &str, g: &Grant, holder: &str, high_water_ms: u64) -> idloom::Result<u64> {
        PgStore::release(self, ns, g, holder, high_water_ms)
    }
}

use idloom::lease::{Grant, Lease, LeaseConfig};
use idloom::stores::sequence_numbers;
use idloom::{ErrorCode, Layout};
use pg::PgStore;
use std::sync::Once;

static SCHEMA: Once = Once::new();

fn store() -> PgStore {
    let mut s = PgStore::connect(&pg::url())
        .unwrap_or_else(|e| panic!("PostgreSQL at {}: {e} (the tests need the server; they never skip)", pg::url()));
    SCHEMA.call_once(|| s.init().unwrap());
    s
}

fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("t{tag}_{}_{}", std::process::id(), nanos % 1_000_000_000_000)
}

const CONFIG: LeaseConfig = LeaseConfig {
    ttl_ms: 300,
    max_skew_ms: 100,
};

#[test]
fn sixteen_holders_racing_for_eight_nodes_never_share_an_epoch_and_start_above_the_fences() {
    let ns = unique("race");
    store().init_namespace(&ns, &Layout::TWITTER, 8, CONFIG, true).unwrap();
    // (grant, the fence it ended with: its start if released with nothing minted).
    let n = race::sixteen_holders_on_eight_nodes(store, &ns, CONFIG.ttl_ms);
    eprintln!("{n} grants to 16 holders on 8 nodes");
}

#[test]
fn expiry_is_judged_by_the_stores_clock_and_a_taken_node_refuses_the_old_renewal() {
    let ns = unique("expiry");
    let mut db = store();
    db.init_namespace(&ns, &Layout::TWITTER, 1, CONFIG, true).unwrap();
    let p = Lease::propose(&CONFIG, idloom::Clock::now_ms(&idloom::SystemClock));
    let a = db.acquire(&ns, "a", p.fence_ms).unwrap();
    // The skew estimate (a roomy bound: a loaded CI machine can answer slowly).
    let roomy = LeaseConfig {
        ttl_ms: 60_000,
        max_skew_ms: 5_000,
    };
    let lease = Lease::from_grant(roomy, &p, &a, idloom::Clock::now_ms(&idloom::SystemClock)).unwrap();
    assert!(lease.skew_ms().unsigned_abs() < 1_000, "same machine: skew {}", lease.skew_ms());
    assert_eq!(db.acquire(&ns, "b", 0).unwrap_err().code(), ErrorCode::NoFreeNode);
    // a renews: fence moves on, never back.
    let r = db.renew(&ns, &a, "a", a.fence_ms + 50).unwrap();
    assert!(r.fence_ms > a.fence_ms);
    assert_eq!(
        (r.epoch, r.fence_ms),
        (a.epoch, (a.fence_ms + 50).min(r.store_now_ms + CONFIG.ttl_ms + CONFIG.max_skew_ms))
    );
    assert_eq!(db.renew(&ns, &a, "a", 5).unwrap().fence_ms, r.fence_ms);
    std::thread::sleep(std::time::Duration::from_millis(CONFIG.ttl_ms + 50));
    let b = db.acquire(&ns, "b", 0).unwrap();
    assert_eq!((b.node, b.epoch), (0, a.epoch + 1));
    assert_eq!(b.start_ms, r.fence_ms, "b starts at a's last fence");
    assert_eq!(db.renew(&ns, &a, "a", u64::MAX >> 2).unwrap_err().code(), ErrorCode::LeaseLost);
    assert_eq!(db.release(&ns, &a, "a", 0).unwrap_err().code(), ErrorCode::LeaseLost);
    // b releases with its high-water: the fence drops to it (clamped into b's interval), free at once.
    assert_eq!(db.release(&ns, &b, "b", b.start_ms + 7).unwrap(), b.start_ms);
    let c = db.acquire(&ns, "b", 0).unwrap();
    assert_eq!((c.epoch, c.start_ms), (b.epoch + 1, b.start_ms), "sticky and immediate");
}

#[test]
fn a_proposed_fence_is_clamped_to_one_lease_ahead_of_the_stores_clock() {
    let ns = unique("clamp");
    let mut db = store();
    db.init_namespace(&ns, &Layout::TWITTER, 1, CONFIG, true).unwrap();
    race::proposed_fences_are_clamped(&mut db, &ns, CONFIG, 1 << 60, |_, _| ());
}

#[test]
fn a_recreated_namespace_and_a_new_store_identity_raise_the_floor() {
    let ns = unique("floor");
    let mut db = store();
    assert_eq!(
        db.acquire(&ns, "a", 0).unwrap_err().code(),
        ErrorCode::StoreStateLost,
        "a missing namespace"
    );
    let before = idloom::Clock::now_ms(&idloom::SystemClock) as i64;
    let floor = db.init_namespace(&ns, &Layout::TWITTER, 2, CONFIG, false).unwrap();
    let after = idloom::Clock::now_ms(&idloom::SystemClock) as i64;
    assert!(
        floor + 5 >= before + 400 && floor <= after + 400 + 5,
        "floor {floor} ~ now + ttl + skew"
    );
    assert!(db.acquire(&ns, "a", 0).unwrap().start_ms >= floor as u64);
    assert_eq!(
        db.init_namespace(&ns, &Layout::SONYFLAKE, 2, CONFIG, false).unwrap_err().code(),
        ErrorCode::StoreSchema,
        "one layout per namespace"
    );
    // A restore or promotion changes system identifier/timeline: simulate the record's side.
    db.client
        .execute("UPDATE idloom_namespace SET store_identity = 'older' WHERE namespace = $1", &[&ns])
        .unwrap();
    let before = idloom::Clock::now_ms(&idloom::SystemClock);
    let g = db.acquire(&ns, "b", 0).unwrap();
    assert!(
        g.start_ms + 5 >= before + CONFIG.ttl_ms + CONFIG.max_skew_ms,
        "the floor rose before the grant"
    );
}

#[test]
fn eight_holders_creating_a_lost_namespace_at_once_all_get_its_one_record() {
    // The soak's minters, finding a store restarted empty, create the namespace
    // again at the same moment. The losers of that race read the record from
    // their statement's snapshot, taken before the winner committed: no row.
    for round in 0..5 {
        let ns = unique(&format!("race{round}"));
        let barrier = std::sync::Barrier::new(8);
        let floors: Vec<i64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        let mut db = store();
                        barrier.wait();
                        db.init_namespace(&ns, &Layout::TWITTER, 2, CONFIG, false)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect()
        });
        assert!(floors.iter().all(|f| *f == floors[0]), "one record: {floors:?}");
    }
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
            assert!(
                w[0].1 <= w[1].0,
                "ranges {:?} and {:?} overlap ({})",
                w[0],
                w[1],
                if cas { "cas" } else { "atomic" }
            );
        }
        assert!(sorted.iter().all(|r| r.1 - r.0 == 100));
        let retries: u32 = ranges.iter().map(|r| r.1).sum();
        if cas {
            eprintln!("CAS: 320 fetches by 8 threads, {retries} retries");
        }
    }
}

#[test]
fn two_sequences_with_a_step_interleave_without_meeting() {
    let mut db = store();
    // Two "databases" as Tinyid's remainder and delta: ranges of 100, offsets 0 and 1 of 2.
    let (s0, s1) = (unique("seq0"), unique("seq1"));
    let ((a0, i0), (a1, i1)) = (sequence_numbers(100, 0, 0, 2).unwrap(), sequence_numbers(100, 0, 1, 2).unwrap());
    assert_eq!([a0, i0, a1, i1], [0, 200, 100, 200]);
    db.create_sequence(&s0, a0, i0).unwrap();
    db.create_sequence(&s1, a1, i1).unwrap();
    let mut starts: Vec<u64> = (0..20)
        .flat_map(|_| [db.sequence_next(&s0).unwrap(), db.sequence_next(&s1).unwrap()])
        .collect();
    starts.sort_unstable();
    assert!(starts.windows(2).all(|w| w[1] - w[0] == 100), "{starts:?}");
    assert_eq!(
        db.sequence_next(&unique("none")).unwrap_err().code(),
        ErrorCode::StoreSchema,
        "a missing sequence"
    );
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
    assert_eq!(
        db.fetch("leaf; DROP TABLE x", "order", 10).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    let refused = PgStore::connect("host=127.0.0.1 port=1 user=postgres dbname=test connect_timeout=2")
        .err()
        .unwrap();
    assert_eq!(refused.code(), ErrorCode::StoreUnavailable, "a refused connection");
    // Another schema version: in a schema of its own, so the shared tables stay as they are.
    let schema = unique("schema");
    db.client
        .batch_execute(&format!("CREATE SCHEMA {schema}; SET search_path TO {schema}"))
        .unwrap();
    db.client.batch_execute(idloom::stores::postgres::SCHEMA).unwrap();
    db.client.execute("UPDATE idloom_schema SET version = 99", &[]).unwrap();
    assert_eq!(db.check_schema().unwrap_err().code(), ErrorCode::StoreSchema);
    db.client
        .batch_execute(&format!("SET search_path TO public; DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}

#[test]
fn lookup_and_status_show_the_record_and_every_node() {
    let ns = unique("status");
    let mut db = store();
    assert_eq!(db.namespace_get(&ns).unwrap(), None, "no record: the caller's store_state_lost");
    db.init_namespace(&ns, &Layout::TWITTER, 3, CONFIG, true).unwrap();
    let (layout, nodes, ttl, skew, floor) = db.namespace_get(&ns).unwrap().unwrap();
    assert_eq!(layout, idloom::stores::layout_record(&Layout::TWITTER));
    assert_eq!((nodes, ttl, skew, floor), (3, CONFIG.ttl_ms as i64, CONFIG.max_skew_ms as i64, 0));
    let g = db.acquire(&ns, "h", 1_000).unwrap();
    race::check_status(&db.nodes(&ns).unwrap(), &g, "h");
}

#[test]
fn a_namespace_asked_for_with_another_node_count_gains_no_nodes() {
    let ns = unique("count");
    let mut db = store();
    db.init_namespace(&ns, &Layout::TWITTER, 2, CONFIG, true).unwrap();
    assert_eq!(
        db.init_namespace(&ns, &Layout::TWITTER, 3, CONFIG, true).unwrap_err().code(),
        ErrorCode::StoreSchema
    );
    db.acquire(&ns, "a", 1_000).unwrap();
    db.acquire(&ns, "b", 1_000).unwrap();
    assert_eq!(
        db.acquire(&ns, "c", 1_000).unwrap_err().code(),
        ErrorCode::NoFreeNode,
        "the record says 2 nodes"
    );
    assert_eq!(db.nodes(&ns).unwrap().len(), 2);
}

#[test]
fn acquire_uses_the_node_indexes_and_stays_sticky() {
    let ns = unique("idx");
    let mut db = store();
    db.init_namespace(&ns, &Layout::SONYFLAKE, 2_500, CONFIG, true).unwrap();
    assert_eq!(db.nodes(&ns).unwrap().len(), 2_500);
    // init made the indexes acquire.sql reads (O(log n), not a sort of every free row).
    let indexes: Vec<String> = db
        .client
        .query("SELECT indexname FROM pg_indexes WHERE tablename = 'idloom_node'", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for want in ["idloom_node_expiry", "idloom_node_holder"] {
        assert!(indexes.iter().any(|i| i == want), "{want} in {indexes:?}");
    }
    // The plan reads one row from each index; the old text sorted every free row.
    let plan: Vec<String> = db
        .client
        .query(&format!("EXPLAIN {}", idloom::stores::postgres::ACQUIRE), &[&ns, &"a", &0i64])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let plan = plan.join("\n");
    // The free nodes are read in index order (no sort of them); a sort may
    // only order the holder's own few rows (Sort Key: d.node).
    assert!(plan.contains("Index Scan using idloom_node_expiry"), "{plan}");
    assert!(plan.contains("idloom_node_holder"), "{plan}");
    let sorts: Vec<&str> = plan.lines().filter(|l| l.contains("Sort Key")).collect();
    assert!(sorts.iter().all(|l| !l.contains("expires_ms") && !l.contains("holder")), "{plan}");
    race::expired_first_then_sticky(&mut db, &ns);
}

/// The guard on a Leaf row: a counter guarded at init records the store's
/// identity (system_identifier/timeline); a restore onto another identity
/// (simulated: the recorded identity changed behind its back) refuses every
/// fetch (atomic, CAS read and CAS write) with store_state_lost and moves
/// nothing, until a guarded re-init raises it to max(counter, floor).
#[test]
fn a_guarded_counter_refuses_another_store_identity_until_reinitialised_above_a_floor() {
    let mut db = store();
    let table = unique("guard");
    // A table made by the older texts (no store_identity column): unguarded fetches work.
    db.init_segment(&table, "plain", 1, 10).unwrap();
    assert_eq!(db.fetch(&table, "plain", 10).unwrap(), (1, 11));
    assert_eq!(db.fetch_cas(&table, "plain", 10, 4).unwrap().0, (11, 21));
    // Guarded: the first guarded init adds the column.
    db.init_segment_with(&table, "order", 100, 10, true).unwrap();
    assert_eq!(db.fetch(&table, "order", 10).unwrap(), (100, 110));
    assert_eq!(db.fetch_cas(&table, "order", 10, 4).unwrap().0, (110, 120));
    // Re-init under the same identity changes nothing (a higher floor too).
    db.init_segment_with(&table, "order", 5_000, 10, true).unwrap();
    assert_eq!(db.fetch(&table, "order", 10).unwrap(), (120, 130));
    let max_id = |db: &mut PgStore, tag: &str| -> i64 {
        db.client
            .query_one(&format!("SELECT max_id FROM {table} WHERE biz_tag = $1"), &[&tag])
            .unwrap()
            .get(0)
    };
    // A CAS round that read under the old identity and writes after it changed: refused.
    let cas = idloom::stores::segment_sql(idloom::stores::postgres::SEGMENT_CAS, &table).unwrap();
    let restored = format!("UPDATE {table} SET store_identity = 'another/1' WHERE biz_tag = $1");
    db.client.execute(&restored, &[&"order"]).unwrap();
    assert_eq!(
        db.client.execute(&cas, &[&"order", &130i64, &140i64]).unwrap(),
        0,
        "CAS write refused"
    );
    for cas in [false, true] {
        let e = if cas {
            db.fetch_cas(&table, "order", 10, 4).unwrap_err()
        } else {
            db.fetch(&table, "order", 10).unwrap_err()
        };
        assert_eq!(e.code(), ErrorCode::StoreStateLost, "cas {cas}");
        assert!(e.to_string().contains("store identity changed"), "{e}");
    }
    assert_eq!(max_id(&mut db, "order"), 130, "nothing moved");
    // Unguarded re-init leaves it refused; an unguarded counter is unaffected.
    db.init_segment(&table, "order", 10_000, 10).unwrap();
    assert_eq!(db.fetch(&table, "order", 10).unwrap_err().code(), ErrorCode::StoreStateLost);
    assert_eq!(db.fetch(&table, "plain", 10).unwrap(), (21, 31));
    // Re-initialised above a floor: max(counter, floor), this identity recorded.
    db.init_segment_with(&table, "order", 10_000, 10, true).unwrap();
    assert_eq!(db.fetch(&table, "order", 10).unwrap(), (10_000, 10_010));
    assert_eq!(db.fetch_cas(&table, "order", 10, 4).unwrap().0, (10_010, 10_020));
    // A floor below the counter never lowers it.
    db.client.execute(&restored, &[&"order"]).unwrap();
    db.init_segment_with(&table, "order", 5, 10, true).unwrap();
    assert_eq!(db.fetch(&table, "order", 10).unwrap(), (10_020, 10_030));
    // Guarding an existing unguarded counter raises it the same way.
    db.init_segment_with(&table, "plain", 500, 10, true).unwrap();
    assert_eq!(db.fetch(&table, "plain", 10).unwrap(), (500, 510));
    db.client.batch_execute(&format!("DROP TABLE {table}")).unwrap();
}
