//! An instance whose lease was lost heals without a restart: paused
//! (SIGSTOP) past its TTL while another instance takes its node (one node
//! only), it wakes, answers no snowflake it should not, finds the node
//! taken, and leases it again once the other instance gives it back — its
//! new IDs above every ID the other served.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};
use support::{signal, unique, Server, REDIS};

fn ids(a: &support::Answer) -> Vec<u64> {
    a.json()["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_lease_is_leased_again() {
    let ns = unique("heal");
    let args = [
        "--store",
        REDIS,
        "--namespace",
        &ns,
        "--nodes",
        "1",
        "--ttl-ms",
        "1000",
        "--max-skew-ms",
        "100",
    ];
    let first = Server::start(&[&args[..], &["--fresh"]].concat()).await;
    let mut seen = HashSet::new();
    let before = ids(&first.get(&format!("/v1/snowflake/{ns}?count=100")).await);
    seen.extend(before.iter().copied());
    let first_fence = first.get("/v1/status").await.json()["lease"]["fence_ms"].as_u64().unwrap();

    // Paused past its TTL: the other instance takes the only node.
    let pid = first.child.id().unwrap() as i32;
    signal(pid, "STOP");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let second = Server::start(&args).await;
    let theirs = ids(&second.get(&format!("/v1/snowflake/{ns}?count=100")).await);
    assert!(theirs.iter().all(|id| seen.insert(*id)), "the new holder's IDs are new");
    let taken_at = second.get("/v1/status").await.json()["lease"]["start_ms"].as_u64().unwrap();
    assert!(
        taken_at >= first_fence,
        "the new holder starts at the old fence ({taken_at} < {first_fence})"
    );

    // Woken: nothing past its fence, and red.
    signal(pid, "CONT");
    let a = first.get(&format!("/v1/snowflake/{ns}?count=1")).await;
    assert_eq!(a.status, 503, "a woken instance answers no snowflake past its fence: {a:?}");
    assert!(
        ["lease_expired", "lease_lost"].contains(&a.json()["code"].as_str().unwrap()),
        "{a:?}"
    );
    assert_eq!(first.get("/readyz").await.status, 503);

    // The node comes back (a rolling restart of the other): leased again.
    let last_theirs = ids(&second.get(&format!("/v1/snowflake/{ns}?count=1")).await)[0];
    assert!(seen.insert(last_theirs));
    assert!(second.terminate().await.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let a = first.get(&format!("/v1/snowflake/{ns}?count=50")).await;
        if a.status == 200 {
            let again = ids(&a);
            assert!(
                again.iter().all(|id| *id > last_theirs && seen.insert(*id)),
                "above every ID the other served, and new"
            );
            break;
        }
        assert!(Instant::now() < deadline, "not leased again within 15 s: {a:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(first.get("/readyz").await.status, 200);
    let m = first.get("/metrics").await.body;
    assert!(m.contains("idloom_leases_acquired_total 2"), "{m}");
}
