//! The README's example (`stores/README.md` holds this file verbatim;
//! `tests/readme.rs` runs it on the real PostgreSQL).
use idloom_stores::postgres::PgStore;
use idloom_stores::{Layout, LeaseConfig, NodeLease, Result, Segment, SegmentOptions, Store};

pub async fn run(url: &str, namespace: &str, biz_tag: &str) -> Result<Vec<u64>> {
    // Your deadpool-postgres pool (PgStore::new) or client (from_client), or one from a URL.
    let store = PgStore::from_url(url)?;

    // Once per deployment: the tables and the namespace. Not fresh: the
    // floor starts above any fence an earlier holder could still use.
    let config = LeaseConfig {
        ttl_ms: 3_000,
        max_skew_ms: 500,
    };
    store.init_namespace(namespace, Layout::TWITTER, None, config, false).await?;

    // A node for this process, renewed by a tokio task every third of the TTL.
    let lease = NodeLease::acquire(store.clone(), namespace, Layout::TWITTER).await?;
    let mut ids = vec![lease.next_id_async().await?, lease.next_id_async().await?];
    // The generator is lock-free: hand it to threads (`lease.generator().clone()`).

    // Told when the lease is lost (the node was taken after it ran out).
    let mut status = lease.subscribe();
    let watcher = tokio::spawn(async move {
        let _ = status.wait_for(|s| !s.is_active()).await;
    });

    // Leaf segments: IDs from memory, the next range fetched ahead by a task.
    store.init_segment(biz_tag, 1, 1000).await?;
    let orders = Segment::open(store.clone(), biz_tag, SegmentOptions::default()).await?;
    ids.push(orders.next_id().await?);

    // On shutdown: stop minting and give the node back with its high-water.
    lease.release().await?;
    watcher.await.ok();
    Ok(ids)
}

#[tokio::main]
async fn main() -> Result<()> {
    let url = std::env::var("IDLOOM_PG").unwrap_or_else(|_| "host=127.0.0.1 user=postgres dbname=test".into());
    let ids = run(&url, "readme", "readme_orders").await?;
    println!("{ids:?}");
    Ok(())
}
