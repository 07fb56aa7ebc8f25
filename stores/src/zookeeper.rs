//! ZooKeeper through the `zookeeper-client` crate (pure Rust, async on
//! tokio): the lease protocol on persistent znodes changed by versioned
//! `multi` (docs/COORDINATION.md, "ZooKeeper"), and Leaf segments on a
//! counter znode changed by versioned `setData` (Curator's
//! `DistributedAtomicLong`).
//!
//! - `/idloom/NS`: the namespace's record (`idloom-namespace 1` text);
//!   `/idloom/NS/nodes/0000000003`: node 3's record (`idloom-node 1`);
//!   `/idloom/NS/clock`: written by every lease call for its `mtime`, the
//!   store's clock (the leader's wall clock when it applied the write);
//!   `/idloom/counters:TAG`: a counter (`idloom-counter 1`).
//! - The store identity is time: a restore brings back the znodes, their
//!   versions, zxids and epoch (docs/notes/zk-etcd.md), only the wall
//!   clock moves on. A call that finds every record it reads last written
//!   more than a TTL ago ([`idloom::stores::kv::gap_identity`]) — nothing
//!   that holds a lease wrote since: the namespace sat idle, or the
//!   ensemble came back from a backup — sees a new identity: an acquire
//!   raises the floor first, a renewal or a release is refused. Only a
//!   committed lease write refreshes that trace, so a refused call, or one
//!   that dies half-way, never erases it. The price: after a silence
//!   longer than a TTL (every holder gone, or an outage), the next lease
//!   starts a TTL + skew ahead.
//! - Liveness is the record's expiry on that clock (as on PostgreSQL), not
//!   a session: a holder whose session ends keeps its fence until its
//!   lease runs out, and a paused holder's renewal is refused.
//! - The client reconnects by itself while its session lives; a session
//!   that expired (or a client that never connected) is replaced on the
//!   next call. Every call has a deadline (`call_timeout`): a server that
//!   hangs is `store_unavailable`, never a wait without end.

use crate::kv::{self, Identity, KvEngine, Versioned, Write};
use idloom::stores::failure::{classify, Fault};
use idloom::stores::kvcall::{Flavor, KvUrl};
use idloom::{Error, ErrorCode, Result};
use std::sync::Arc;
use std::time::Duration;
use zookeeper_client as zk;

const ENGINE: &str = "zookeeper";

/// A ZooKeeper error as the core classifies it (by its name).
pub fn failure(e: &zk::Error) -> Error {
    let name = match e {
        zk::Error::ConnectionLoss => "ConnectionLoss",
        zk::Error::SessionExpired => "SessionExpired",
        zk::Error::SessionMoved => "SessionMoved",
        zk::Error::ClientClosed => "ClientClosed",
        zk::Error::NoHosts => "NoHosts",
        zk::Error::Timeout => "Timeout",
        zk::Error::NotReadOnly => "NotReadOnly",
        zk::Error::Throttled => "Throttled",
        zk::Error::NoAuth => "NoAuth",
        zk::Error::AuthFailed => "AuthFailed",
        // The client's own conditions ("no response from connection in N ms", I/O): no answer.
        zk::Error::Custom(_) => "ConnectionLoss",
        _ => "Unexpected",
    };
    classify(ENGINE, Fault::Status(name), &e.to_string())
}

fn timed_out(what: &str) -> Error {
    classify(
        ENGINE,
        Fault::Status("Timeout"),
        &format!("{what}: no answer within the call timeout"),
    )
}

/// Where the servers are and how long to wait.
#[derive(Debug, Clone)]
struct Config {
    /// `host:port,host:port[/chroot]`, as the client takes it.
    cluster: String,
    session_timeout: Duration,
    call_timeout: Duration,
}

/// A ZooKeeper store (see the module docs). Cheap to clone: one session,
/// shared, made again when it expires.
#[derive(Clone)]
pub struct ZkStore {
    config: Arc<Config>,
    client: Arc<tokio::sync::Mutex<Option<zk::Client>>>,
}

impl std::fmt::Debug for ZkStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZkStore")
            .field("cluster", &self.config.cluster)
            .finish_non_exhaustive()
    }
}

/// The default session timeout (ZooKeeper's own default range is 2–20 tick times).
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_millis(idloom::stores::kvcall::ZK_SESSION_TIMEOUT_MS);
/// The default deadline of one call (connecting included).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_millis(idloom::stores::kvcall::CALL_TIMEOUT_MS);

