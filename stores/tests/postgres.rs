//! The scenarios on the real PostgreSQL (127.0.0.1:5432, user postgres, db
//! test; `IDLOOM_PG` overrides).

mod engines;
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

/// A fault's edit: `sql` with the name it is given as its one parameter, on a client of its own.
fn edit(sql: &'static str) -> impl AsyncFn(String) {
    async move |name: String| {
        client().await.execute(sql, &[&name]).await.unwrap();
    }
}

/// A test's own table, dropped when it is done.
async fn drop_table(table: &str) {
    client().await.batch_execute(&format!("DROP TABLE {table}")).await.unwrap();
}

/// The store, its tables created once per test binary (parallel `CREATE … IF NOT EXISTS` can race).
async fn store() -> PgStore {
    engines::with_tables(PgStore::from_url(&url()).unwrap(), "PostgreSQL at 127.0.0.1:5432 (IDLOOM_PG)", true).await
}

engines::sql_engine!(refused: PgStore::from_url("host=127.0.0.1 port=1 user=postgres dbname=test connect_timeout=3").unwrap());

engines::faults!(
    a_refused_renewal_stops_at_the_fence => edit("UPDATE idloom_node SET expires_ms = 0 WHERE namespace = $1"),
    guarded_counters => edit("UPDATE idloom_alloc SET store_identity = 'elsewhere/1' WHERE biz_tag = $1"),
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_are_checked() {
    support::arguments(store().await).await;
    assert!(PgStore::from_url("host=127.0.0.1").unwrap().with_table("x; DROP").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_client_works_too() {
    support::two_holders_two_nodes(PgStore::from_client(client().await)).await;
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
    drop_table(&table).await;
}

// ---- moved from the core's tests/store_postgres.rs (sync adapters) ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_is_judged_by_the_stores_clock_and_a_taken_node_refuses_the_old_renewal() {
    support::expiry_on_the_stores_clock(&store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recreated_namespace_and_a_new_store_identity_raise_the_floor() {
    // A restore or promotion changes system identifier/timeline: simulate the record's side.
    let forget = edit("UPDATE idloom_namespace SET store_identity = 'older' WHERE namespace = $1");
    engines::a_forgetful_store_raises_the_floor_first(&store().await, forget).await;
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
async fn a_namespace_asked_for_with_another_node_count_gains_no_nodes() {
    let db = store().await;
    let ns = engines::new_namespace(&db, "count", support::LAYOUT, 2).await;
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
    let db = store().await;
    let ns = engines::new_namespace(&db, "idx", idloom::Layout::SONYFLAKE, 2_500).await;
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
