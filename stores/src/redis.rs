//! Redis over the `redis` crate's `ConnectionManager` (reconnecting,
//! multiplexed): the core's Lua scripts by `EVALSHA` (loaded again after a
//! flush or a restart). Every key of a namespace shares one hash tag
//! (`{idloom:NS}`) and a counter is its own (`{idloom:seg:TAG}`): the
//! core's key functions, so each script touches one Cluster slot.

use crate::{grant_of, namespace_of, not_protocol, range_of, NamespaceInit, NodeStatus, Renewed, Store};
use idloom::lease::Grant;
use idloom::segment::Range;
use idloom::stores::answer::{self, Cell, Reading, Subject};
use idloom::stores::failure::{classify, Fault};
use idloom::stores::{redis as lua, NamespaceRecord};
use idloom::{Error, ErrorCode, Result};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script, Value};
use std::sync::Arc;
use std::time::Duration;

const ENGINE: &str = "redis";

/// A driver failure as the core classifies it: no answer (refused, dropped,
/// timed out) is `store_unavailable`; an error reply by its first word.
pub fn failure(e: &RedisError) -> Error {
    if e.is_io_error() || e.is_connection_refusal() || e.is_timeout() || e.is_connection_dropped() {
        return classify(ENGINE, Fault::Connection, &e.to_string());
    }
    match e.code() {
        Some(code) => {
            let reply = match e.detail() {
                Some(detail) => format!("{code} {detail}"),
                None => code.to_string(),
            };
            classify(ENGINE, Fault::Reply(&reply), "")
        }
        // Not a reply of the server (an answer the client could not parse).
        None => classify(ENGINE, Fault::Reply("CLIENT"), &e.to_string()),
    }
}

struct Scripts {
    namespace_init: Script,
    namespace_get: Script,
    nodes: Script,
    acquire: Script,
    renew: Script,
    release: Script,
    incrby: Script,
    segment_init: Script,
}

/// A Redis store (see the module docs). Cheap to clone.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    scripts: Arc<Scripts>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").finish_non_exhaustive()
    }
}

/// A reply's values, owned, flattened one level (the scripts answer flat arrays).
enum Owned {
    Null,
    Int(i64),
    Text(String),
}

fn owned(v: &Value) -> Vec<Owned> {
    fn one(v: &Value) -> Owned {
        match v {
            Value::Int(i) => Owned::Int(*i),
            Value::BulkString(b) => Owned::Text(String::from_utf8_lossy(b).into_owned()),
            Value::SimpleString(s) => Owned::Text(s.clone()),
            Value::Okay => Owned::Text("OK".into()),
            _ => Owned::Null,
        }
    }
    match v {
        Value::Array(items) => items.iter().map(one).collect(),
        Value::Nil => Vec::new(),
        other => vec![one(other)],
    }
}

fn cells(values: &[Owned]) -> Vec<Cell<'_>> {
    values
        .iter()
        .map(|v| match v {
            Owned::Null => Cell::Null,
            Owned::Int(i) => Cell::Int(*i),
            Owned::Text(t) => Cell::Text(t),
        })
        .collect()
}

fn read(call: &str, subject: &Subject<'_>, reply: &[Owned]) -> Result<Reading> {
    let c = cells(reply);
    answer::read(ENGINE, call, subject, Some(&c))
}

impl RedisStore {
    /// A store over the caller's connection manager.
    pub fn new(conn: ConnectionManager) -> Self {
        RedisStore {
            conn,
            scripts: Arc::new(Scripts {
                namespace_init: Script::new(lua::NAMESPACE_INIT),
                namespace_get: Script::new(lua::NAMESPACE_GET),
                nodes: Script::new(lua::NODES),
                acquire: Script::new(lua::ACQUIRE),
                renew: Script::new(lua::RENEW),
                release: Script::new(lua::RELEASE),
                incrby: Script::new(lua::INCRBY),
                segment_init: Script::new(lua::SEGMENT_INIT),
            }),
        }
    }

