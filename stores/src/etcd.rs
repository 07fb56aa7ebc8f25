//! etcd (v3 API, 3.4+) through the `etcd-client` crate (gRPC on tonic,
//! async on tokio): the lease protocol on keys changed by transactions
//! compared on `mod_revision` (docs/COORDINATION.md), and Leaf segments on a
//! counter key changed the same way.
//!
//! - `/idloom/NS`: the namespace's record (`idloom-namespace 1` text);
//!   `/idloom/NS/nodes/0000000003`: node 3's record (`idloom-node 1`);
//!   `/idloom/NS/live/0000000003`: node 3's liveness key, put under an etcd
//!   lease; `/idloom/counters:TAG`: a counter (`idloom-counter 1`). A
//!   record's version is its `mod_revision`: a create compares
//!   `create_revision == 0`, a write `mod_revision == version`, and every
//!   write of one call is one `Txn` (nothing written when a compare fails).
//! - **Liveness is an etcd lease** (a TTL kept by the server): an acquire
//!   and every renewal put the node's liveness key under a new etcd lease of
//!   the namespace's TTL rounded up to whole seconds (etcd's unit; the
//!   server raises a TTL below its minimum, 1.5 election timeouts: 2 s with
//!   etcd's defaults) in the same `Txn` as the record (the lease it
//!   replaces is revoked afterwards); a release deletes it. An acquire
//!   reads a node whose liveness key is gone as free, one whose key exists
//!   as held, whatever its record's `expires_ms` says (that field is the
//!   holder's clock, for operators).
//! - **No store clock.** etcd has none a client can read, so a call's "store
//!   now" is the caller's own clock (`SystemTime`). Uniqueness never depends
//!   on it: a new holder always starts at or above the previous holder's
//!   fence (the record's `fence_ms`, written compared on its revision), so
//!   two holders of a node never share a millisecond of ID time; the clock
//!   only decides when a holder may mint (up to its fence, at most
//!   `now + ttl + max_skew` ahead) and when its etcd lease runs out.
//! - **Identity**: `etcd/<cluster_id>` from a response header. It stays
//!   across restarts and leader changes (no spurious floor raise) and
//!   changes when the cluster is bootstrapped with another
//!   `--initial-cluster-token`, which is how a restore must be done:
//!
//!   ```text
//!   etcdctl snapshot save backup.db                    # while running
//!   # stop every member, then on each:
//!   etcdctl snapshot restore backup.db --name m1 --data-dir NEW_DIR \
//!       --initial-cluster m1=http://…:2380,… --initial-advertise-peer-urls http://…:2380 \
//!       --initial-cluster-token idloom-restore-<UTC timestamp>   # a NEW token
//!   etcd --data-dir NEW_DIR --initial-cluster-token idloom-restore-<UTC timestamp> …
//!   ```
//!
//!   The next acquire sees another cluster ID, raises the namespace's floor
//!   above every fence a holder from before could still use (reported as
//!   `store_identity_changed`), and renewals of leases from before are
//!   refused (`lease_lost`). A restore with the same token keeps the cluster
//!   ID and its revisions go back: a handle that saw a later revision
//!   notices (a linearizable read answers at or above every revision
//!   committed before it was sent) and acts as on a new identity — its next
//!   acquire raises the floor, its renewals are refused — but a process
//!   started after the restore has seen nothing: do not restore that way
//!   (and a cluster wiped and bootstrapped again with the same flags has the
//!   same ID too).
//!   Liveness keys from the snapshot come back with their etcd leases at
//!   full TTL: their nodes free themselves one TTL after the restore.
//! - Every call has a deadline (`call_timeout_ms`, connecting included): a
//!   server down or hanging is `store_unavailable`, never a wait without
//!   end. The client connects on the first call and reconnects by itself.

