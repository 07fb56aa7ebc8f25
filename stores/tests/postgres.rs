//! The scenarios on the real PostgreSQL (127.0.0.1:5432, user postgres, db
//! test; `IDLOOM_PG` overrides).

mod support;

use idloom_stores::postgres::PgStore;
use idloom_stores::{FetchMode, Store};

fn url() -> String {
    std::env::var("IDLOOM_PG").unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5".into())
}

/// A client of its own for the edits a fault leaves behind.
async fn client() -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(&url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

/// The store, its tables created once per test binary (parallel `CREATE … IF NOT EXISTS` can race).
async fn store() -> PgStore {
    static INIT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    let store = PgStore::from_url(&url()).unwrap();
    INIT.get_or_init(|| async {
        store.init().await.expect("PostgreSQL at 127.0.0.1:5432 (IDLOOM_PG)");
        // The segment table too: tests create counters in parallel.
        store.init_segment_guarded("warmup", 0, 1).await.expect("the segment table");
    })
    .await;
    store
}

support::scenarios!(
    lease_mint_renew_release,
    two_holders_two_nodes,
    an_outage_stops_minting_at_the_fence,
    a_failed_refill_is_reported_then_recovers,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_renewal_stops_at_the_fence() {
    support::a_refused_renewal_stops_at_the_fence(store().await, |ns| async move {
        client()
            .await
            .execute("UPDATE idloom_node SET expires_ms = 0 WHERE namespace = $1", &[&ns])
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_unique_atomic() {
    support::segments_unique(store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_unique_cas() {
    support::segments_unique(store().await.with_mode(FetchMode::Cas)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_store_unavailable() {
    support::refused(PgStore::from_url("host=127.0.0.1 port=1 user=postgres dbname=test connect_timeout=3").unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_are_checked() {
    support::arguments(store().await).await;
    assert!(PgStore::from_url("host=127.0.0.1").unwrap().with_table("x; DROP").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_client_works_too() {
    support::two_holders_two_nodes(PgStore::from_client(client().await)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guarded_counters() {
    support::guarded_counters(store().await, |tag| async move {
        client()
            .await
            .execute("UPDATE idloom_alloc SET store_identity = 'elsewhere/1' WHERE biz_tag = $1", &[&tag])
            .await
            .unwrap();
    })
    .await;
}

/// Replicas starting together on a fresh database create one table at once:
/// every one of them succeeds (a catalog race is run again, not reported).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_of_one_table() {
    let table = support::unique("idloom_race");
    let store = store().await.with_table(&table).unwrap();
    let tasks: Vec<_> = (0..6)
        .map(|k| {
            let store = store.clone();
            tokio::spawn(async move { store.init_segment_guarded(&format!("t{k}"), 0, 10).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    client().await.batch_execute(&format!("DROP TABLE {table}")).await.unwrap();
}

// ---- moved from the core's tests/store_postgres.rs (sync adapters) ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_holders_racing_for_eight_nodes_never_share_an_epoch_and_start_above_the_fences() {
    let n = support::sixteen_holders_on_eight_nodes(&store().await).await;
    eprintln!("{n} grants to 16 holders on 8 nodes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_is_judged_by_the_stores_clock_and_a_taken_node_refuses_the_old_renewal() {
    support::expiry_on_the_stores_clock(&store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposed_fence_is_clamped_to_one_lease_ahead_of_the_stores_clock() {
    support::proposed_fences_are_clamped(&store().await, 1 << 60, |_, _| async {}).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recreated_namespace_and_a_new_store_identity_raise_the_floor() {
    let db = store().await;
    let ns = support::a_namespace_created_not_fresh_starts_at_its_floor(&db).await;
    // A restore or promotion changes system identifier/timeline: simulate the record's side.
    client()
        .await
        .execute("UPDATE idloom_namespace SET store_identity = 'older' WHERE namespace = $1", &[&ns])
        .await
        .unwrap();
    let before = support::now_ms();
    let g = db.acquire(&ns, "b", 0).await.unwrap();
    let short = support::SHORT;
    assert!(
        g.start_ms + 5 >= before + short.ttl_ms + short.max_skew_ms,
        "the floor rose before the grant"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_holders_creating_a_lost_namespace_at_once_all_get_its_one_record() {
    // The soak's minters, finding a store restarted empty, create the namespace
    // again at the same moment. The losers of that race read the record from
    // their statement's snapshot, taken before the winner committed: no row.
    store().await;
    for round in 0..5 {
        let ns = support::unique(&format!("race{round}"));
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(8));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (ns, barrier) = (ns.clone(), barrier.clone());
                tokio::spawn(async move {
                    let db = PgStore::from_url(&url()).unwrap(); // a session of its own
                    db.init().await.unwrap();
                    barrier.wait().await;
                    db.init_namespace(&ns, support::LAYOUT, Some(2), support::SHORT, false).await
                })
            })
            .collect();
        let mut floors = Vec::new();
        for t in tasks {
            floors.push(t.await.unwrap().unwrap().floor_ms);
        }
        assert!(floors.iter().all(|f| *f == floors[0]), "one record: {floors:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_fetchers_on_one_row_never_overlap_in_atomic_and_cas_modes() {
    let table = support::unique("leaf");
    let db = store().await.with_table(&table).unwrap();
    support::eight_fetchers_on_one_counter(&db, 1).await;
    support::eight_fetchers_on_one_counter(&db.clone().with_mode(FetchMode::Cas), 1).await;
    client().await.batch_execute(&format!("DROP TABLE {table}")).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sequences_with_a_step_interleave_without_meeting() {
    use idloom::stores::{postgres as sql, segment_sql, sequence_numbers, sequence_sql};
    // Sequences are not in the crate yet: the core's texts on a client, as a binding runs them.
    let db = client().await;
    // Two "databases" as Tinyid's remainder and delta: ranges of 100, offsets 0 and 1 of 2.
    let (s0, s1) = (support::unique("seq0"), support::unique("seq1"));
    let ((a0, i0), (a1, i1)) = (sequence_numbers(100, 0, 0, 2).unwrap(), sequence_numbers(100, 0, 1, 2).unwrap());
    assert_eq!([a0, i0, a1, i1], [0, 200, 100, 200]);
    db.batch_execute(&sequence_sql(sql::SEQUENCE_CREATE, &s0, a0, i0).unwrap())
        .await
        .unwrap();
    db.batch_execute(&sequence_sql(sql::SEQUENCE_CREATE, &s1, a1, i1).unwrap())
        .await
        .unwrap();
    let next = |name: String| {
        let db = &db;
        async move {
            let row = db.query_one(&segment_sql(sql::SEQUENCE_FETCH, &name).unwrap(), &[]).await;
            row.map(|r| r.get::<_, i64>(0) as u64)
                .map_err(|e| idloom_stores::postgres::failure(&e))
        }
    };
    let mut starts = Vec::new();
    for _ in 0..20 {
        starts.push(next(s0.clone()).await.unwrap());
        starts.push(next(s1.clone()).await.unwrap());
    }
    starts.sort_unstable();
    assert!(starts.windows(2).all(|w| w[1] - w[0] == 100), "{starts:?}");
    let e = next(support::unique("none")).await.unwrap_err();
    assert_eq!(e.code(), idloom::ErrorCode::StoreSchema, "a missing sequence: {e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_faults_have_their_codes() {
    use idloom::ErrorCode;
    let table = support::unique("leaf");
    let db = store().await.with_table(&table).unwrap();
    support::a_missing_table_and_a_missing_counter(&db).await;
    let e = store().await.with_table("leaf; DROP TABLE x").unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    // A refused connection: a_refused_connection_is_store_unavailable.
    // Another schema version: in a schema of its own, so the shared tables stay as they are.
    let schema = support::unique("schema");
    let raw = client().await;
    raw.batch_execute(&format!(
        "CREATE SCHEMA {schema}; SET search_path TO {schema}; {} UPDATE idloom_schema SET version = 99",
        idloom::stores::postgres::SCHEMA
    ))
    .await
    .unwrap();
    let other = PgStore::from_url(&format!("{} options='-c search_path={schema}'", url())).unwrap();
    assert_eq!(other.init().await.unwrap_err().code(), ErrorCode::StoreSchema);
    raw.batch_execute(&format!(
        "SET search_path TO public; DROP SCHEMA {schema} CASCADE; DROP TABLE {table}"
    ))
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_and_status_show_the_record_and_every_node() {
    support::lookup_and_status(&store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_asked_for_with_another_node_count_gains_no_nodes() {
    let (db, ns) = (store().await, support::unique("count"));
    db.init_namespace(&ns, support::LAYOUT, Some(2), support::SHORT, true)
        .await
        .unwrap();
    let e = db
        .init_namespace(&ns, support::LAYOUT, Some(3), support::SHORT, true)
        .await
        .unwrap_err();
    assert_eq!(e.code(), idloom::ErrorCode::StoreSchema);
    db.acquire(&ns, "a", 1_000).await.unwrap();
    db.acquire(&ns, "b", 1_000).await.unwrap();
    let e = db.acquire(&ns, "c", 1_000).await.unwrap_err();
    assert_eq!(e.code(), idloom::ErrorCode::NoFreeNode, "the record says 2 nodes");
    assert_eq!(db.nodes(&ns).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acquire_uses_the_node_indexes_and_stays_sticky() {
    let (db, ns) = (store().await, support::unique("idx"));
    db.init_namespace(&ns, idloom::Layout::SONYFLAKE, Some(2_500), support::SHORT, true)
        .await
        .unwrap();
    assert_eq!(db.nodes(&ns).await.unwrap().len(), 2_500);
    let raw = client().await;
    // init made the indexes acquire.sql reads (O(log n), not a sort of every free row).
    let indexes: Vec<String> = raw
        .query("SELECT indexname::text FROM pg_indexes WHERE tablename = 'idloom_node'", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for want in ["idloom_node_expiry", "idloom_node_holder"] {
        assert!(indexes.iter().any(|i| i == want), "{want} in {indexes:?}");
    }
    // The plan reads one row from each index; the old text sorted every free row.
    let plan: Vec<String> = raw
        .query(&format!("EXPLAIN {}", idloom::stores::postgres::ACQUIRE), &[&ns, &"a", &0i64])
        .await
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
    support::expired_first_then_sticky(&db, &ns).await;
}

/// The guard on a Leaf row: a counter guarded at init records the store's
/// identity (system_identifier/timeline); a restore onto another identity
/// (simulated: the recorded identity changed behind its back) refuses every
/// fetch (atomic, CAS read and CAS write) with store_state_lost and moves
/// nothing, until a guarded re-init raises it to max(counter, floor).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guarded_counter_refuses_another_store_identity_until_reinitialised_above_a_floor() {
    use idloom::ErrorCode;
    let table = support::unique("guard");
    let db = store().await.with_table(&table).unwrap();
    let cas = db.clone().with_mode(FetchMode::Cas);
    let raw = client().await;
    let r = |r: idloom_stores::Range| (r.start, r.end);
    // A table made by the older texts (no store_identity column): unguarded fetches work.
    db.init_segment("plain", 1, 10).await.unwrap();
    assert_eq!(r(db.fetch("plain", 10).await.unwrap()), (1, 11));
    assert_eq!(r(cas.fetch("plain", 10).await.unwrap()), (11, 21));
    // Guarded: the first guarded init adds the column.
    db.init_segment_guarded("order", 100, 10).await.unwrap();
    assert_eq!(r(db.fetch("order", 10).await.unwrap()), (100, 110));
    assert_eq!(r(cas.fetch("order", 10).await.unwrap()), (110, 120));
    // Re-init under the same identity changes nothing (a higher floor too).
    db.init_segment_guarded("order", 5_000, 10).await.unwrap();
    assert_eq!(r(db.fetch("order", 10).await.unwrap()), (120, 130));
    let max_id = |tag: &'static str| {
        let (raw, table) = (&raw, &table);
        async move {
            raw.query_one(&format!("SELECT max_id FROM {table} WHERE biz_tag = $1"), &[&tag])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    // A CAS round that read under the old identity and writes after it changed: refused.
    let cas_text = idloom::stores::segment_sql(idloom::stores::postgres::SEGMENT_CAS, &table).unwrap();
    let restored = format!("UPDATE {table} SET store_identity = 'another/1' WHERE biz_tag = $1");
    raw.execute(&restored, &[&"order"]).await.unwrap();
    assert_eq!(
        raw.execute(&cas_text, &[&"order", &130i64, &140i64]).await.unwrap(),
        0,
        "CAS write refused"
    );
    for s in [&db, &cas] {
        let e = s.fetch("order", 10).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::StoreStateLost, "{e}");
        assert!(e.to_string().contains("store identity changed"), "{e}");
    }
    assert_eq!(max_id("order").await, 130, "nothing moved");
    // Unguarded re-init leaves it refused; an unguarded counter is unaffected.
    db.init_segment("order", 10_000, 10).await.unwrap();
    assert_eq!(db.fetch("order", 10).await.unwrap_err().code(), ErrorCode::StoreStateLost);
    assert_eq!(r(db.fetch("plain", 10).await.unwrap()), (21, 31));
    // Re-initialised above a floor: max(counter, floor), this identity recorded.
    db.init_segment_guarded("order", 10_000, 10).await.unwrap();
    assert_eq!(r(db.fetch("order", 10).await.unwrap()), (10_000, 10_010));
    assert_eq!(r(cas.fetch("order", 10).await.unwrap()), (10_010, 10_020));
    // A floor below the counter never lowers it.
    raw.execute(&restored, &[&"order"]).await.unwrap();
    db.init_segment_guarded("order", 5, 10).await.unwrap();
    assert_eq!(r(db.fetch("order", 10).await.unwrap()), (10_020, 10_030));
    // Guarding an existing unguarded counter raises it the same way.
    db.init_segment_guarded("plain", 500, 10).await.unwrap();
    assert_eq!(r(db.fetch("plain", 10).await.unwrap()), (500, 510));
    raw.batch_execute(&format!("DROP TABLE {table}")).await.unwrap();
}