    /// A connection manager for a `redis://` URL: a connect timeout of 2 s,
    /// a response timeout of 5 s, one retry before `store_unavailable` (it
    /// reconnects by itself later).
    pub async fn from_url(url: &str) -> Result<Self> {
        let client = redis::Client::open(url).map_err(|_| Error::reason(ErrorCode::InvalidArgument, "url", "not a redis:// URL"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(1);
        let conn = ConnectionManager::new_with_config(client, config).await.map_err(|e| failure(&e))?;
        Ok(Self::new(conn))
    }

    /// Run `script` on `key` with `args`: its reply, owned.
    async fn run(&self, script: &Script, key: &str, args: &[String]) -> Result<Vec<Owned>> {
        let mut invocation = script.key(key);
        for a in args {
            invocation.arg(a);
        }
        let mut conn = self.conn.clone();
        let value: Value = invocation.invoke_async(&mut conn).await.map_err(|e| failure(&e))?;
        Ok(owned(&value))
    }
}

impl Store for RedisStore {
    fn engine(&self) -> &'static str {
        ENGINE
    }

    /// Nothing to create: a `PING`, so that an unreachable server shows here.
    async fn init(&self) -> Result<()> {
        let mut conn = self.conn.clone();
        redis::cmd("PING")
            .query_async::<Value>(&mut conn)
            .await
            .map(drop)
            .map_err(|e| failure(&e))
    }

    async fn create_namespace(&self, init: &NamespaceInit<'_>) -> Result<NamespaceRecord> {
        let subject = init.subject();
        let args = [
            init.record.clone(),
            init.nodes.to_string(),
            init.config.ttl_ms.to_string(),
            init.config.max_skew_ms.to_string(),
            if init.fresh { "1" } else { "0" }.to_string(),
        ];
        let reply = self
            .run(&self.scripts.namespace_init, &lua::namespace_key(init.namespace), &args)
            .await?;
        init.expect(namespace_of(read("namespace_init", &subject, &reply)?, &subject)?.ok_or_else(|| not_protocol(&subject))?)
    }

    async fn namespace(&self, namespace: &str) -> Result<Option<NamespaceRecord>> {
        idloom::inputs::namespace(namespace)?;
        let subject = crate::ns_subject(namespace);
        let reply = self.run(&self.scripts.namespace_get, &lua::namespace_key(namespace), &[]).await?;
        namespace_of(read("namespace_get", &subject, &reply)?, &subject)
    }

    async fn acquire_noting(&self, namespace: &str, holder: &str, proposed_fence_ms: u64) -> Result<(Grant, bool)> {
        idloom::inputs::namespace(namespace)?;
        idloom::inputs::holder(holder)?;
        let subject = crate::ns_subject(namespace);
        let args = [holder.to_string(), proposed_fence_ms.to_string()];
        let reply = self.run(&self.scripts.acquire, &lua::namespace_key(namespace), &args).await?;
        grant_of(read("acquire", &subject, &reply)?, &subject)
    }

    async fn renew_noting(
        &self,
        namespace: &str,
        node: u64,
        epoch: u64,
        start_ms: u64,
        holder: &str,
        proposed_fence_ms: u64,
    ) -> Result<Renewed> {
        let subject = crate::lease_call(namespace, holder, node, epoch)?;
        let args = [
            node.to_string(),
            epoch.to_string(),
            holder.to_string(),
            proposed_fence_ms.to_string(),
            start_ms.to_string(),
        ];
        let reply = self.run(&self.scripts.renew, &lua::namespace_key(namespace), &args).await?;
        match read("renew", &subject, &reply)? {
            Reading::Refused => Ok(None),
            reading => grant_of(reading, &subject).map(Some),
        }
    }

    async fn release(&self, namespace: &str, node: u64, epoch: u64, start_ms: u64, holder: &str, high_water_ms: u64) -> Result<()> {
        let subject = crate::lease_call(namespace, holder, node, epoch)?;
        let args = [
            node.to_string(),
            epoch.to_string(),
            holder.to_string(),
            high_water_ms.to_string(),
            start_ms.to_string(),
        ];
        let reply = self.run(&self.scripts.release, &lua::namespace_key(namespace), &args).await?;
        read("release", &subject, &reply).map(drop)
    }

    async fn nodes(&self, namespace: &str) -> Result<Vec<NodeStatus>> {
        let subject = crate::ns_subject(namespace);
        let Some(record) = self.namespace(namespace).await? else {
            return Err(answer::refuse(answer::Refusal::NamespaceMissing, &subject));
        };
        let key = lua::namespace_key(namespace);
        let mut out = Vec::new();
        let mut first = 0u64;
        while first < record.nodes {
            let reply = self.run(&self.scripts.nodes, &key, &[first.to_string()]).await?;
            let page = crate::nodes_of(read("nodes", &subject, &reply)?, &subject)?;
            let Some(last) = page.last().map(|n| n.node) else {
                break;
            };
            out.extend(page);
            first = last + 1;
        }
        Ok(out)
    }

    /// Create a counter at `floor` if missing; `guard`: record the server's
    /// `run_id` (under another one, raise it to `max(counter, floor)`).
    async fn create_counter(&self, biz_tag: &str, floor: u64, step: u64, guard: bool) -> Result<()> {
        idloom::inputs::biz_tag(biz_tag)?;
        let floor = lua::check_counter_floor(idloom::stores::args::check("floor", floor.into())?, step)?;
        let subject = crate::tag_subject(biz_tag);
        let reply = self
            .run(
                &self.scripts.segment_init,
                &lua::counter_key(biz_tag),
                &[floor.to_string(), if guard { "1" } else { "0" }.into()],
            )
            .await?;
        read("segment_init", &subject, &reply).map(drop)
    }

    async fn fetch(&self, biz_tag: &str, step: u64) -> Result<Range> {
        let (step, subject) = crate::fetch_call(biz_tag, step)?;
        let reply = self
            .run(&self.scripts.incrby, &lua::counter_key(biz_tag), &[step.to_string()])
            .await?;
        range_of(read("incrby", &subject, &reply)?, &subject)
    }
}