impl ZkStore {
    /// A store for `url`: `zookeeper://host:port[,host:port…][/chroot]`,
    /// optionally `?session_timeout_ms=N&call_timeout_ms=N`. Connects on
    /// the first call (a server that is down then is `store_unavailable`).
    pub fn from_url(url: &str) -> Result<Self> {
        let url = KvUrl::parse(url)?;
        if url.flavor != Flavor::ZooKeeper {
            return Err(Error::reason(ErrorCode::InvalidArgument, "url", "must start with zookeeper://"));
        }
        let config = Config {
            cluster: url.connect_string(),
            session_timeout: Duration::from_millis(url.session_timeout_ms),
            call_timeout: Duration::from_millis(url.call_timeout_ms),
        };
        Ok(ZkStore {
            config: Arc::new(config),
            client: Arc::new(tokio::sync::Mutex::new(None)),
        })
    }

    /// The session (made now if there is none, or the last one ended).
    async fn client(&self) -> Result<zk::Client> {
        let mut slot = self.client.lock().await;
        if let Some(c) = slot.as_ref() {
            if !matches!(
                c.state(),
                zk::SessionState::Expired | zk::SessionState::Closed | zk::SessionState::AuthFailed
            ) {
                return Ok(c.clone());
            }
        }
        *slot = None;
        let connect = zk::Client::connector()
            .with_session_timeout(self.config.session_timeout)
            .with_fail_eagerly()
            .connect(&self.config.cluster);
        let client = tokio::time::timeout(self.config.call_timeout, connect)
            .await
            .map_err(|_| timed_out("connect"))?
            .map_err(|e| failure(&e))?;
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Run `f` on the session within the call timeout. A session that
    /// ended (expired while the server was away, closed) is dropped and `f`
    /// runs once more on a new one: nothing ran on the dead session.
    async fn call<T, F, Fut>(&self, what: &str, f: F) -> Result<T>
    where
        F: Fn(zk::Client) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, zk::Error>>,
    {
        let mut attempt = 0;
        loop {
            let client = self.client().await?;
            match tokio::time::timeout(self.config.call_timeout, f(client)).await {
                Err(_) => return Err(timed_out(what)),
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) => {
                    let ended = matches!(e, zk::Error::SessionExpired | zk::Error::ClientClosed);
                    if ended || matches!(e, zk::Error::NoHosts) {
                        *self.client.lock().await = None;
                    }
                    attempt += 1;
                    if !ended || attempt == 2 {
                        return Err(failure(&e));
                    }
                }
            }
        }
    }

    async fn create_if_missing(&self, path: &str) -> Result<()> {
        let done = self
            .call("create", |c| async move {
                let options = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
                match c.create(path, b"", &options).await {
                    Ok(_) | Err(zk::Error::NodeExists) => Ok(()),
                    Err(e) => Err(e),
                }
            })
            .await;
        done
    }
}

fn text_of(data: Vec<u8>) -> Result<String> {
    String::from_utf8(data).map_err(|_| Error::reason(ErrorCode::StoreSchema, "record", "not UTF-8 text"))
}

impl KvEngine for ZkStore {
    const ENGINE: &'static str = ENGINE;

