//! Every route of the real binary on each store (the shared PostgreSQL,
//! MariaDB and Redis): Leaf's and Tinyid's shapes byte for byte, the native
//! routes, tokens, bad input, metrics, readiness; and SIGTERM giving the
//! node back so the next instance takes it at once, above every ID served.

#[path = "../../stores/tests/support/etcd.rs"]
mod etcd;
mod support;
#[path = "../../stores/tests/support/zk.rs"]
mod zk;

use std::collections::HashSet;
use support::{unique, Server, MARIADB, POSTGRES, REDIS};

const TEXT: &str = "text/plain;charset=utf-8";
const JSON: &str = "application/json";

fn ids(a: &support::Answer) -> Vec<u64> {
    a.json()["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().parse().unwrap())
        .collect()
}

async fn every_route(store: &str) {
    let ns = unique("srv");
    let (open, secret) = (unique("open"), unique("inv"));
    let token = format!("{secret}=S3cret");
    let s = Server::start(&[
        "--store",
        store,
        "--namespace",
        &ns,
        "--nodes",
        "16",
        "--ttl-ms",
        "3000",
        "--max-skew-ms",
        "500",
        "--fresh",
        "--segment",
        &open,
        "--segment",
        &secret,
        "--segment-step",
        "50",
        "--token",
        &token,
    ])
    .await;
    let mut seen = HashSet::new();
    let mut fresh = |id: u64| assert!(seen.insert(id), "{id} served twice");

    // Leaf: the ID as plain text; the snowflake key is ignored.
    for key in ["x", "anything"] {
        let a = s.get(&format!("/api/snowflake/get/{key}")).await;
        assert_eq!((a.status, a.content_type.as_str()), (200, TEXT), "{a:?}");
        fresh(a.body.parse().expect("a decimal ID, nothing else"));
    }
    let a = s.get(&format!("/api/segment/get/{open}")).await;
    assert_eq!(
        (a.status, a.content_type.as_str(), a.body.as_str()),
        (200, TEXT, "1"),
        "floor 1: the first ID is 1"
    );
    fresh(1);
    let a = s.get("/api/segment/get/nope").await;
    assert_eq!(a.status, 404);
    assert_eq!(a.json()["code"], "not_found");

    // Leaf's monitor, with Leaf's key order; Leaf's errorMsg for a non-number.
    let a = s.get("/decodeSnowflakeId?snowflakeId=1567733700834").await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.body,
        r#"{"workerId":"861","sequenceId":"2274","timestamp":"1288835348433(2010-11-04 01:49:08.433)"}"#
    );
    let a = s.get("/decodeSnowflakeId?snowflakeId=abc").await;
    assert_eq!((a.status, a.body.as_str()), (200, r#"{"errorMsg":"snowflake Id反解析发生异常!"}"#));

    // Tinyid: its Response's field order, and the simple form.
    let a = s.get(&format!("/tinyid/id/nextId?bizType={open}&batchSize=3")).await;
    assert_eq!((a.status, a.content_type.as_str()), (200, JSON));
    assert_eq!(a.body, r#"{"data":[2,3,4],"code":200,"message":""}"#);
    let a = s.get(&format!("/tinyid/id/nextIdSimple?bizType={open}&batchSize=3")).await;
    assert_eq!((a.status, a.content_type.as_str(), a.body.as_str()), (200, TEXT, "5,6,7"));
    let a = s.get(&format!("/tinyid/id/nextId?bizType={open}")).await;
    assert_eq!(a.body, r#"{"data":[8],"code":200,"message":""}"#, "batchSize defaults to 1");
    for id in 2..=8 {
        fresh(id);
    }
    // nextSegmentId: the next range of the step, (currentId, maxId].
    let a = s.get(&format!("/tinyid/id/nextSegmentId?bizType={open}")).await;
    assert_eq!(a.status, 200, "{a:?}");
    let data = &a.json()["data"];
    let (current, max) = (data["currentId"].as_i64().unwrap(), data["maxId"].as_i64().unwrap());
    assert_eq!(max - current, 50);
    assert!(
        a.body.starts_with(r#"{"data":{"maxId":"#) && a.body.ends_with(r#""delta":1,"remainder":0},"code":200,"message":""}"#),
        "{}",
        a.body
    );
    for id in current + 1..=max {
        fresh(id as u64);
    }
    let a = s.get(&format!("/tinyid/id/nextSegmentIdSimple?bizType={open}")).await;
    let parts: Vec<i64> = a.body.split(',').map(|p| p.parse().unwrap()).collect();
    assert_eq!((parts.len(), parts[2] - parts[0], parts[3], parts[4]), (5, 50, 1, 0), "{}", a.body);
    assert!(parts[0] >= max, "a later range");
    // Tinyid's token answer (its code 5), with our status: 401 missing, 403 wrong.
    let a = s.get(&format!("/tinyid/id/nextId?bizType={secret}")).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (401, r#"{"data":null,"code":5,"message":"token is error"}"#)
    );
    let a = s.get(&format!("/tinyid/id/nextId?bizType={secret}&token=wrong")).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (403, r#"{"data":null,"code":5,"message":"token is error"}"#)
    );
    let a = s.get(&format!("/tinyid/id/nextIdSimple?bizType={secret}&token=wrong")).await;
    assert_eq!((a.status, a.body.as_str()), (403, ""));
    let a = s
        .get(&format!("/tinyid/id/nextIdSimple?bizType={secret}&token=S3cret&batchSize=2"))
        .await;
    assert_eq!((a.status, a.body.as_str()), (200, "1,2"), "a token opens its tag");
    // Past the cap: refused, not clamped as Tinyid does.
    let a = s.get(&format!("/tinyid/id/nextId?bizType={open}&batchSize=100001")).await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.body,
        r#"{"data":null,"code":6,"message":"invalid_argument: batchSize must be in 1..=100000, got 100001"}"#
    );
    let a = s.get("/tinyid/id/nextId?bizType=nope").await;
    assert_eq!(a.status, 404);
    assert_eq!(a.json()["code"], 6);

    // Native: strings by default, numbers on request.
    let a = s.get(&format!("/v1/snowflake/{ns}?count=5")).await;
    assert_eq!((a.status, a.content_type.as_str()), (200, JSON));
    let got = ids(&a);
    assert_eq!(got.len(), 5);
    assert!(got.windows(2).all(|w| w[0] < w[1]), "increasing: {got:?}");
    got.into_iter().for_each(&mut fresh);
    let a = s.get(&format!("/v1/snowflake/{ns}?count=3&format=number")).await;
    assert!(a.json()["ids"].as_array().unwrap().iter().all(|v| v.is_u64()), "{}", a.body);
    let a = s.get(&format!("/v1/segment/{open}?count=120")).await;
    let got = ids(&a);
    assert_eq!(got.len(), 120, "across refills of 50");
    got.into_iter().for_each(&mut fresh);
    let a = s.get(&format!("/v1/segment/{secret}?count=2")).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.json()["code"], "unauthorized");
    let a = s
        .call(
            "GET",
            &format!("/v1/segment/{secret}?count=2"),
            &[("Authorization", "Bearer S3cret")],
        )
        .await;
    assert_eq!(ids(&a), [3, 4]);
    let a = s
        .call("GET", &format!("/v1/segment/{secret}"), &[("Authorization", "Bearer S3cre")])
        .await;
    assert_eq!(a.status, 403);

    // The segment lease: a whole range no one else receives.
    let a = s.call("POST", &format!("/v1/segment/{open}/lease?step=1000"), &[]).await;
    assert_eq!(a.status, 200, "{a:?}");
    let (start, end): (u64, u64) = (
        a.json()["start"].as_str().unwrap().parse().unwrap(),
        a.json()["end"].as_str().unwrap().parse().unwrap(),
    );
    assert_eq!(end - start, 1000);
    (start..end).for_each(&mut fresh);
    let a = s.call("GET", &format!("/v1/segment/{open}/lease"), &[]).await;
    assert_eq!(a.status, 405, "POST only");

    // Bad input: 4xx with the core's codes, never truncated or clamped.
    for (path, status, code, says) in [
        (
            format!("/v1/segment/{open}?count=0"),
            400,
            "invalid_argument",
            "count must be in 1..=100000, got 0",
        ),
        (
            format!("/v1/segment/{open}?count=x"),
            400,
            "invalid_argument",
            "count must be an integer in 1..=100000, got \"x\"",
        ),
        (
            format!("/v1/snowflake/{ns}?count=100001"),
            400,
            "invalid_argument",
            "count must be in 1..=100000, got 100001",
        ),
        (
            format!("/v1/snowflake/{ns}?format=hex"),
            400,
            "invalid_argument",
            "format must be \"string\" or \"number\", got \"hex\"",
        ),
        (
            "/v1/snowflake/other".to_string(),
            404,
            "not_found",
            "namespace \"other\" is not served here",
        ),
        (
            "/v1/segment/nope?count=1".to_string(),
            404,
            "not_found",
            "biz_tag \"nope\" is not served here",
        ),
        (
            "/v1/decode/12x".to_string(),
            400,
            "invalid_argument",
            "id must be a decimal integer in 0..=18446744073709551615, got \"12x\"",
        ),
        (
            "/v1/decode/18446744073709551616".to_string(),
            400,
            "invalid_argument",
            "got \"18446744073709551616\"",
        ),
        (
            "/v1/uuid7?count=-1".to_string(),
            400,
            "invalid_argument",
            "count must be in 1..=100000, got -1",
        ),
        ("/no/such/route".to_string(), 404, "not_found", "no such route"),
        (
            "/api/segment/get/%FF".to_string(),
            400,
            "invalid_argument",
            "path: Invalid URL: Invalid UTF-8 in `key`",
        ),
        ("/v1/decode/%FF".to_string(), 400, "invalid_argument", "Invalid UTF-8 in `id`"),
    ] {
        let a = s.get(&path).await;
        assert_eq!((a.status, a.content_type.as_str()), (status, JSON), "{path}: {a:?}");
        assert_eq!(a.json()["code"], code, "{path}");
        assert!(a.json()["message"].as_str().unwrap().contains(says), "{path}: {}", a.body);
    }
    let a = s.call("POST", &format!("/v1/segment/{open}/lease?step=0"), &[]).await;
    assert_eq!((a.status, a.json()["code"].as_str()), (400, Some("invalid_argument")), "{a:?}");

    // UUID v7 and decode.
    let a = s.get("/v1/uuid7?count=3").await;
    let uuids: Vec<String> = a.json()["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(uuids.iter().all(|u| u.len() == 36 && &u[14..15] == "7"), "{uuids:?}");
    assert!(uuids.windows(2).all(|w| w[0] < w[1]), "monotonic: {uuids:?}");
    let a = s.get("/v1/decode/1567733700834").await;
    assert_eq!(
        a.body,
        r#"{"id":"1567733700834","layout":"twitter","timestamp_ms":1288835348433,"time":"2010-11-04T01:49:08.433Z","tick":373776,"node":861,"sequence":2274}"#
    );

    // Operations.
    let a = s.get("/healthz").await;
    assert_eq!((a.status, a.body.as_str()), (200, "ok"));
    let a = s.get("/readyz").await;
    assert_eq!((a.status, a.body.as_str()), (200, "ready"));
    let st = s.get("/v1/status").await.json();
    assert_eq!(st["namespace"], ns.as_str());
    assert_eq!(st["ready"], true);
    assert_eq!(st["segments"].as_array().unwrap().len(), 2);
    let m = s.get("/metrics").await;
    assert_eq!(m.status, 200);
    for needle in [
        "idloom_http_requests_total{route=\"v1_segment\",outcome=\"ok\"}",
        "idloom_http_requests_total{route=\"v1_segment\",outcome=\"unauthorized\"}",
        "idloom_ids_served_total{route=\"v1_segment_lease\"} 1000",
        "idloom_http_request_duration_seconds_bucket{",
        "idloom_segment_fetches_total{tag=",
        "idloom_segment_fetch_duration_seconds_count{",
        "idloom_lease_active 1",
        "idloom_lease_node ",
        "idloom_lease_epoch ",
        "idloom_lease_fence_headroom_ms ",
        "idloom_lease_renewals_total ",
        "idloom_lease_renewal_failures_total ",
        "idloom_clock_offset_ms ",
        "idloom_borrowing_lead_ms ",
        "idloom_ready 1",
        "idloom_segment_remaining{tag=",
        "idloom_events_total{object=\"lease\",event=\"lease_acquired\"} 1",
    ] {
        assert!(m.body.contains(needle), "/metrics lacks {needle}:\n{}", m.body);
    }

    // SIGTERM: drained, the node released with its high-water; the next
    // instance takes the same node at once and mints above every ID served.
    let before = ids(&s.get(&format!("/v1/snowflake/{ns}?count=1")).await)[0];
    let node = st["lease"]["node"].as_u64().unwrap();
    let status = s.terminate().await;
    assert!(status.success(), "{status:?}");
    let began = std::time::Instant::now();
    let next = Server::start(&[
        "--store",
        store,
        "--namespace",
        &ns,
        "--ttl-ms",
        "3000",
        "--max-skew-ms",
        "500",
        "--segment",
        &open,
    ])
    .await;
    let st = next.get("/v1/status").await.json();
    assert_eq!(st["lease"]["node"].as_u64(), Some(node), "the released node is free at once: {st}");
    assert!(
        began.elapsed() < std::time::Duration::from_millis(2_500),
        "no TTL to wait out: {:?}",
        began.elapsed()
    );
    let after = ids(&next.get(&format!("/v1/snowflake/{ns}?count=1")).await)[0];
    assert!(after > before, "{after} after {before}");
    let a = next.get(&format!("/v1/segment/{open}?count=1")).await;
    fresh(ids(&a)[0]);
    drop(next);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_on_postgres() {
    every_route(POSTGRES).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_on_mariadb() {
    every_route(MARIADB).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_on_redis() {
    every_route(REDIS).await;
}

/// On a private ZooKeeper (the stores crate's test launcher): every route,
/// and the SIGTERM hand-over, as on the SQL stores and Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_on_zookeeper() {
    let zk = zk::Zk::start(&std::env::temp_dir().join(unique("idloom-srv-zk"))).await;
    every_route(&zk.url()).await;
}

/// On a private etcd (the stores crate's test launcher): the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_on_etcd() {
    let cluster = etcd::Cluster::start(1).await;
    every_route(&cluster.url("")).await;
}

#[tokio::test]
async fn a_store_that_cannot_be_reached_fails_the_start() {
    let e = Server::try_start(&["--store", "redis://127.0.0.1:1", "--namespace", "x"])
        .await
        .err()
        .expect("refused");
    assert!(e.contains("store_unavailable"), "{e}");
    let e = Server::try_start(&["--store", "ftp://x"]).await.err().expect("refused");
    assert!(e.contains("invalid_argument") && e.contains("store"), "{e}");
    let e = Server::try_start(&["--store", REDIS, "--segment", "a", "--token", "b=c"])
        .await
        .err()
        .expect("refused");
    assert!(e.contains("not a served segment"), "{e}");
}
