//! Three `idloom-server` instances on one namespace and one segment tag, a
//! private durable Redis under them, clients on every ID route of every
//! instance all along, a `/v1/status` monitor on each (every 100 ms, through
//! pauses and lease changes), and three faults on the way:
//!
//! 1. instance `a` is SIGKILLed; once its lease's TTL (and the skew bound)
//!    ran out it is started again under the same holder name (`a2`) and takes
//!    its node back at the next epoch, starting at the fence `a` had;
//! 2. at the same moment instance `b` is SIGSTOPped for longer than its TTL;
//!    a fourth instance `d` starts meanwhile and takes `b`'s node from its
//!    fence; then `b` is SIGCONTed. A probe alternates snowflake requests
//!    and `/v1/status` on one connection to `b` (the first pair queued
//!    before SIGCONT, served the moment it wakes): every snowflake request
//!    answered before a status that still shows `b`'s old lease must be a
//!    503 `lease_expired` or `lease_lost`, until a status shows that lease
//!    ended (`Lost`, or already replaced: the server replaces a lease only
//!    when it ended other than by a release), within 3 s; `b`'s log must
//!    show the old lease `lease_lost` before the next `lease_acquired`. Then
//!    `b` must show a new active lease (another (node, epoch)) within 10 s
//!    and answer snowflakes under it. It serves segments all along;
//! 3. the store is SIGKILLed, stays down past every fence (TTL + skew +
//!    200 ms: the instances, cut off, must stop minting at their fences) and
//!    is started again on the same port and directory (`--appendonly yes
//!    --appendfsync always`: it keeps what it acknowledged) under a new
//!    run_id: every lease from before is over (a renewal on another store
//!    identity is refused, `lease_lost`), and every instance still running
//!    (`b` on its new lease too) leases again — above the floor the first
//!    acquire raises — is ready again within a bound and serves snowflakes
//!    and segments again.
//!
//! An instance may hold several leases in sequence; they are read from its
//! `/v1/status` samples, each kept with when its request left and when its
//! answer arrived. Each distinct (node, epoch) is one lease, with its
//! `start_ms` (the same in every sample of it) and the fences seen. Between
//! two samples of a lease that did not overlap, the fence never goes down;
//! an instance's leases follow one another (once a sample showed a later
//! one, no sample sent after shows an earlier one).
//!
//! The checks, on every answer the clients and probes received (an answer
//! lost to a timeout or a killed process was served to no one):
//!
//! - **Snowflakes** (`/v1/snowflake/{ns}`, Leaf's `/api/snowflake/get/{key}`):
//!   no ID twice across all instances. Each ID, decoded as the twitter layout
//!   (`node = (id >> 12) & 1023`, time `= (id >> 22) + 1288834974657` ms),
//!   must lie inside a lease of the instance that answered it: the lease's
//!   node, and a time in `[start_ms, bound)`, where `bound` is the smaller of
//!   (i) the fence of the first status sample of that lease whose request
//!   left after the answer arrived (a holder's confirmed fence never goes
//!   down while it holds the node, so it bounds every ID minted before) or,
//!   when the lease shows in no later sample (it ended), the highest fence
//!   seen of it, and (ii) the `start_ms` of the next lease of that node, of
//!   any instance. An ID inside no lease of its instance fails the test: so
//!   the resumed `b` answers nothing from its old lease at or past that
//!   lease's fence. Per node, all leases of all instances in epoch order: the
//!   epoch grows (no two leases share a (node, epoch)), each lease starts at
//!   or after the highest fence seen of the one before, and every ID of a
//!   lease is above every ID of the leases before it (they do not interleave).
//! - **Segments** (`/v1/segment/{tag}`, Leaf's `/api/segment/get/{tag}`,
//!   Tinyid's `nextId` and `nextIdSimple`; ranges from
//!   `POST /v1/segment/{tag}/lease` as `[start, end)` and Tinyid's
//!   `nextSegmentId` as `(currentId, maxId]`): no ID twice, no two ranges
//!   overlapping, no single ID inside a range, none below the floor 1.
//! - Every refusal is a 503 with the code the fault allows: `store_unavailable`,
//!   `lease_expired`, and `lease_lost` only from the paused instance.
//!   Every route answered IDs; `/v1/decode` agrees with the decoding above.
//!
//! Settings: TTL 2000 ms, max skew 300 ms, 8 nodes, `--fresh`, segment step
//! 100 (a refill every few requests). Every wait has a deadline, the whole
//! test one of 60 s, and every child (servers, Redis) is killed by a guard
//! when the test ends, however it ends. The shared Redis on 6379 is never
//! touched. A missing `redis-server` fails the test.

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

const NAMESPACE: &str = "faults";
const TAG: &str = "faults";
const TTL_MS: u64 = 2_000;
const SKEW_MS: u64 = 300;
/// The twitter layout's epoch (ms): ID time = (id >> 22) + this.
const TWITTER_EPOCH_MS: u64 = 1_288_834_974_657;
/// A client's bound on one request (a paused instance answers nothing).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// Between two requests of one client: leaves the 2 cores some air.
const PACE: Duration = Duration::from_millis(2);
/// Clients per instance.
const CLIENTS: usize = 2;
/// How long the store stays down: past every fence (a TTL after the last
/// renewal), so that the instances cut off from it stop there.
const STORE_DOWN: Duration = Duration::from_millis(TTL_MS + SKEW_MS + 200);
/// Refusal codes a fault of this test may cause (the paused one's `lease_lost` is checked apart).
const ALLOWED: [&str; 3] = ["store_unavailable", "lease_expired", "lease_lost"];

