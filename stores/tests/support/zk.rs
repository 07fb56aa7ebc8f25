//! A private ZooKeeper for the tests (Debian's `zookeeper` 3.8 on Java; the
//! test command installs it): its own port and data dir, killed when the
//! test binary ends. (`server/tests/routes.rs` includes this file too, and
//! uses a part of it.)

#![allow(dead_code)]

use idloom_stores::zookeeper::ZkStore;
use idloom_stores::Store;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free port on 127.0.0.1 (released for the server to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A private ZooKeeper: its own port and data dir. The JVM is killed when
/// this is dropped, and by a watchdog (`sh` reading a pipe from this
/// process) when the test binary ends without dropping it.
pub struct Zk {
    java: Child,
    _watchdog: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Zk {
    /// A server on a free port over `dir` (made if missing).
    pub async fn start(dir: &Path) -> Zk {
        Zk::start_on(dir, free_port()).await
    }

    /// A server on `port` over `dir` (its `data` inside).
    pub async fn start_on(dir: &Path, port: u16) -> Zk {
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let zk = Zk::spawn(dir, port, "");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if zk.store().init().await.is_ok() {
                return zk;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "private ZooKeeper on {port} did not start: {}",
            std::fs::read_to_string(dir.join("zk.log")).unwrap_or_default()
        );
    }

    /// The JVM started on `dir/zoo.cfg` (written here, `extra` appended), not waited for.
    fn spawn(dir: &Path, port: u16, extra: &str) -> Zk {
        let cfg = dir.join("zoo.cfg");
        // tickTime 500 ms: sessions of 1–10 s; no admin server (its port 8080 would be shared).
        std::fs::write(
            &cfg,
            format!(
                "tickTime=500\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\nmaxSessionTimeout=10000\n{extra}",
                dir.join("data").display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("zk.log")).unwrap();
        let java = Command::new("java")
            .args([
                "-Xmx128m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                "/usr/share/java/zookeeper.jar:/etc/zookeeper/conf",
            ])
            .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
            .arg(&cfg)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("java and Debian's zookeeper (the test command installs it)");
        let watchdog = Command::new("sh")
            .args(["-c", &format!("cat >/dev/null; kill -9 {} 2>/dev/null", java.id())])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        Zk {
            java,
            _watchdog: watchdog,
            port,
            dir: dir.to_path_buf(),
        }
    }

    pub fn url(&self) -> String {
        format!("zookeeper://127.0.0.1:{}?call_timeout_ms=2000&session_timeout_ms=4000", self.port)
    }

    pub fn store(&self) -> ZkStore {
        ZkStore::from_url(&self.url()).unwrap()
    }

    /// Kill the server (its data dir stays).
    pub fn kill(&mut self) {
        let _ = self.java.kill();
        let _ = self.java.wait();
    }

    pub fn signal(&self, name: &str) {
        assert!(Command::new("kill")
            .args([format!("-{name}"), self.java.id().to_string()])
            .status()
            .unwrap()
            .success());
    }
}

impl Drop for Zk {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A private ensemble of three servers on local ports: quorum and election
/// ports of their own, `srvr` the only four-letter word allowed (to find
/// the leader).
pub struct Ensemble {
    pub servers: Vec<Option<Zk>>,
    pub ports: Vec<u16>,
}

impl Ensemble {
    pub async fn start(dir: &Path) -> Ensemble {
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let peers: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
        let members: String = peers
            .iter()
            .enumerate()
            .map(|(i, (q, e))| format!("server.{}=127.0.0.1:{q}:{e}\n", i + 1))
            .collect();
        let mut javas = Vec::new();
        for (i, port) in ports.iter().enumerate() {
            let d = dir.join(format!("q{}", i + 1));
            std::fs::create_dir_all(d.join("data")).unwrap();
            std::fs::write(d.join("data/myid"), format!("{}\n", i + 1)).unwrap();
            let extra = format!("initLimit=10\nsyncLimit=5\n4lw.commands.whitelist=srvr\n{members}");
            javas.push(Zk::spawn(&d, *port, &extra));
        }
        let servers: Vec<Option<Zk>> = javas.into_iter().map(Some).collect();
        let e = Ensemble { servers, ports };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if e.leader().is_some() && e.store().init().await.is_ok() {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("private ZooKeeper ensemble on {:?} did not form", e.ports);
    }

    /// Every member, as a client names them.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self.ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        format!("zookeeper://{}?call_timeout_ms=3000&session_timeout_ms=6000", hosts.join(","))
    }

    pub fn store(&self) -> ZkStore {
        ZkStore::from_url(&self.url()).unwrap()
    }

    /// The member that says `Mode: leader` to `srvr`.
    pub fn leader(&self) -> Option<usize> {
        use std::io::{Read, Write};
        (0..3).find(|&i| {
            self.servers[i].is_some()
                && std::net::TcpStream::connect(("127.0.0.1", self.ports[i]))
                    .and_then(|mut s| {
                        s.set_read_timeout(Some(Duration::from_secs(2)))?;
                        s.write_all(b"srvr")?;
                        let mut out = String::new();
                        s.read_to_string(&mut out)?;
                        Ok(out.contains("Mode: leader"))
                    })
                    .unwrap_or(false)
        })
    }

    /// Kill member `i` (SIGKILL).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut z) = self.servers[i].take() {
            z.kill();
        }
    }
}