use crate::kv::{self, Identity, KvEngine, Versioned, Write};
use etcd_client as etcd;
use idloom::stores::failure::{classify, Fault};
use idloom::stores::kvcall::{Flavor, KvUrl, Revisions};
use idloom::{Error, ErrorCode, Result};
use std::sync::Arc;
use std::time::Duration;

const ENGINE: &str = "etcd";

/// An etcd client error as the core classifies it: a gRPC status by its
/// name (`Unavailable`, `DeadlineExceeded`…), a transport error as no answer.
pub fn failure(e: &etcd::Error) -> Error {
    match e {
        etcd::Error::GRpcStatus(s) => {
            let name = format!("{:?}", s.code());
            if name == "Unknown" && (std::error::Error::source(s).is_some() || s.message().contains("transport error")) {
                // The client's own: the connection broke or could not be made (tonic reports it as Unknown).
                return classify(
                    ENGINE,
                    Fault::Connection,
                    &format!("{e}{}", std::error::Error::source(s).map(|c| format!(": {c}")).unwrap_or_default()),
                );
            }
            classify(ENGINE, Fault::Status(&name), &format!("{name}: {}", s.message()))
        }
        etcd::Error::TransportError(_) | etcd::Error::IoError(_) => classify(ENGINE, Fault::Connection, &e.to_string()),
        _ => classify(ENGINE, Fault::Status("Unknown"), &e.to_string()),
    }
}

/// Whether `e` is a connection that could not be made: the request never left.
fn never_sent(e: &etcd::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.to_string().contains("tcp connect error") {
            return true;
        }
        cause = c.source();
    }
    matches!(e, etcd::Error::GRpcStatus(s) if s.message().contains("tcp connect error"))
}

fn timed_out(what: &str) -> Error {
    classify(
        ENGINE,
        Fault::Status("DeadlineExceeded"),
        &format!("{what}: no answer within the call timeout"),
    )
}

/// The default deadline of one call (connecting included).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_millis(idloom::stores::kvcall::CALL_TIMEOUT_MS);
/// The longest `call_timeout_ms` a URL may ask for (an hour).
pub const MAX_CALL_TIMEOUT_MS: u64 = idloom::stores::kvcall::ETCD_MAX_CALL_TIMEOUT_MS;

/// An etcd store (see the module docs). Cheap to clone: one client (a
/// channel balanced over the endpoints), shared, made on the first call.
#[derive(Clone)]
pub struct EtcdStore {
    endpoints: Arc<Vec<String>>,
    call_timeout: Duration,
    client: Arc<tokio::sync::Mutex<Option<etcd::Client>>>,
    /// The highest revision a response header showed this handle, and
    /// whether one came back below it (a restore that kept the cluster ID)
    /// with the floor not raised since.
    revisions: Arc<std::sync::Mutex<Revisions>>,
}