// ---- processes ------------------------------------------------------------------

/// Every child of the test: killed (and reaped) when the guard drops, on
/// success or on a panic anywhere. Logs go to `dir`, kept when the test fails.
struct Procs {
    children: Vec<(String, Child)>,
    dir: PathBuf,
}

impl Procs {
    fn new() -> Procs {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("idloom-faults-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Procs { children: Vec::new(), dir }
    }

    fn log(&self, name: &str) -> std::fs::File {
        std::fs::File::create(self.dir.join(format!("{name}.log"))).unwrap()
    }

    fn pid(&self, name: &str) -> u32 {
        self.children.iter().find(|(n, _)| n == name).map(|(_, c)| c.id()).unwrap()
    }

    /// SIGKILL `name` and reap it.
    fn kill(&mut self, name: &str) {
        let (_, child) = self.children.iter_mut().find(|(n, _)| n == name).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Wait (bounded) for `name` to exit on its own; whether it exited 0.
    async fn exited(&mut self, name: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let (_, child) = self.children.iter_mut().find(|(n, _)| n == name).unwrap();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.success();
            }
            assert!(Instant::now() < deadline, "{name} did not exit within {within:?} of SIGTERM");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill(); // a stopped process dies of SIGKILL too
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("faults: the children's logs are in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Send `SIG{name}` through the `kill` program (no `unsafe` here).
fn signal(pid: u32, name: &str) {
    let ok = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -{name} {pid}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The private Redis: own port, own directory, durable (every write on disk before its reply).
fn start_redis(procs: &mut Procs, port: u16) {
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
        .args(["--appendonly", "yes", "--appendfsync", "always"])
        .arg("--dir")
        .arg(&procs.dir)
        .stdout(procs.log("redis"))
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server must be installed (scripts/lib/stores.sh installs it): this test does not skip");
    procs.children.retain(|(n, _)| n != "redis");
    procs.children.push(("redis".into(), child));
}

/// Wait until the private Redis answers PONG (not LOADING) on `port`.
async fn redis_ready(port: u16, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let pong = async {
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
            s.write_all(b"PING\r\n").await.ok()?;
            let mut line = String::new();
            BufReader::new(s).read_line(&mut line).await.ok()?;
            Some(line.starts_with("+PONG"))
        };
        if tokio::time::timeout(Duration::from_secs(1), pong).await == Ok(Some(true)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the private redis-server on {port} did not answer within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Start `idloom-server` as `name`, leasing under `holder`: its address (the
/// first stdout line) once it listens, which is after its lease was granted.
async fn start_server(procs: &mut Procs, name: &str, holder: &str, store: &str) -> SocketAddr {
    let settings = format!(
        "--listen 127.0.0.1:0 --namespace {NAMESPACE} --segment {TAG} --nodes 8 --ttl-ms {TTL_MS} --max-skew-ms {SKEW_MS} \
         --fresh --segment-step 100 --drain-ms 1000"
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_idloom-server"))
        .args(settings.split_whitespace())
        .args(["--store", store, "--holder", holder])
        .env("IDLOOM_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(procs.log(name))
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    procs.children.push((name.into(), child));
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        let _ = tx.send(lines.next());
        for _ in lines {} // drained until the child exits
    });
    let line = match tokio::time::timeout(Duration::from_secs(20), rx).await {
        Ok(Ok(Some(Ok(line)))) => line,
        other => panic!(
            "{name} did not print its address: {other:?} (log: {})",
            procs.dir.join(format!("{name}.log")).display()
        ),
    };
    let addr = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{name}: first line {line:?}"));
    addr.parse().unwrap()
}

// ---- HTTP/1.1 -------------------------------------------------------------------

/// A keep-alive HTTP/1.1 connection to one instance, opened again after any failure.
struct Http {
    addr: SocketAddr,
    conn: Option<BufReader<TcpStream>>,
}

impl Http {
    fn new(addr: SocketAddr) -> Http {
        Http { addr, conn: None }
    }

    /// `(status, body)`, or why there is no answer (refused, reset, timed out).
    async fn request(&mut self, method: &str, path: &str) -> Result<(u16, String), String> {
        self.send(method, path).await?;
        self.answer().await
    }

    /// Write a request (connecting first if need be); `answer` reads what it
    /// got. Requests sent before their answers are read are pipelined: the
    /// server serves them one after the other, in order.
    async fn send(&mut self, method: &str, path: &str) -> Result<(), String> {
        let head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\n\r\n", self.addr);
        let write = async {
            if self.conn.is_none() {
                let stream = TcpStream::connect(self.addr).await.map_err(|e| e.to_string())?;
                stream.set_nodelay(true).map_err(|e| e.to_string())?;
                self.conn = Some(BufReader::new(stream));
            }
            let conn = self.conn.as_mut().unwrap();
            conn.get_mut().write_all(head.as_bytes()).await.map_err(|e| e.to_string())
        };
        match tokio::time::timeout(REQUEST_TIMEOUT, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                self.conn = None;
                Err(e)
            }
            Err(_) => {
                self.conn = None;
                Err("timed out".into())
            }
        }
    }

    /// The answer to the oldest request sent and not yet answered.
    async fn answer(&mut self) -> Result<(u16, String), String> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.receive()).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                self.conn = None;
                Err(e)
            }
            Err(_) => {
                self.conn = None;
                Err("timed out".into())
            }
        }
    }

    async fn receive(&mut self) -> Result<(u16, String), String> {
        let conn = self.conn.as_mut().ok_or("no request sent")?;
        let mut line = String::new();
        if conn.read_line(&mut line).await.map_err(|e| e.to_string())? == 0 {
            return Err("closed before an answer".into());
        }
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("status line {line:?}"))?;
        let (mut length, mut close) = (None, false);
        loop {
            line.clear();
            conn.read_line(&mut line).await.map_err(|e| e.to_string())?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').ok_or_else(|| format!("header {header:?}"))?;
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse::<usize>().ok(),
                "connection" => close = value.trim().eq_ignore_ascii_case("close"),
                "transfer-encoding" => return Err(format!("unexpected transfer-encoding {value}")),
                _ => {}
            }
        }
        let length = length.ok_or("an answer without content-length")?;
        let mut body = vec![0u8; length];
        conn.read_exact(&mut body).await.map_err(|e| e.to_string())?;
        if close {
            self.conn = None;
        }
        Ok((status, String::from_utf8(body).map_err(|e| e.to_string())?))
    }
}

// ---- routes ---------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Route {
    Snowflake,
    LeafSnowflake,
    Segment,
    LeafSegment,
    Tinyid,
    TinyidSimple,
    SegmentLease,
    TinyidSegment,
}