    async fn get(&self, key: &str) -> Result<Option<Versioned>> {
        let got = self
            .call("get", |c| async move {
                match c.get_data(key).await {
                    Ok((data, stat)) => Ok(Some((data, stat))),
                    Err(zk::Error::NoNode) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await?;
        got.map(|(data, stat)| {
            Ok(Versioned {
                text: text_of(data)?,
                version: stat.version.into(),
                written_ms: Some(stat.mtime.max(0) as u64),
            })
        })
        .transpose()
    }

    async fn list(&self, prefix: &str) -> Result<Vec<(String, Versioned)>> {
        let parent = prefix.strip_suffix('/').unwrap_or(prefix);
        let names = self
            .call("list", |c| async move {
                match c.list_children(parent).await {
                    Ok(names) => Ok(names),
                    Err(zk::Error::NoNode) => Ok(Vec::new()),
                    Err(e) => Err(e),
                }
            })
            .await?;
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let owned: Vec<String> = names.iter().map(|n| format!("{parent}/{n}")).collect();
        let paths = &owned;
        let results = self
            .call("get", |c| async move {
                let mut reader = c.new_multi_reader();
                for p in paths {
                    reader.add_get_data(p)?;
                }
                reader.commit().await
            })
            .await?;
        let mut out = Vec::with_capacity(owned.len());
        for (key, r) in owned.into_iter().zip(results) {
            match r {
                zk::MultiReadResult::Data { data, stat } => out.push((
                    key,
                    Versioned {
                        text: text_of(data)?,
                        version: stat.version.into(),
                        written_ms: Some(stat.mtime.max(0) as u64),
                    },
                )),
                zk::MultiReadResult::Error { err: zk::Error::NoNode } => {} // deleted between the list and the read
                zk::MultiReadResult::Error { err } => return Err(failure(&err)),
                _ => {
                    return Err(Error::reason(
                        ErrorCode::StoreSchema,
                        "record",
                        "a read answered something else than data",
                    ))
                }
            }
        }
        Ok(out)
    }

    async fn now(&self, clock: &str) -> Result<Option<(u64, Identity)>> {
        // The leader stamps a write with its clock: the clock znode's mtime is the store's now.
        let written = self
            .call("clock", |c| async move {
                match c.set_data(clock, b"", None).await {
                    Ok(stat) => Ok(Some(stat)),
                    Err(zk::Error::NoNode) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await?;
        Ok(written.map(|stat| (stat.mtime.max(0) as u64, Identity::Silence)))
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<bool> {
        let writes = &writes;
        self.call("multi", |c| async move {
            let mut w = c.new_multi_writer();
            let options = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
            for op in writes {
                match op {
                    Write::Create { key, text } => w.add_create(key, text.as_bytes(), &options)?,
                    Write::Set { key, text, version } => w.add_set_data(key, text.as_bytes(), Some(zk_version(*version)))?,
                    Write::Check { key, version } => w.add_check_version(key, zk_version(*version))?,
                    Write::Delete { key } => w.add_delete(key, None)?,
                    // No engine hands ZooKeeper a store-side lease (its liveness is the record's expiry).
                    Write::Live { .. } => {
                        return Err(zk::Error::BadArguments(
                            &"zookeeper: a store-side lease (etcd's) is not a ZooKeeper write",
                        ))
                    }
                }
            }
            match w.commit().await {
                Ok(_) => Ok(true),
                Err(zk::MultiWriteError::OperationFailed {
                    source: zk::Error::BadVersion | zk::Error::NodeExists | zk::Error::NoNode,
                    ..
                }) => Ok(false),
                Err(e) => Err(zk::Error::from(e)),
            }
        })
        .await
    }

    async fn ensure(&self, keys: &[String]) -> Result<()> {
        for key in keys {
            self.create_if_missing(key).await?;
        }
        Ok(())
    }
}

fn zk_version(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

kv::kv_store!(ZkStore, ENGINE, |s| s.ensure(&["/idloom".to_string()]));

impl ZkStore {
    /// IDs from a sequential znode (ZooKeeper's own counter): each call
    /// creates `/idloom/sequences:TAG/id-` as a persistent sequential znode
    /// and answers its suffix, which the server gives in strictly
    /// increasing order (a signed 32-bit counter of the parent: 2³¹ IDs per
    /// tag, then `invalid_range`). The znode is deleted at once: only the
    /// parent's counter is kept.
    pub async fn next_sequential(&self, biz_tag: &str) -> Result<u64> {
        idloom::inputs::biz_tag(biz_tag)?;
        let parent = format!("/idloom/sequences:{biz_tag}");
        self.create_if_missing("/idloom").await?;
        self.create_if_missing(&parent).await?;
        let prefix_key = format!("{parent}/id-");
        let prefix = prefix_key.as_str();
        let (path, seq) = self
            .call("create", |c| async move {
                let options = zk::CreateMode::PersistentSequential.with_acls(zk::Acls::anyone_all());
                let (_, seq) = c.create(prefix, b"", &options).await?;
                let path = format!("{prefix}{seq}");
                Ok((path, seq.into_i64()))
            })
            .await?;
        // Best effort: a leftover znode costs space, never an ID.
        let path = path.as_str();
        let _ = self.call("delete", |c| async move { c.delete(path, None).await }).await;
        u64::try_from(seq).map_err(|_| Error::range(ErrorCode::InvalidRange, "sequence", 0, 0, i32::MAX as u64))
    }
}