/// A handle's view of the store's revision: it never goes back unless the
/// store was restored.
impl std::fmt::Debug for EtcdStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdStore")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl EtcdStore {
    /// A store for `url`: `etcd://host:port[,host:port…]`, optionally
    /// `?call_timeout_ms=N`. Connects on the first call (a server that is
    /// down then is `store_unavailable`).
    pub fn from_url(url: &str) -> Result<Self> {
        let url = KvUrl::parse(url)?;
        if url.flavor != Flavor::Etcd {
            return Err(Error::reason(ErrorCode::InvalidArgument, "url", "must start with etcd://"));
        }
        let (hosts, call_timeout) = (url.hosts, Duration::from_millis(url.call_timeout_ms));
        Ok(EtcdStore {
            endpoints: Arc::new(hosts.iter().map(|h| format!("http://{h}")).collect()),
            call_timeout,
            client: Arc::new(tokio::sync::Mutex::new(None)),
            revisions: Arc::default(),
        })
    }

    /// The client (made now if there is none yet).
    async fn client(&self) -> Result<etcd::Client> {
        let mut slot = self.client.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let options = etcd::ConnectOptions::new()
            .with_connect_timeout(self.call_timeout)
            .with_timeout(self.call_timeout)
            // A member cut off from the quorum answers at once rather than waiting for a leader.
            .with_require_leader(true)
            .with_keep_alive(Duration::from_secs(5), self.call_timeout);
        let client = tokio::time::timeout(self.call_timeout, etcd::Client::connect(self.endpoints.as_slice(), Some(options)))
            .await
            .map_err(|_| timed_out("connect"))?
            .map_err(|e| failure(&e))?;
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Run `f` on the client within the call timeout. A request that was
    /// never sent (the channel picked a member it cannot connect to: one
    /// that is down) is sent again, to whichever member the channel picks
    /// next, until the deadline.
    async fn call<T, F, Fut>(&self, what: &str, f: F) -> Result<T>
    where
        F: Fn(etcd::Client) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, etcd::Error>>,
    {
        let deadline = tokio::time::Instant::now() + self.call_timeout;
        let client = tokio::time::timeout_at(deadline, self.client())
            .await
            .map_err(|_| timed_out(what))??;
        loop {
            match tokio::time::timeout_at(deadline, f(client.clone())).await {
                Err(_) => return Err(timed_out(what)),
                Ok(Err(e)) if never_sent(&e) => {
                    let next = tokio::time::Instant::now() + Duration::from_millis(20);
                    if next >= deadline {
                        return Err(failure(&e)); // no member could be reached in time
                    }
                    tokio::time::sleep_until(next).await;
                }
                Ok(r) => return r.map_err(|e| failure(&e)),
            }
        }
    }

    /// Revoke etcd leases nobody needs any more (replaced, or granted for a
    /// transaction that did not hold), in the background: best effort (an
    /// unrevoked lease only runs out by itself; it holds no key).
    fn revoke(&self, leases: Vec<i64>) {
        if leases.is_empty() {
            return;
        }
        let (store, timeout) = (self.clone(), self.call_timeout);
        tokio::spawn(async move {
            if let Ok(c) = store.client().await {
                for id in leases {
                    let mut c = c.clone();
                    let _ = tokio::time::timeout(timeout, c.lease_revoke(id)).await;
                }
            }
        });
    }

    /// The cluster's identity as a call reads it: `etcd/<cluster_id>`, and
    /// whether this handle saw the store go back in time. Every revision
    /// committed before this request was sent (the highest one seen before
    /// it) is at or below the revision a linearizable read answers with;
    /// one below it means the store lost those writes: a restore that kept
    /// the cluster ID (the same `--initial-cluster-token`).
    /// The store's identity as a call sees it: a count-only get's header
    /// (the cluster ID, and the revision the core's [`Revisions`] watches).
    async fn identity(&self, key: &str) -> Result<Identity> {
        let lock = || self.revisions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let seen_before = lock().seen();
        let response = self
            .call("get", |mut c| async move {
                c.get(key, Some(etcd::GetOptions::new().with_count_only())).await
            })
            .await?;
        let header = response.header().ok_or(Error::reason(
            ErrorCode::StoreSchema,
            "header",
            "etcd answered without a response header",
        ))?;
        let identity = lock().identity(header.cluster_id(), seen_before, header.revision());
        Ok(identity)
    }
}

pub use idloom::stores::kvcall::{lease_ttl_s, live_key};