const ROUTES: [Route; 8] = [
    Route::Snowflake,
    Route::LeafSnowflake,
    Route::Segment,
    Route::LeafSegment,
    Route::Tinyid,
    Route::TinyidSimple,
    Route::SegmentLease,
    Route::TinyidSegment,
];

impl Route {
    fn request(self) -> (&'static str, String) {
        match self {
            Route::Snowflake => ("GET", format!("/v1/snowflake/{NAMESPACE}?count=20")),
            Route::LeafSnowflake => ("GET", "/api/snowflake/get/orders".into()),
            Route::Segment => ("GET", format!("/v1/segment/{TAG}?count=15")),
            Route::LeafSegment => ("GET", format!("/api/segment/get/{TAG}")),
            Route::Tinyid => ("GET", format!("/tinyid/id/nextId?bizType={TAG}&batchSize=10")),
            Route::TinyidSimple => ("GET", format!("/tinyid/id/nextIdSimple?bizType={TAG}&batchSize=7")),
            Route::SegmentLease => ("POST", format!("/v1/segment/{TAG}/lease?step=25")),
            Route::TinyidSegment => ("GET", format!("/tinyid/id/nextSegmentId?bizType={TAG}")),
        }
    }

    fn is_snowflake(self) -> bool {
        matches!(self, Route::Snowflake | Route::LeafSnowflake)
    }
}

/// What one request got.
#[derive(Debug, Clone)]
enum Got {
    /// Snowflake IDs.
    Snowflakes(Vec<u64>),
    /// Segment IDs.
    Ids(Vec<u64>),
    /// A leased range of segment counters, `[start, end)`.
    Range(u64, u64),
    /// A refusal: the HTTP status and the error code (empty for Tinyid's `…Simple`, whose body is empty).
    Refused(u16, String),
    /// No answer.
    Transport(String),
}

#[derive(Debug, Clone)]
struct Answer {
    route: Route,
    received: Instant,
    got: Got,
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"))
}

fn number(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not an ID: {v}")),
        other => other.as_u64().unwrap_or_else(|| panic!("not an ID: {other}")),
    }
}

fn numbers(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list of IDs: {v}"))
        .iter()
        .map(number)
        .collect()
}

/// Read an answer of `route`; a 200 that is not what the route promises panics.
fn read(route: Route, status: u16, body: &str) -> Got {
    if status != 200 {
        let code = if body.is_empty() {
            String::new()
        } else {
            match &json(body)["code"] {
                Value::String(code) => code.clone(),
                // Tinyid's shape: a numeric code, ours at the front of the message.
                _ => json(body)["message"]
                    .as_str()
                    .unwrap_or("")
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .to_string(),
            }
        };
        return Got::Refused(status, code);
    }
    let text = || body.trim().parse::<u64>().unwrap_or_else(|_| panic!("{route:?}: {body:?}"));
    match route {
        Route::Snowflake => Got::Snowflakes(numbers(&json(body)["ids"])),
        Route::LeafSnowflake => Got::Snowflakes(vec![text()]),
        Route::Segment => Got::Ids(numbers(&json(body)["ids"])),
        Route::LeafSegment => Got::Ids(vec![text()]),
        Route::Tinyid => {
            let v = json(body);
            assert_eq!(v["code"], 200, "{body}");
            Got::Ids(numbers(&v["data"]))
        }
        Route::TinyidSimple => Got::Ids(body.split(',').map(|s| s.parse().unwrap_or_else(|_| panic!("{body:?}"))).collect()),
        Route::SegmentLease => {
            let v = json(body);
            Got::Range(number(&v["start"]), number(&v["end"]))
        }
        Route::TinyidSegment => {
            // (currentId, maxId] are the IDs: [currentId + 1, maxId + 1).
            let v = json(body);
            assert_eq!(v["code"], 200, "{body}");
            let (current, max) = (v["data"]["currentId"].as_i64().unwrap(), v["data"]["maxId"].as_i64().unwrap());
            Got::Range((current + 1) as u64, (max + 1) as u64)
        }
    }
}

