//! What the server's integration tests share: the real binary started on a
//! free port, and a plain HTTP/1.1 client that reads answers byte for byte.
#![allow(dead_code)] // each test file uses its part

use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// The shared servers every machine of this kind runs (never restarted by these tests).
pub const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const MARIADB: &str = "mysql://root@127.0.0.1:3306/test";
pub const REDIS: &str = "redis://127.0.0.1:6379";

/// A name no other run uses.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}{}x{}", std::process::id(), nanos % 1_000_000_000)
}

/// A running `idloom-server`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Server {
    /// Start the binary with `args` (plus `--listen 127.0.0.1:0`) and wait
    /// for its `listening on` line (at most 30 s).
    pub async fn start(args: &[&str]) -> Server {
        Self::try_start(args)
            .await
            .unwrap_or_else(|e| panic!("idloom-server {args:?}: {e}"))
    }

    /// As [`start`](Self::start); the error is what it printed when it did not start.
    pub async fn try_start(args: &[&str]) -> Result<Server, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_idloom-server"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("IDLOOM_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
        match first {
            Ok(Ok(Some(line))) if line.starts_with("listening on ") => Ok(Server {
                addr: line["listening on ".len()..].to_string(),
                child,
            }),
            other => {
                let _ = child.start_kill();
                let mut err = String::new();
                if let Some(mut stderr) = child.stderr.take() {
                    let _ = tokio::time::timeout(Duration::from_secs(5), stderr.read_to_string(&mut err)).await;
                }
                Err(format!("did not start ({other:?}): {err}"))
            }
        }
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Answer {
        request(&self.addr, "GET", path, &[]).await
    }

    /// `method` `path` with `headers`.
    pub async fn call(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
        request(&self.addr, method, path, headers).await
    }

    /// SIGTERM, and the exit status (at most 30 s).
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running") as i32;
        signal(pid, "TERM");
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("exits after SIGTERM")
            .unwrap()
    }
}

/// `kill -SIG pid`.
pub fn signal(pid: i32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

/// An answer: status, content type and body, as sent.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// One request on a fresh connection (`Connection: close`), read to its end (10 s at most).
pub async fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let go = async {
        let mut s = TcpStream::connect(addr).await?;
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).await?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(Duration::from_secs(10), go)
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer in 10 s"))
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let text = String::from_utf8(raw).expect("UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
    let content_type = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-type: ").map(str::to_string))
        .unwrap_or_default();
    Answer {
        status,
        content_type,
        body: body.to_string(),
    }
}
