//! store_identity_changed on the real servers (each on a namespace of its
//! own): PostgreSQL and Redis report it once — at the acquire or the renewal
//! that meets it — after the namespace's recorded
//! identity stops matching the server's; MariaDB has no identity to compare.
//! And the fenced generator's clock events reach the lease's `stats()`.

mod support;

use idloom_stores::{mysql::MyStore, postgres::PgStore, redis::RedisStore, Kind, Store};

const PG: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5";

/// The acquire that meets the change reports it; so does the renewal of a
/// live lease that meets it first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_reports_a_restored_store() {
    let url = std::env::var("IDLOOM_PG").unwrap_or_else(|_| PG.into());
    let db = PgStore::from_url(&url).unwrap();
    db.init().await.expect("PostgreSQL (IDLOOM_PG)");
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let forget = |ns: String| {
        let client = &client;
        async move {
            let edit = "UPDATE idloom_namespace SET store_identity = 'a restored backup' WHERE namespace = $1";
            assert_eq!(client.execute(edit, &[&ns]).await.unwrap(), 1);
        }
    };
    support::store_identity_changed(db.clone(), true, forget).await;
    support::store_identity_changed_on_renewal(db.clone(), true, forget).await;
    // A restore from a snapshot older than node 0's last acquisition: node 0's row as saved.
    let saved = std::sync::Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let read = "SELECT epoch, expires_ms, start_ms, fence_ms FROM idloom_node WHERE namespace = $1 AND node = 0";
    let save = |ns: String| {
        let (client, saved) = (&client, saved.clone());
        async move {
            let row = client.query_one(read, &[&ns]).await.unwrap();
            *saved.lock().unwrap() = (0..4).map(|i| row.get::<_, i64>(i)).collect();
        }
    };
    let restore = |ns: String| {
        let (client, saved) = (&client, saved.clone());
        async move {
            let v = saved.lock().unwrap().clone();
            let put = "UPDATE idloom_node SET holder = 'a', epoch = $2, expires_ms = $3, start_ms = $4, fence_ms = $5 \
                       WHERE namespace = $1 AND node = 0";
            assert_eq!(client.execute(put, &[&ns, &v[0], &v[1], &v[2], &v[3]]).await.unwrap(), 1);
            forget(ns).await;
        }
    };
    support::a_lease_revived_by_a_restore_never_renews(db, save, restore).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_reports_another_run_id() {
    let url = std::env::var("IDLOOM_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let db = RedisStore::from_url(&url).await.expect("Redis (IDLOOM_REDIS)");
    let conn = redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap();
    let forget = |ns: String| {
        let mut conn = conn.clone();
        async move {
            let key = idloom::stores::redis::namespace_key(&ns);
            let mut hset = redis::cmd("HSET");
            hset.arg(key).arg("run_id").arg("a server before a restart");
            hset.query_async::<i64>(&mut conn).await.unwrap();
        }
    };
    support::store_identity_changed(db.clone(), true, forget).await;
    support::store_identity_changed_on_renewal(db.clone(), true, forget).await;
    // A restore from an RDB older than node 0's last acquisition: node 0's hash as saved.
    let saved = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let node_key = |ns: &str| idloom::stores::redis::namespace_key(ns).trim_end_matches("ns").to_string() + "node:0";
    let save = |ns: String| {
        let (mut conn, saved) = (conn.clone(), saved.clone());
        async move {
            let mut all = redis::cmd("HGETALL");
            all.arg(node_key(&ns));
            *saved.lock().unwrap() = all.query_async(&mut conn).await.unwrap();
        }
    };
    let restore = |ns: String| {
        let (mut conn, saved) = (conn.clone(), saved.clone());
        async move {
            let mut put = redis::cmd("HSET");
            put.arg(node_key(&ns));
            for (k, v) in saved.lock().unwrap().iter() {
                put.arg(k).arg(v);
            }
            put.query_async::<i64>(&mut conn).await.unwrap();
            forget(ns).await;
        }
    };
    support::a_lease_revived_by_a_restore_never_renews(db, save, restore).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_has_no_identity_to_report() {
    let url = std::env::var("IDLOOM_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    let db = MyStore::from_url(&url).unwrap();
    db.init().await.expect("MariaDB (IDLOOM_MYSQL)");
    support::store_identity_changed(db.clone(), false, |_| async {}).await;
    support::store_identity_changed_on_renewal(db, false, |_| async {}).await;
}

/// Borrowing ahead of the clock in a burst, then the clock catching up:
/// counted on the lease (the generator's events) and logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generators_clock_events_reach_the_lease() {
    let url = std::env::var("IDLOOM_PG").unwrap_or_else(|_| PG.into());
    let db = PgStore::from_url(&url).unwrap();
    db.init().await.unwrap();
    let ns = support::unique("borrow");
    db.init_namespace(&ns, support::LAYOUT, Some(4), support::CONFIG, true)
        .await
        .unwrap();
    let policy = idloom::Policy {
        on_exhausted: idloom::OnExhausted::Borrow { max_lead_ms: 1_000 },
        ..idloom::Policy::default()
    };
    let options = idloom_stores::LeaseOptions { holder: None, policy };
    let lease = idloom_stores::NodeLease::acquire_with(db, &ns, support::LAYOUT, options)
        .await
        .unwrap();
    // 64 ticks' worth of sequence at once: it cannot fit in the millisecond it starts in.
    let mut ids = vec![0u64; 64 << 12];
    lease.generator().fill(&mut ids).unwrap();
    assert!(lease.stats().get(Kind::BorrowingStarted) >= 1);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    lease.next_id().unwrap();
    let stats = lease.stats();
    assert_eq!(stats.get(Kind::BorrowingEnded), stats.get(Kind::BorrowingStarted));
    assert_eq!(stats.get(Kind::ClockSteppedBack), 0);
    lease.release().await.unwrap();
}