// ---- instances ------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct LeaseInfo {
    node: u64,
    epoch: u64,
    start_ms: u64,
    fence_ms: u64,
    active: bool,
}

impl LeaseInfo {
    fn key(&self) -> (u64, u64) {
        (self.node, self.epoch)
    }
}

/// One `/v1/status`: when its request left, when its answer arrived, and the
/// lease it showed (the server read it somewhere in between).
#[derive(Debug, Clone, Copy)]
struct Sample {
    sent: Instant,
    received: Instant,
    lease: LeaseInfo,
}

/// A `/v1/status` sample, and the lease's status as the server words it.
async fn status(http: &mut Http) -> Result<(Sample, String), String> {
    let sent = Instant::now();
    let (code, body) = http.request("GET", "/v1/status").await?;
    read_status(sent, code, &body)
}

/// A `/v1/status` answer (just received) to a request sent at `sent`.
fn read_status(sent: Instant, code: u16, body: &str) -> Result<(Sample, String), String> {
    let received = Instant::now();
    if code != 200 {
        return Err(format!("/v1/status {code}: {body}"));
    }
    let v = json(body);
    let l = &v["lease"];
    let field = |k: &str| l[k].as_u64().unwrap_or_else(|| panic!("/v1/status lease.{k}: {body}"));
    let state = l["status"].as_str().unwrap_or("").to_string();
    let lease = LeaseInfo {
        node: field("node"),
        epoch: field("epoch"),
        start_ms: field("start_ms"),
        fence_ms: field("fence_ms"),
        active: state.starts_with("Active"),
    };
    Ok((Sample { sent, received, lease }, state))
}

/// One lease of one instance, as its status samples showed it.
#[derive(Debug)]
struct Held<'a> {
    /// The instance's index in the test's list, and its name.
    instance: usize,
    name: &'a str,
    node: u64,
    epoch: u64,
    start_ms: u64,
    /// The samples that showed it, by when their request left.
    samples: Vec<Sample>,
}

impl Held<'_> {
    fn highest_fence_seen(&self) -> u64 {
        self.samples.iter().map(|s| s.lease.fence_ms).max().unwrap()
    }

    /// The fence of the first sample of this lease sent after `received`; if
    /// none (the lease ended), the highest fence seen of it.
    fn fence_after(&self, received: Instant) -> u64 {
        self.samples
            .iter()
            .find(|s| s.sent >= received)
            .map_or_else(|| self.highest_fence_seen(), |s| s.lease.fence_ms)
    }

    fn describe(&self) -> String {
        format!(
            "{} node {} epoch {} [{}, fence seen {}]",
            self.name,
            self.node,
            self.epoch,
            self.start_ms,
            self.highest_fence_seen()
        )
    }
}

/// A running server with its clients and its status monitor.
struct Instance {
    name: String,
    addr: SocketAddr,
    /// The lease it listened with.
    first: LeaseInfo,
    stop: Arc<AtomicBool>,
    clients: Vec<JoinHandle<Vec<Answer>>>,
    monitor: Option<JoinHandle<Vec<Sample>>>,
    answers: Vec<Answer>,
    samples: Vec<Sample>,
}

impl Instance {
    /// Start the server `name`, read its lease, start its clients and its monitor.
    async fn start(procs: &mut Procs, name: &str, holder: &str, store: &str, deadline: Instant) -> Instance {
        let addr = start_server(procs, name, holder, store).await;
        let (sample, state) = status(&mut Http::new(addr)).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(sample.lease.active, "{name} listens with an active lease: {state}");
        let stop = Arc::new(AtomicBool::new(false));
        let clients = (0..CLIENTS)
            .map(|k| tokio::spawn(client(addr, k, stop.clone(), deadline)))
            .collect();
        let monitor = Some(tokio::spawn(monitor(addr, stop.clone(), deadline)));
        Instance {
            name: name.into(),
            addr,
            first: sample.lease,
            stop,
            clients,
            monitor,
            answers: Vec::new(),
            samples: vec![sample],
        }
    }

