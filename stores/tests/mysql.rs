//! The scenarios on the real MariaDB (127.0.0.1:3306, root, db test;
//! `IDLOOM_MYSQL` overrides).

mod support;

use idloom_stores::mysql::MyStore;
use idloom_stores::{FetchMode, Store};
use mysql_async::prelude::Queryable;

fn url() -> String {
    std::env::var("IDLOOM_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// The store, its tables created once per test binary.
async fn store() -> MyStore {
    static INIT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    let store = MyStore::from_url(&url()).unwrap();
    INIT.get_or_init(|| async {
        store.init().await.expect("MariaDB at 127.0.0.1:3306 (IDLOOM_MYSQL)");
        // The segment table too: tests create counters in parallel.
        store.init_segment("warmup", 0, 1).await.expect("the segment table");
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
    let s = store().await;
    let pool = s.pool().clone();
    support::a_refused_renewal_stops_at_the_fence(s, |ns| {
        let pool = pool.clone();
        async move {
            let mut conn = pool.get_conn().await.unwrap();
            conn.exec_drop("UPDATE idloom_node SET expires_ms = 0 WHERE namespace = ?", (ns,))
                .await
                .unwrap();
        }
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
    support::refused(MyStore::from_url("mysql://root@127.0.0.1:1/test").unwrap()).await;
}

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
async fn an_outage_stops_minting_at_the_fence() {
    support::an_outage_stops_minting_at_the_fence(store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refill_is_reported_then_recovers() {
    support::a_failed_refill_is_reported_then_recovers(store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guarded_counter_is_refused() {
    let e = store().await.init_segment_guarded("guarded", 0, 10).await.unwrap_err();
    assert_eq!((e.code(), e.param()), (idloom::ErrorCode::InvalidArgument, Some("guard")), "{e}");
}
