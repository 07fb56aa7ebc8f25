//! The peer client of `scripts/bench server`: IDs per second from
//! ferroid-tonic-server (a gRPC server that streams packed snowflake IDs),
//! asked for in batches of `--count`, as idloom-server's `/v1/snowflake/NS?count=N`
//! is. It speaks the server's published protocol (`ferroid.IdGenerator/StreamIds`,
//! `ferroid-tonic-core`'s `proto/ferroid.proto`): the two messages are written
//! out here with prost's derive, so no protoc is needed to build it.
//!
//!     cargo run --release -p idloom-server --example grpc_peer -- \
//!         --addr http://127.0.0.1:50051 --count 1000 --concurrency 32 --seconds 5
//!
//! One HTTP/2 connection (a gRPC client's usual), `--concurrency` calls in
//! flight on it, on one thread (as `wrk -t1` drives the HTTP routes). Every
//! call must deliver exactly `--count` 8-byte IDs, each non-zero; anything
//! else ends the run with an error. Prints one JSON line:
//! `{"count":…,"concurrency":…,"calls":…,"ids":…,"seconds":…,"ids_per_s":…}`.

use axum::http::uri::PathAndQuery;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tonic::client::Grpc;
use tonic::transport::Channel;

/// `message StreamIdsRequest { uint64 count = 1; }`
#[derive(Clone, PartialEq, prost::Message)]
struct StreamIdsRequest {
    #[prost(uint64, tag = "1")]
    count: u64,
}

/// `message IdChunk { bytes packed_ids = 1; }`: little-endian u64 IDs back to back.
#[derive(Clone, PartialEq, prost::Message)]
struct IdChunk {
    #[prost(bytes = "vec", tag = "1")]
    packed_ids: Vec<u8>,
}

const STREAM_IDS: &str = "/ferroid.IdGenerator/StreamIds";

struct Args {
    addr: String,
    count: u64,
    concurrency: usize,
    seconds: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "http://127.0.0.1:50051".into(),
        count: 1000,
        concurrency: 32,
        seconds: 5.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |what: &str| format!("{flag} must be {what}, got {value:?}");
        match flag.as_str() {
            "--addr" => args.addr = value.clone(),
            "--count" => args.count = value.parse().ok().filter(|n| *n >= 1).ok_or_else(|| bad("an integer ≥ 1"))?,
            "--concurrency" => args.concurrency = value.parse().ok().filter(|n| *n >= 1).ok_or_else(|| bad("an integer ≥ 1"))?,
            "--seconds" => {
                args.seconds = value
                    .parse()
                    .ok()
                    .filter(|s: &f64| (0.1..=600.0).contains(s))
                    .ok_or_else(|| bad("a number of seconds in 0.1..=600"))?
            }
            _ => return Err(format!("unknown flag {flag} (--addr, --count, --concurrency, --seconds)")),
        }
    }
    Ok(args)
}

/// One StreamIds call for `count` IDs: how many arrived (checked to be `count`).
async fn stream_ids(grpc: &mut Grpc<Channel>, count: u64) -> Result<u64, String> {
    grpc.ready().await.map_err(|e| format!("channel not ready: {e}"))?;
    let codec = tonic_prost::ProstCodec::<StreamIdsRequest, IdChunk>::default();
    let mut stream = grpc
        .server_streaming(
            tonic::Request::new(StreamIdsRequest { count }),
            PathAndQuery::from_static(STREAM_IDS),
            codec,
        )
        .await
        .map_err(|s| format!("StreamIds: {s}"))?
        .into_inner();
    let mut got = 0u64;
    while let Some(chunk) = stream.message().await.map_err(|s| format!("StreamIds chunk: {s}"))? {
        let bytes = chunk.packed_ids;
        if bytes.len() % 8 != 0 {
            return Err(format!("a chunk of {} bytes is not whole 8-byte IDs", bytes.len()));
        }
        for id in bytes.chunks_exact(8) {
            if u64::from_le_bytes(id.try_into().expect("8 bytes")) == 0 {
                return Err("an ID of 0".into());
            }
        }
        got += (bytes.len() / 8) as u64;
    }
    if got != count {
        return Err(format!("asked for {count} IDs, got {got}"));
    }
    Ok(got)
}

async fn run(args: Args) -> Result<String, String> {
    let channel = Channel::from_shared(args.addr.clone())
        .map_err(|e| format!("--addr {:?}: {e}", args.addr))?
        .connect()
        .await
        .map_err(|e| format!("connect to {}: {e}", args.addr))?;
    // One call first: the server answers before the clock starts.
    stream_ids(&mut Grpc::new(channel.clone()), args.count).await?;
    let began = Instant::now();
    let end = began + Duration::from_secs_f64(args.seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let mut grpc = Grpc::new(channel.clone());
        let count = args.count;
        tasks.spawn(async move {
            let (mut calls, mut ids) = (0u64, 0u64);
            while Instant::now() < end {
                ids += stream_ids(&mut grpc, count).await?;
                calls += 1;
            }
            Ok::<_, String>((calls, ids))
        });
    }
    let (mut calls, mut ids) = (0u64, 0u64);
    while let Some(done) = tasks.join_next().await {
        let (c, n) = done.map_err(|e| format!("a client task failed: {e}"))??;
        calls += c;
        ids += n;
    }
    let seconds = began.elapsed().as_secs_f64();
    Ok(serde_json::json!({
        "count": args.count,
        "concurrency": args.concurrency,
        "calls": calls,
        "ids": ids,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "ids_per_s": (ids as f64 / seconds).round(),
    })
    .to_string())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("grpc_peer: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("grpc_peer: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("grpc_peer: {e}");
            ExitCode::FAILURE
        }
    }
}