    /// Stop the clients and the monitor; gather what they saw.
    async fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        for c in self.clients.drain(..) {
            self.answers.extend(c.await.unwrap());
        }
        if let Some(m) = self.monitor.take() {
            self.samples.extend(m.await.unwrap());
        }
    }

    /// Its leases, from its samples, in the order they were first seen.
    fn leases(&self, instance: usize) -> Vec<Held<'_>> {
        let mut samples = self.samples.clone();
        samples.sort_by_key(|s| s.sent);
        let mut leases: Vec<Held<'_>> = Vec::new();
        for s in samples {
            match leases.iter_mut().find(|h| (h.node, h.epoch) == s.lease.key()) {
                Some(held) => held.samples.push(s),
                None => leases.push(Held {
                    instance,
                    name: &self.name,
                    node: s.lease.node,
                    epoch: s.lease.epoch,
                    start_ms: s.lease.start_ms,
                    samples: vec![s],
                }),
            }
        }
        leases
    }

    /// The highest fence seen of its lease on (`node`, `epoch`).
    fn fence_seen(&self, lease: LeaseInfo) -> u64 {
        let samples = self.samples.iter().filter(|s| s.lease.key() == lease.key());
        samples.map(|s| s.lease.fence_ms).max().unwrap()
    }

    fn answered_since(&self, since: Instant, snowflake: bool) -> usize {
        self.answers
            .iter()
            .filter(|a| a.received > since && a.route.is_snowflake() == snowflake)
            .filter(|a| matches!(a.got, Got::Snowflakes(_) | Got::Ids(_) | Got::Range(..)))
            .count()
    }
}

/// A client: every route in turn, until stopped.
async fn client(addr: SocketAddr, offset: usize, stop: Arc<AtomicBool>, deadline: Instant) -> Vec<Answer> {
    let mut http = Http::new(addr);
    let mut answers = Vec::new();
    let mut i = offset;
    while !stop.load(Ordering::Acquire) && Instant::now() < deadline {
        let route = ROUTES[i % ROUTES.len()];
        i += 1;
        let (method, path) = route.request();
        let got = match http.request(method, &path).await {
            Ok((code, body)) => read(route, code, &body),
            Err(e) => {
                tokio::time::sleep(Duration::from_millis(20)).await; // refused: no busy loop
                Got::Transport(e)
            }
        };
        answers.push(Answer {
            route,
            received: Instant::now(),
            got,
        });
        tokio::time::sleep(PACE).await;
    }
    answers
}

