//! The store goes away under a running instance (a private Redis, stopped
//! with SIGSTOP so connections hang as in a partition, then killed): the
//! instance keeps serving segments from memory and snowflakes until its
//! fence, /readyz turns red while the fence is still ahead (a load balancer
//! drains it first), and no snowflake ID is minted at or past the fence.

mod support;

use std::time::{Duration, Instant};
use support::{signal, unique, Server};

/// A private Redis on a free port, killed when dropped.
struct Redis {
    child: std::process::Child,
    port: u16,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn private_redis() -> Redis {
    let dir = std::env::temp_dir().join(unique("idloom-server-redis"));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let child = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server (Debian's redis-server package) must be installed: this test fails without it");
    let redis = Redis {
        child,
        port,
        _dir: TempDir(dir),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "the private Redis did not listen on {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    redis
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_outage_drains_before_the_fence_and_never_mints_past_it() {
    let redis = private_redis().await;
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let (ns, tag) = (unique("down"), unique("seg"));
    let s = Server::start(&[
        "--store",
        &url,
        "--namespace",
        &ns,
        "--nodes",
        "4",
        "--ttl-ms",
        "2000",
        "--max-skew-ms",
        "200",
        "--fresh",
        "--segment",
        &tag,
        "--segment-step",
        "100000",
    ])
    .await;
    assert_eq!(s.get("/readyz").await.status, 200);
    let fence_before = s.get("/v1/status").await.json()["lease"]["fence_ms"].as_u64().unwrap();

    // The store stops answering (its process stopped: requests hang).
    signal(redis.child.id() as i32, "STOP");
    let stopped = Instant::now();
    let mut red_at = None;
    let mut last_snowflake = None;
    let mut refused = None;
    while stopped.elapsed() < Duration::from_secs(8) {
        let ready = s.get("/readyz").await;
        let a = s.get(&format!("/v1/snowflake/{ns}?count=1")).await;
        if a.status == 200 {
            let id: u64 = a.json()["ids"][0].as_str().unwrap().parse().unwrap();
            assert!(refused.is_none(), "an ID after the generator refused: {id}");
            last_snowflake = Some(id);
        } else {
            assert_eq!(a.status, 503, "{a:?}");
            assert_eq!(a.json()["code"], "lease_expired", "{a:?}");
            refused.get_or_insert(stopped.elapsed());
        }
        if ready.status == 503 && red_at.is_none() {
            red_at = Some(stopped.elapsed());
            assert!(refused.is_none(), "/readyz turned red only after the fence was reached");
            assert!(ready.body.contains("fence"), "{ready:?}");
        }
        // Segments are served from memory all along.
        let seg = s.get(&format!("/v1/segment/{tag}?count=10")).await;
        assert_eq!(seg.status, 200, "segments from memory while the store is down: {seg:?}");
        if refused.is_some() && red_at.is_some() && stopped.elapsed() > Duration::from_secs(4) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let red_at = red_at.expect("/readyz turned red");
    let refused = refused.expect("the snowflake route stopped at the fence");
    assert!(red_at < refused, "red at {red_at:?}, the fence reached at {refused:?}");

    // The last ID's tick lies before the last fence the store confirmed.
    let status = s.get("/v1/status").await.json();
    let fence = status["lease"]["fence_ms"].as_u64().unwrap();
    assert!(fence >= fence_before);
    let last = last_snowflake.expect("snowflakes were served before the fence");
    let decoded = s.get(&format!("/v1/decode/{last}")).await.json();
    let tick_end = decoded["timestamp_ms"].as_u64().unwrap() + 1;
    assert!(tick_end <= fence, "ID {last} ends at {tick_end}, past the fence {fence}");
    let m = s.get("/metrics").await.body;
    assert!(m.contains("idloom_ready 0"), "{m}");
    assert!(
        m.contains("idloom_http_requests_total{route=\"v1_snowflake\",outcome=\"lease_expired\"}"),
        "{m}"
    );

    // The store comes back; segments still serve.
    signal(redis.child.id() as i32, "CONT");
    let seg = s.get(&format!("/v1/segment/{tag}?count=1")).await;
    assert_eq!(seg.status, 200);
    drop(s);
    drop(redis);
}
