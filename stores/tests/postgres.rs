//! The scenarios on the real PostgreSQL (127.0.0.1:5432, user postgres, db
//! test; `IDLOOM_PG` overrides).

mod support;

use idloom_stores::postgres::PgStore;
use idloom_stores::{FetchMode, Store};

fn url() -> String {
    std::env::var("IDLOOM_PG").unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5".into())
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_mint_renew_release() {
    support::lease_mint_renew_release(store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_holders_two_nodes() {
    support::two_holders_two_nodes(store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_renewal_stops_at_the_fence() {
    support::a_refused_renewal_stops_at_the_fence(store().await, |ns| async move {
        let (client, conn) = tokio_postgres::connect(&url(), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client
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
    let (client, conn) = tokio_postgres::connect(&url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    support::two_holders_two_nodes(PgStore::from_client(client)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_stops_minting_at_the_fence() {
    support::an_outage_stops_minting_at_the_fence(store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refill_is_reported_then_recovers() {
    support::a_failed_refill_is_reported_then_recovers(store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guarded_counters() {
    support::guarded_counters(store().await, |tag| async move {
        let (client, conn) = tokio_postgres::connect(&url(), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client
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
    let (client, conn) = tokio_postgres::connect(&url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client.batch_execute(&format!("DROP TABLE {table}")).await.unwrap();
}