fn text_of(kv: &etcd::KeyValue) -> Result<String> {
    kv.value_str()
        .map(str::to_string)
        .map_err(|_| Error::reason(ErrorCode::StoreSchema, "record", "not UTF-8 text"))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl KvEngine for EtcdStore {
    const ENGINE: &'static str = ENGINE;

    async fn get(&self, key: &str) -> Result<Option<Versioned>> {
        let response = self.call("get", |mut c| async move { c.get(key, None).await }).await?;
        response
            .kvs()
            .first()
            .map(|kv| {
                Ok(Versioned {
                    text: text_of(kv)?,
                    version: kv.mod_revision(),
                    written_ms: None,
                })
            })
            .transpose()
    }

    async fn list(&self, prefix: &str) -> Result<Vec<(String, Versioned)>> {
        let response = self
            .call("get", |mut c| async move {
                c.get(prefix, Some(etcd::GetOptions::new().with_prefix())).await
            })
            .await?;
        let mut out = Vec::with_capacity(response.kvs().len());
        for kv in response.kvs() {
            let Ok(key) = kv.key_str() else {
                continue; // not UTF-8: not a key of ours (an operator's)
            };
            out.push((
                key.to_string(),
                Versioned {
                    text: text_of(kv)?,
                    version: kv.mod_revision(),
                    written_ms: None,
                },
            ));
        }
        Ok(out)
    }

    async fn now(&self, clock: &str) -> Result<Option<(u64, Identity)>> {
        // etcd has no clock to read: the caller's (COORDINATION, "ZooKeeper and etcd").
        Ok(Some((now_ms(), self.identity(clock).await?)))
    }

    fn rollback_handled(&self) {
        self.revisions.lock().unwrap_or_else(std::sync::PoisonError::into_inner).handled();
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<bool> {
        // The etcd leases of the liveness keys, granted first (a Txn cannot grant one).
        let mut granted = Vec::new();
        for w in &writes {
            if let Write::Live { ttl_s, .. } = w {
                let ttl = *ttl_s;
                let lease = self
                    .call("lease grant", |mut c| async move { c.lease_grant(ttl, None).await })
                    .await?;
                granted.push(lease.id());
            }
        }
        let (mut compares, mut ops, mut leases) = (Vec::new(), Vec::new(), granted.iter());
        for w in writes {
            match w {
                Write::Create { key, text } => {
                    compares.push(etcd::Compare::create_revision(key.as_str(), etcd::CompareOp::Equal, 0));
                    ops.push(etcd::TxnOp::put(key, text, None));
                }
                Write::Set { key, text, version } => {
                    compares.push(etcd::Compare::mod_revision(key.as_str(), etcd::CompareOp::Equal, version));
                    ops.push(etcd::TxnOp::put(key, text, None));
                }
                Write::Check { key, version } => compares.push(etcd::Compare::mod_revision(key, etcd::CompareOp::Equal, version)),
                Write::Live { key, text, .. } => {
                    let lease = *leases.next().unwrap_or(&0);
                    ops.push(etcd::TxnOp::put(
                        key,
                        text,
                        Some(etcd::PutOptions::new().with_lease(lease).with_prev_key()),
                    ));
                }
                Write::Delete { key } => ops.push(etcd::TxnOp::delete(key, Some(etcd::DeleteOptions::new().with_prev_key()))),
            }
        }
        let txn = etcd::Txn::new().when(compares).and_then(ops);
        let txn = &txn;
        // No answer: the transaction may have been applied, its lease with it
        // (left to run out by itself, never revoked on a guess).
        let response = self.call("txn", |mut c| async move { c.txn(txn.clone()).await }).await?;
        if !response.succeeded() {
            self.revoke(granted);
            return Ok(false);
        }
        // The leases the liveness keys were under before: nothing is left under them.
        let replaced: Vec<i64> = response
            .op_responses()
            .iter()
            .flat_map(|r| match r {
                etcd::TxnOpResponse::Put(p) => p.prev_key().map(|kv| kv.lease()).into_iter().collect::<Vec<_>>(),
                etcd::TxnOpResponse::Delete(d) => d.prev_kvs().iter().map(|kv| kv.lease()).collect(),
                _ => Vec::new(),
            })
            .filter(|&l| l != 0 && !granted.contains(&l))
            .collect();
        self.revoke(replaced);
        Ok(true)
    }

    async fn ensure(&self, _keys: &[String]) -> Result<()> {
        Ok(()) // etcd keys need no parent
    }
}

kv::kv_store!(EtcdStore, ENGINE, |s| async { s.identity("/idloom").await.map(|_| ()) });