/// `/v1/status` every 100 ms, until stopped (through a pause: a request left
/// unanswered times out, and the next one leaves).
async fn monitor(addr: SocketAddr, stop: Arc<AtomicBool>, deadline: Instant) -> Vec<Sample> {
    let mut http = Http::new(addr);
    let mut samples = Vec::new();
    while !stop.load(Ordering::Acquire) && Instant::now() < deadline {
        if let Ok((sample, _)) = status(&mut http).await {
            samples.push(sample);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    samples
}

/// One snowflake request of the probe on the resumed instance (the two
/// snowflake routes in turn), kept with its answers: the route and what it got.
async fn probe_snowflake(http: &mut Http, probes: &mut Vec<Answer>) -> (Route, Got) {
    let route = [Route::Snowflake, Route::LeafSnowflake][probes.len() % 2];
    let (method, path) = route.request();
    let (code, body) = http.request(method, &path).await.expect("the resumed b answers");
    let got = read(route, code, &body);
    probes.push(Answer {
        route,
        received: Instant::now(),
        got: got.clone(),
    });
    (route, got)
}

/// Poll `/readyz` until 200, for at most `within`.
async fn ready(inst: &Instance, within: Duration) {
    let deadline = Instant::now() + within;
    let mut http = Http::new(inst.addr);
    let mut last = String::new();
    while Instant::now() < deadline {
        match http.request("GET", "/readyz").await {
            Ok((200, _)) => return,
            Ok((code, body)) => last = format!("{code} {body}"),
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} was not ready within {within:?} after the store came back: {last}", inst.name);
}

fn decode(id: u64) -> (u64, u64) {
    ((id >> 12) & 1023, (id >> 22) + TWITTER_EPOCH_MS)
}

// ---- the test -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_through_a_kill_a_pause_and_a_store_restart_serve_no_id_twice() {
    let began = Instant::now();
    tokio::time::timeout(Duration::from_secs(60), scenario())
        .await
        .expect("the fault test took over 60 s");
    eprintln!("faults: {:.1} s", began.elapsed().as_secs_f64());
}

async fn scenario() {
    let mut procs = Procs::new();
    let redis_port = free_port();
    assert_ne!(redis_port, 6379, "never the shared Redis");
    start_redis(&mut procs, redis_port);
    redis_ready(redis_port, Duration::from_secs(10)).await;
    let store = format!("redis://127.0.0.1:{redis_port}/");
    let deadline = Instant::now() + Duration::from_secs(50); // the clients' own bound

    let mut all: Vec<Instance> = Vec::new();
    for name in ["a", "b", "c"] {
        let inst = Instance::start(&mut procs, name, &format!("faults-{name}"), &store, deadline).await;
        all.push(inst);
    }
    let idx = |all: &[Instance], name: &str| all.iter().position(|i| i.name == name).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;

    // (1) SIGKILL a, (2) SIGSTOP b, at once.
    let (a, b) = (idx(&all, "a"), idx(&all, "b"));
    procs.kill("a");
    signal(procs.pid("b"), "STOP");
    let paused = Instant::now();
    // a's clients see refusals at once; none of them is left to reach a2.
    all[a].stop().await;
    // Both leases run out on the store's clock (TTL after the last renewal,
    // which left before the pause), with the skew bound and a margin.
    tokio::time::sleep(Duration::from_millis(TTL_MS + SKEW_MS + 500).saturating_sub(paused.elapsed())).await;
    let a2 = Instance::start(&mut procs, "a2", "faults-a", &store, deadline).await;
    all.push(a2);
    let d = Instance::start(&mut procs, "d", "faults-d", &store, deadline).await;
    all.push(d);
    let (a2, d) = (idx(&all, "a2"), idx(&all, "d"));
    assert!(
        paused.elapsed() > Duration::from_millis(TTL_MS + SKEW_MS),
        "b was paused past its TTL"
    );
    let (la, la2) = (all[a].first, all[a2].first);
    assert_eq!(
        (la2.node, la2.epoch),
        (la.node, la.epoch + 1),
        "a2 takes a's node again (sticky holder)"
    );
    assert!(
        la2.start_ms >= all[a].fence_seen(la),
        "a2 starts at a's fence: {la2:?}, a's highest fence seen {}",
        all[a].fence_seen(la)
    );
    let (old, ld) = (all[b].first, all[d].first);
    assert_eq!((ld.node, ld.epoch), (old.node, old.epoch + 1), "d takes the paused b's node");
    tokio::time::sleep(Duration::from_millis(700)).await; // d mints on b's node meanwhile

    // SIGCONT b. A probe alternates snowflake requests and /v1/status on one
    // connection: while a status still shows b's old lease, the request
    // before it was refused. The first pair is queued before SIGCONT, for b
    // to serve the moment it wakes (its renewal is due at once too).
    let mut probe = Http::new(all[b].addr);
    let mut probes: Vec<Answer> = Vec::new();
    let first = Route::Snowflake.request();
    probe.send(first.0, &first.1).await.expect("a connection to the paused b");
    let queued = Instant::now();
    probe.send("GET", "/v1/status").await.expect("a connection to the paused b");
    signal(procs.pid("b"), "CONT");
    let resumed = Instant::now();
    let mut refused = 0;
    let ended = loop {
        let (route, got, sample, state) = if probes.is_empty() {
            let (code, body) = probe.answer().await.expect("the resumed b answers");
            let got = read(Route::Snowflake, code, &body);
            probes.push(Answer {
                route: Route::Snowflake,
                received: Instant::now(),
                got: got.clone(),
            });
            let (code, body) = probe.answer().await.expect("the resumed b answers /v1/status");
            let (sample, state) = read_status(queued, code, &body).expect("the resumed b answers /v1/status");
            (Route::Snowflake, got, sample, state)
        } else {
            let (route, got) = probe_snowflake(&mut probe, &mut probes).await;
            let (sample, state) = status(&mut probe).await.expect("the resumed b answers /v1/status");
            (route, got, sample, state)
        };
        all[b].samples.push(sample);
        if sample.lease.key() != old.key() {
            // Replaced: the old lease ended (Lost) meanwhile; the request
            // before may have met the new lease, checked with every ID.
            break format!("replaced by node {} epoch {}", sample.lease.node, sample.lease.epoch);
        }
        match got {
            Got::Refused(503, c) if c == "lease_expired" || c == "lease_lost" => refused += 1,
            other => panic!("the resumed b answered {other:?} on {route:?} while it still showed its old lease ({state})"),
        }
        if !sample.lease.active {
            assert!(state.starts_with("Lost"), "b's old lease ended other than lost: {state}");
            break state;
        }
        assert!(
            resumed.elapsed() < Duration::from_secs(3),
            "b's old lease did not end within 3 s of SIGCONT: {state}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let old_ended = resumed.elapsed();

    // Then a new lease, and snowflakes under it.
    let until = Instant::now() + Duration::from_secs(10);
    let new = loop {
        let (sample, state) = status(&mut probe).await.expect("the resumed b answers /v1/status");
        all[b].samples.push(sample);
        if sample.lease.key() != old.key() && sample.lease.active {
            break sample.lease;
        }
        assert!(
            Instant::now() < until,
            "b showed no new active lease within 10 s of its old one ending: {state}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let new_seen = resumed.elapsed();
    loop {
        let (_, got) = probe_snowflake(&mut probe, &mut probes).await;
        if let Got::Snowflakes(ids) = got {
            assert!(
                ids.iter().all(|&id| decode(id).0 == new.node),
                "b's first IDs under its new lease {new:?}: {ids:?}"
            );
            break;
        }
        assert!(
            Instant::now() < until,
            "b answered no snowflake within 10 s under its new lease {new:?}: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let serving_again = resumed.elapsed();
    all[b].answers.extend(probes);
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    // (3) The store: SIGKILL, down for a while, started again on its port and directory.
    procs.kill("redis");
    let store_down = Instant::now();
    tokio::time::sleep(STORE_DOWN).await;
    start_redis(&mut procs, redis_port);
    redis_ready(redis_port, Duration::from_secs(10)).await;
    let store_back = Instant::now();
    let live = ["b", "c", "a2", "d"];
    for name in live {
        ready(&all[idx(&all, name)], Duration::from_secs(10)).await;
    }
    let all_ready = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The end: clients stop, a last status of each live instance, decode cross-checked, SIGTERM.
    for name in live {
        let i = idx(&all, name);
        all[i].stop().await;
        let mut http = Http::new(all[i].addr);
        let (sample, _) = status(&mut http).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        all[i].samples.push(sample);
    }
    let c = idx(&all, "c");
    let mut http = Http::new(all[c].addr);
    for inst in &all {
        let id = inst
            .answers
            .iter()
            .find_map(|a| match &a.got {
                Got::Snowflakes(ids) => Some(ids[0]),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{} served no snowflake", inst.name));
        let (code, body) = http.request("GET", &format!("/v1/decode/{id}")).await.unwrap();
        assert_eq!(code, 200, "{body}");
        let v = json(&body);
        let (node, time) = decode(id);
        assert_eq!((v["node"].as_u64(), v["timestamp_ms"].as_u64()), (Some(node), Some(time)), "{body}");
    }
    for name in live {
        signal(procs.pid(name), "TERM");
    }
    for name in live {
        assert!(procs.exited(name, Duration::from_secs(10)).await, "{name} exits 0 on SIGTERM");
    }

    // b's old lease ended lost (its renewal refused: the node was d's), before its new one.
    let log = std::fs::read_to_string(procs.dir.join("b.log")).unwrap();
    let lost = log.find(&format!("lease_lost node={} epoch={} ", old.node, old.epoch));
    let again = log.find(&format!("lease_acquired node={} epoch={} ", new.node, new.epoch));
    assert!(
        matches!((lost, again), (Some(l), Some(g)) if l < g),
        "b's log shows its old lease (node {} epoch {}) lease_lost before it acquired node {} epoch {}: {lost:?}, {again:?}",
        old.node,
        old.epoch,
        new.node,
        new.epoch
    );

    let minted = check(&all, resumed, store_back);
    let under_new = minted.get(&("b".to_string(), new.key())).copied().unwrap_or(0);
    assert!(under_new > 0, "the resumed b served no snowflake under its new lease {new:?}");
    for name in live {
        let inst = &all[idx(&all, name)];
        assert!(
            inst.answered_since(all_ready, true) > 0,
            "{name} serves snowflakes after the store restart"
        );
        assert!(
            inst.answered_since(all_ready, false) > 0,
            "{name} serves segments after the store restart"
        );
    }
    assert!(all[b].answered_since(resumed, false) > 0, "the resumed b still serves segments");
    eprintln!(
        "faults: b resumed: {refused} snowflake request(s) refused until its old lease ended ({ended}) after {} ms; \
         node {} epoch {} active after {} ms, IDs under it after {} ms ({under_new} in all)",
        old_ended.as_millis(),
        new.node,
        new.epoch,
        new_seen.as_millis(),
        serving_again.as_millis()
    );
    eprintln!(
        "faults: store down {:.1} s, every instance ready {:.1} s after it came back",
        (store_back - store_down).as_secs_f64(),
        (all_ready - store_back).as_secs_f64()
    );
    drop(procs);
}

/// The checks of the module docs, on everything gathered; how many
/// snowflakes each lease minted, by (instance, (node, epoch)).
fn check(all: &[Instance], resumed: Instant, store_back: Instant) -> BTreeMap<(String, (u64, u64)), usize> {
    // Each instance's leases, from its samples.
    let leases: Vec<Held<'_>> = all.iter().enumerate().flat_map(|(i, inst)| inst.leases(i)).collect();
    for held in &leases {
        for x in &held.samples {
            assert_eq!(x.lease.start_ms, held.start_ms, "{}: start_ms changed: {x:?}", held.describe());
            for y in held.samples.iter().filter(|y| y.sent >= x.received) {
                assert!(
                    y.lease.fence_ms >= x.lease.fence_ms,
                    "{}: the fence went down: {x:?} then {y:?}",
                    held.describe()
                );
            }
        }
    }
    let last_sent = |h: &Held<'_>| h.samples.iter().map(|s| s.sent).max().unwrap();
    let first_received = |h: &Held<'_>| h.samples.iter().map(|s| s.received).min().unwrap();
    for (k, x) in leases.iter().enumerate() {
        for y in leases[k + 1..].iter().filter(|y| y.instance == x.instance) {
            assert!(
                last_sent(x) < first_received(y) || last_sent(y) < first_received(x),
                "{}: its leases showed back and forth: {} and {}",
                x.name,
                x.describe(),
                y.describe()
            );
        }
    }
    let next_start = |h: &Held<'_>| {
        let later = leases.iter().filter(|o| o.node == h.node && o.epoch > h.epoch);
        later.map(|o| o.start_ms).min()
    };
    // The end of what `h` can have minted before an answer that arrived at `received`.
    let bound = |h: &Held<'_>, received: Instant| {
        let fence = h.fence_after(received);
        next_start(h).map_or(fence, |n| n.min(fence))
    };

    let mut per_route: BTreeMap<Route, usize> = BTreeMap::new();
    let mut refusals: BTreeMap<(String, Route, u16, String), usize> = BTreeMap::new();
    let mut transport: BTreeMap<String, usize> = BTreeMap::new();
    let mut minted: Vec<Vec<u64>> = vec![Vec::new(); leases.len()];
    let mut segment_ids: Vec<u64> = Vec::new();
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    for (i, inst) in all.iter().enumerate() {
        for a in &inst.answers {
            match &a.got {
                Got::Snowflakes(ids) => {
                    *per_route.entry(a.route).or_default() += ids.len();
                    for &id in ids {
                        let (node, time) = decode(id);
                        let mine = || leases.iter().enumerate().filter(|(_, h)| h.instance == i);
                        let within = mine().find(|(_, h)| h.node == node && (h.start_ms..bound(h, a.received)).contains(&time));
                        let Some((k, _)) = within else {
                            let held: Vec<String> = mine()
                                .map(|(_, h)| format!("node {} epoch {} [{}, {})", h.node, h.epoch, h.start_ms, bound(h, a.received)))
                                .collect();
                            panic!(
                                "{}: ID {id} (node {node}, {time} ms, answered {:?} after b resumed) inside none of its leases: {held:?}",
                                inst.name,
                                a.received.checked_duration_since(resumed)
                            );
                        };
                        minted[k].push(id);
                    }
                }
                Got::Ids(ids) => {
                    *per_route.entry(a.route).or_default() += ids.len();
                    segment_ids.extend(ids);
                }
                Got::Range(start, end) => {
                    *per_route.entry(a.route).or_default() += 1;
                    assert!(start < end, "{}: an empty range [{start}, {end})", inst.name);
                    ranges.push((*start, *end));
                }
                // After the store came back (a new run_id) every lease from before is over: lease_lost
                // until the instance leased again; before, only the paused b may lose its lease.
                Got::Refused(code, why) if why == "lease_lost" && a.received >= store_back => {
                    *refusals
                        .entry((inst.name.clone(), a.route, *code, "lease_lost after the store restart".into()))
                        .or_default() += 1
                }
                Got::Refused(code, why) => *refusals.entry((inst.name.clone(), a.route, *code, why.clone())).or_default() += 1,
                Got::Transport(e) => *transport.entry(format!("{} {e}", inst.name)).or_default() += 1,
            }
        }
    }
    let summary: Vec<String> = leases
        .iter()
        .zip(&minted)
        .map(|(h, ids)| format!("{}: {} IDs", h.describe(), ids.len()))
        .collect();
    eprintln!("faults: leases {summary:?}");
    eprintln!("faults: served per route {per_route:?}");
    eprintln!("faults: refusals {refusals:?}");
    eprintln!("faults: no answer {transport:?}");
    for route in ROUTES {
        assert!(per_route.get(&route).copied().unwrap_or(0) > 0, "{route:?} served nothing");
    }
    for ((name, route, code, why), n) in &refusals {
        let allowed = *code == 503
            && (ALLOWED.contains(&why.as_str())
                || why == "lease_lost after the store restart"
                || (why.is_empty() && *route == Route::TinyidSimple));
        assert!(allowed, "{n} refusal(s) {code} {why:?} from {name} on {route:?}");
        assert!(why != "lease_lost" || name == "b", "{name} lost its lease: {n} on {route:?}");
    }

    // Snowflakes: unique, and per node the leases follow one another and do not interleave.
    let mut ids: Vec<u64> = minted.iter().flatten().copied().collect();
    ids.sort_unstable();
    let dup = ids.windows(2).find(|w| w[0] == w[1]);
    assert!(dup.is_none(), "snowflake {:?} served twice (of {})", dup, ids.len());
    let mut by_node: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (k, h) in leases.iter().enumerate() {
        by_node.entry(h.node).or_default().push(k);
    }
    for (node, mut on_node) in by_node {
        on_node.sort_by_key(|&k| leases[k].epoch);
        for pair in on_node.windows(2) {
            let (early, late) = (&leases[pair[0]], &leases[pair[1]]);
            assert!(
                late.epoch > early.epoch,
                "node {node}: two leases at one epoch: {} and {}",
                early.describe(),
                late.describe()
            );
            assert!(
                late.start_ms >= early.highest_fence_seen(),
                "node {node}: {} starts below the fence of {}",
                late.describe(),
                early.describe()
            );
        }
        // The highest ID of the leases before, and whose it is.
        let mut below: Option<(u64, usize)> = None;
        for k in on_node {
            if let (Some((max, m)), Some(&min)) = (below, minted[k].iter().min()) {
                assert!(
                    max < min,
                    "node {node}: {} minted {max}, not below the first {min} of {}",
                    leases[m].describe(),
                    leases[k].describe()
                );
            }
            if let Some(&max) = minted[k].iter().max() {
                if below.is_none_or(|(b, _)| max > b) {
                    below = Some((max, k));
                }
            }
        }
    }

    // Segments: no ID twice, no overlapping ranges, no ID inside a range.
    segment_ids.sort_unstable();
    let dup = segment_ids.windows(2).find(|w| w[0] == w[1]);
    assert!(dup.is_none(), "segment ID {dup:?} served twice (of {})", segment_ids.len());
    assert!(segment_ids.first().is_none_or(|&f| f >= 1), "a segment ID below the floor");
    ranges.sort_unstable();
    if let Some(w) = ranges.windows(2).find(|w| w[0].1 > w[1].0) {
        panic!("leased ranges overlap: {w:?}");
    }
    for &id in &segment_ids {
        let at = ranges.partition_point(|r| r.0 <= id);
        if at > 0 {
            let r = ranges[at - 1];
            assert!(id >= r.1, "segment ID {id} was also leased in [{}, {})", r.0, r.1);
        }
    }
    eprintln!(
        "faults: {} snowflakes, {} segment IDs, {} ranges, all distinct",
        ids.len(),
        segment_ids.len(),
        ranges.len()
    );
    let per_lease = leases.iter().zip(&minted);
    per_lease
        .map(|(h, ids)| ((h.name.to_string(), (h.node, h.epoch)), ids.len()))
        .collect()
}
