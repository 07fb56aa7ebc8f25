//! Private etcd servers for the tests (Debian's `etcd-server` 3.4 and
//! `etcdctl`; the test command installs them): members on free ports with
//! their own data dirs, killed by PID when dropped (and by a watchdog once
//! the test process is gone). `server/tests/routes.rs` includes this file
//! too, and uses a part of it.

#![allow(dead_code)]

use idloom_stores::etcd::EtcdStore;
use idloom_stores::Store;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A free local port (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One etcd member: its ports, data dir and process.
pub struct Member {
    pub name: String,
    pub client: u16,
    pub peer: u16,
    pub dir: PathBuf,
    pub child: Option<Child>,
}

impl Member {
    pub fn new(name: &str) -> Member {
        let dir = std::env::temp_dir().join(crate::support::unique(&format!("idloom-etcd-{name}")));
        std::fs::create_dir_all(&dir).unwrap();
        Member {
            name: name.to_string(),
            client: free_port(),
            peer: free_port(),
            dir,
            child: None,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.client)
    }

    pub fn peer_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.peer)
    }

    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Start etcd on `data()` as a member of `cluster` (`name=peer_url,…`).
    pub fn start(&mut self, cluster: &str, token: &str) {
        let log = std::fs::File::create(self.dir.join(format!(
            "etcd-{}.log",
            SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()
        )))
        .unwrap();
        let client_url = format!("http://{}", self.endpoint());
        let child = Command::new("etcd")
            .args(["--name", &self.name])
            .args(["--data-dir", self.data().to_str().unwrap()])
            .args(["--listen-client-urls", &client_url, "--advertise-client-urls", &client_url])
            .args([
                "--listen-peer-urls",
                &self.peer_url(),
                "--initial-advertise-peer-urls",
                &self.peer_url(),
            ])
            .args(["--initial-cluster", cluster, "--initial-cluster-token", token])
            .args(["--initial-cluster-state", "new"])
            // Short raft timings: etcd's minimum lease TTL is 1.5 election timeouts (rounded up to 1 s here).
            .args(["--heartbeat-interval", "50", "--election-timeout", "500"])
            .args(["--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("/usr/bin/etcd");
        watchdog(child.id(), None);
        self.child = Some(child);
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_ref() {
            signal(c.id(), "CONT");
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Kill `pid` (and remove `dir`) once this test process is gone: the
/// shared server lives in a static, whose Drop never runs.
#[allow(clippy::zombie_processes)] // it outlives this process by design: nobody is left to wait for it
pub fn watchdog(pid: u32, dir: Option<&std::path::Path>) {
    let me = std::process::id();
    let rm = dir.map(|d| format!("rm -rf '{}'", d.display())).unwrap_or_default();
    Command::new("sh")
        .args([
            "-c",
            &format!("while kill -0 {me} 2>/dev/null; do sleep 0.3; done; kill -CONT {pid} 2>/dev/null; kill -9 {pid} 2>/dev/null; {rm}"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
}

pub fn signal(pid: u32, name: &str) -> bool {
    Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// A cluster of `n` members on local ports, started and answering.
pub struct Cluster {
    pub members: Vec<Member>,
    /// The `--initial-cluster-token` it was started with.
    pub token: String,
}

impl Cluster {
    pub async fn start(n: usize) -> Cluster {
        let mut members: Vec<Member> = (1..=n).map(|i| Member::new(&format!("m{i}"))).collect();
        let token = crate::support::unique("idloom-tok");
        let initial = members
            .iter()
            .map(|m| format!("{}={}", m.name, m.peer_url()))
            .collect::<Vec<_>>()
            .join(",");
        for m in &mut members {
            m.start(&initial, &token);
        }
        let c = Cluster { members, token };
        c.ready().await;
        c
    }

    pub fn initial(&self) -> String {
        self.members
            .iter()
            .map(|m| format!("{}={}", m.name, m.peer_url()))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn url(&self, query: &str) -> String {
        let hosts: Vec<String> = self.members.iter().filter(|m| m.child.is_some()).map(Member::endpoint).collect();
        format!("etcd://{}{query}", hosts.join(","))
    }

    /// Wait (bounded) until a write goes through every running member.
    pub async fn ready(&self) {
        for m in self.members.iter().filter(|m| m.child.is_some()) {
            let db = EtcdStore::from_url(&format!("etcd://{}?call_timeout_ms=1000", m.endpoint())).unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                match db.init().await {
                    Ok(()) => break,
                    Err(e) => assert!(Instant::now() < deadline, "etcd {} never answered: {e}", m.name),
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    pub fn etcdctl(&self, args: &[&str]) -> String {
        let out = Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .args(["--endpoints", &self.members[0].endpoint()])
            .args(args)
            .output()
            .expect("/usr/bin/etcdctl");
        assert!(out.status.success(), "etcdctl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
