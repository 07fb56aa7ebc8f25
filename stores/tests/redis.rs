//! The scenarios on the real Redis (127.0.0.1:6379; `IDLOOM_REDIS` overrides).

mod support;

use idloom_stores::redis::RedisStore;

fn url() -> String {
    std::env::var("IDLOOM_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

async fn store() -> RedisStore {
    RedisStore::from_url(&url()).await.expect("Redis at 127.0.0.1:6379 (IDLOOM_REDIS)")
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
        let client = redis::Client::open(url()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        // The record and the index the acquire script reads (see core/stores/redis/acquire.lua).
        let base = format!("{{idloom:{ns}}}:");
        redis::cmd("HSET")
            .arg(format!("{base}node:0"))
            .arg("expires_ms")
            .arg(0)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
        redis::cmd("ZADD")
            .arg(format!("{base}expiry"))
            .arg(0)
            .arg(0)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_unique() {
    support::segments_unique(store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_store_unavailable() {
    let e = RedisStore::from_url("redis://127.0.0.1:1/").await.unwrap_err();
    assert_eq!(e.code(), idloom::ErrorCode::StoreUnavailable, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_are_checked() {
    support::arguments(store().await).await;
    let e = idloom_stores::Store::init_segment(&store().await, "big", 1 << 53, 10)
        .await
        .unwrap_err();
    assert_eq!(e.code(), idloom::ErrorCode::InvalidRange, "{e}");
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
        let client = redis::Client::open(url()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("SET")
            .arg(idloom::stores::redis::guard_key(&tag))
            .arg("elsewhere")
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
    })
    .await;
}
