//! The scenarios on the real MariaDB (127.0.0.1:3306, root, db test;
//! `IDLOOM_MYSQL` overrides).

mod engines;
mod support;

use idloom_stores::mysql::MyStore;
use idloom_stores::Store;
use mysql_async::prelude::Queryable;

fn url() -> String {
    std::env::var("IDLOOM_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// A test's own table, dropped when it is done.
async fn drop_table(table: &str) {
    let mut conn = store().await.pool().get_conn().await.unwrap();
    conn.query_drop(format!("DROP TABLE {table}")).await.unwrap();
}

/// The store, its tables created once per test binary.
async fn store() -> MyStore {
    engines::with_tables(
        MyStore::from_url(&url()).unwrap(),
        "MariaDB at 127.0.0.1:3306 (IDLOOM_MYSQL)",
        false,
    )
    .await
}

engines::sql_engine!(refused: MyStore::from_url("mysql://root@127.0.0.1:1/test").unwrap());

engines::faults!(
    a_refused_renewal_stops_at_the_fence => async |ns: String| {
        // A connection of its own, as the other engines' edits.
        let mut conn = store().await.pool().get_conn().await.unwrap();
        conn.exec_drop("UPDATE idloom_node SET expires_ms = 0 WHERE namespace = ?", (ns,))
            .await
            .unwrap();
    },
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_are_checked() {
    support::arguments(store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_without_found_rows_is_refused() {
    let opts = mysql_async::Opts::from_url(&url()).unwrap();
    let store = MyStore::new(mysql_async::Pool::new(opts));
    let e = store.namespace("x").await.unwrap_err();
    assert_eq!(e.code(), idloom::ErrorCode::InvalidArgument, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guarded_counter_is_refused() {
    let e = store().await.init_segment_guarded("guarded", 0, 10).await.unwrap_err();
    assert_eq!((e.code(), e.param()), (idloom::ErrorCode::InvalidArgument, Some("guard")), "{e}");
}

// ---- moved from the core's tests/store_mysql.rs (sync adapters) ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_renewal_release_and_floor() {
    let db = store().await;
    support::expiry_on_the_stores_clock(&db).await;
    support::a_namespace_created_not_fresh_starts_at_its_floor(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequences_with_a_step_and_two_ticket_servers_interleave_without_meeting() {
    use idloom::stores::{mysql as sql, segment_sql, sequence_numbers, sequence_sql};
    use std::collections::HashSet;
    // Sequences and tickets are not in the crate yet: the core's texts on a connection, as a binding runs them.
    let pool = store().await.pool().clone();
    let mut db = pool.get_conn().await.unwrap();
    // Two "databases" as Tinyid's remainder and delta: step 100, offsets 0 and 1 of 2.
    let (s0, s1) = (support::unique("seq0"), support::unique("seq1"));
    let ((a0, i0), (a1, i1)) = (sequence_numbers(100, 0, 0, 2).unwrap(), sequence_numbers(100, 0, 1, 2).unwrap());
    assert_eq!([a0, i0, a1, i1], [0, 200, 100, 200]);
    db.query_drop(sequence_sql(sql::SEQUENCE_CREATE, &s0, a0, i0).unwrap())
        .await
        .unwrap();
    db.query_drop(sequence_sql(sql::SEQUENCE_CREATE, &s1, a1, i1).unwrap())
        .await
        .unwrap();
    let mut ranges: Vec<u64> = Vec::new();
    for _ in 0..20 {
        for s in [&s0, &s1] {
            let v: Option<u64> = db.query_first(segment_sql(sql::SEQUENCE_FETCH, s).unwrap()).await.unwrap();
            ranges.push(v.unwrap_or(0));
        }
    }
    ranges.sort_unstable();
    assert!(
        ranges.windows(2).all(|w| w[1] - w[0] == 100),
        "ranges of 100 counters, interleaved: {ranges:?}"
    );
    // Flickr tickets: odd and even servers (auto_increment_increment 2, offsets 1 and 2).
    let (odd, even) = (support::unique("tk_odd"), support::unique("tk_even"));
    let mut a = pool.get_conn().await.unwrap();
    let mut b = pool.get_conn().await.unwrap();
    for (conn, table, offset) in [(&mut a, &odd, 1), (&mut b, &even, 2)] {
        conn.query_drop(format!(
            "SET SESSION auto_increment_increment = 2, auto_increment_offset = {offset}"
        ))
        .await
        .unwrap();
        conn.query_drop(segment_sql(sql::TICKET_SCHEMA, table).unwrap()).await.unwrap();
    }
    let mut tickets = HashSet::new();
    for i in 0..50 {
        for (conn, table, parity) in [(&mut a, &odd, 1), (&mut b, &even, 0)] {
            let text = if i % 10 == 0 { sql::TICKET_REPLACE } else { sql::TICKET_NEXT };
            conn.exec_drop(segment_sql(text, table).unwrap(), ("a",)).await.unwrap();
            let t: u64 = conn.query_first(sql::LAST_ID).await.unwrap().unwrap_or(0);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_faults_have_their_codes() {
    use idloom::ErrorCode;
    let table = support::unique("leaf");
    let db = store().await.with_table(&table).unwrap();
    support::a_missing_table_and_a_missing_counter(&db).await;
    assert_eq!(store().await.with_table("x`; DROP").unwrap_err().code(), ErrorCode::InvalidArgument);
    // A refused connection: a_refused_connection_is_store_unavailable.
    drop_table(&table).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_rows_are_made_in_bulk_and_acquire_uses_the_node_indexes() {
    let db = store().await;
    let layout = idloom::Layout::SONYFLAKE;
    let ns = engines::new_namespace(&db, "bulk", layout, 2_500).await;
    db.init_namespace(&ns, layout, Some(2_500), support::SHORT, true).await.unwrap();
    let rows = db.nodes(&ns).await.unwrap();
    assert_eq!(rows.len(), 2_500, "three statements of at most 1,000 rows");
    assert!(rows.iter().enumerate().all(|(k, r)| r.node == k as u64));
    let mut conn = db.pool().get_conn().await.unwrap();
    // init made the indexes acquire_pick.sql reads (O(log n), not a sort of every free row).
    let indexes: Vec<String> = conn
        .query(
            "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'idloom_node'",
        )
        .await
        .unwrap();
    for want in ["idloom_node_expiry", "idloom_node_holder"] {
        assert!(indexes.iter().any(|i| i == want), "{want} in {indexes:?}");
    }
    // The pick reads each index with LIMIT 1; the old text sorted every free row (filesort).
    let plan: Vec<mysql_async::Row> = conn
        .exec(
            format!("EXPLAIN {}", idloom::stores::mysql::ACQUIRE_PICK),
            (&ns, "a", i64::MAX, &ns, i64::MAX),
        )
        .await
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
    drop(conn);
    // Sticky first, else the node that expired first.
    support::expired_first_then_sticky(&db, &ns).await;
}

/// A server that accepts the TCP connection and never greets (a hung
/// server, or a middlebox holding the SYN-ACK's promise): mysql_async would
/// wait for ever; the store answers `store_unavailable` within its
/// connect timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_is_store_unavailable_within_the_connect_timeout() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            open.push(conn); // held open, never written to
        }
    });
    let db = MyStore::from_url(&format!("mysql://root@127.0.0.1:{port}/test?prefer_socket=false")).unwrap();
    let began = std::time::Instant::now();
    let e = tokio::time::timeout(std::time::Duration::from_secs(20), db.namespace("silent"))
        .await
        .expect("no answer within 20 s: the connect is not bounded")
        .unwrap_err();
    let took = began.elapsed();
    assert_eq!(e.code(), idloom::ErrorCode::StoreUnavailable, "{e}");
    assert!(e.to_string().contains("no connection within 5 s"), "{e}");
    assert!(
        took >= idloom_stores::mysql::CONNECT_TIMEOUT,
        "answered after {took:?}, before the timeout"
    );
    held.abort();
}
