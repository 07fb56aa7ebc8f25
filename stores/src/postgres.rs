//! PostgreSQL over `tokio-postgres`: a `deadpool-postgres` pool (what
//! services run) or one shared client. Every lease call is one statement of
//! the core's texts; a segment fetch is one statement (atomic) or the core's
//! compare-and-set loop.

use crate::{
    grant_of, i64_arg, namespace_of, node_arg, not_protocol, range_of, CounterTable, FetchMode, NamespaceInit, NodeStatus, Renewed, Store,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use idloom::lease::Grant;
use idloom::segment::Range;
use idloom::stores::answer::{self, Cell, Reading, Subject};
use idloom::stores::failure::{classify, create_race, Fault, CREATE_TRIES};
use idloom::stores::{postgres as sql, NamespaceRecord};
use idloom::{Error, ErrorCode, Result};
use std::sync::Arc;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls, Row, Statement};

const ENGINE: &str = "postgres";

/// A driver failure as the core classifies it: a server error by its
/// SQLSTATE, anything else (no connection, a broken one) `store_unavailable`.
pub fn failure(e: &tokio_postgres::Error) -> Error {
    match (e.code(), e.as_db_error()) {
        (Some(state), db) => classify(
            ENGINE,
            Fault::Sqlstate(state.code()),
            &db.map_or_else(|| e.to_string(), |d| d.message().to_string()),
        ),
        (None, _) => classify(ENGINE, Fault::Connection, &e.to_string()),
    }
}

fn pool_failure(e: deadpool_postgres::PoolError) -> Error {
    match e {
        deadpool_postgres::PoolError::Backend(e) => failure(&e),
        other => classify(ENGINE, Fault::Connection, &other.to_string()),
    }
}

/// Statements prepared on the one shared client, by text.
type Prepared = Arc<std::sync::Mutex<std::collections::HashMap<String, Statement>>>;

#[derive(Clone)]
enum Conn {
    Pool(Pool),
    Client(Arc<Client>, Prepared),
}

enum Handle {
    Pooled(Box<deadpool_postgres::Object>),
    Shared(Arc<Client>, Prepared),
}

impl Handle {
    /// `text` prepared on this connection once and kept (deadpool's per-connection
    /// cache, or the shared client's): a call is then one round trip (Bind/Execute),
    /// where a string query is two (Parse/Describe first). The texts are the core's
    /// constants and a few table-named variants, so the caches stay small.
    async fn prepared(&self, text: &str) -> Result<Statement> {
        match self {
            Handle::Pooled(o) => o.prepare_cached(text).await.map_err(|e| failure(&e)),
            Handle::Shared(c, cache) => {
                let known = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(text).cloned();
                if let Some(statement) = known {
                    return Ok(statement);
                }
                let statement = c.prepare(text).await.map_err(|e| failure(&e))?;
                cache
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(text.to_owned(), statement.clone());
                Ok(statement)
            }
        }
    }
}

impl std::ops::Deref for Handle {
    type Target = Client;
    fn deref(&self) -> &Client {
        match self {
            Handle::Pooled(o) => o,
            Handle::Shared(c, _) => c,
        }
    }
}

/// A PostgreSQL store (see the module docs). Cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    conn: Conn,
    counters: CounterTable,
}

crate::counter_table_methods!(PgStore);

impl PgStore {
    /// A store over the caller's pool.
    pub fn new(pool: Pool) -> Self {
        PgStore {
            conn: Conn::Pool(pool),
            counters: CounterTable::new(),
        }
    }

    /// A store over one client (its connection task spawned by the caller);
    /// calls are pipelined on it.
    pub fn from_client(client: Client) -> Self {
        PgStore {
            conn: Conn::Client(Arc::new(client), Prepared::default()),
            counters: CounterTable::new(),
        }
    }

    /// A pool of at most 16 connections for `url` (a `postgresql://` URL or
    /// `key=value` pairs; no TLS), connecting lazily: a server that cannot
    /// be reached shows as `store_unavailable` on the first call. A connect
    /// timeout of 5 s applies unless the URL names one.
    pub fn from_url(url: &str) -> Result<Self> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|_| {
            Error::reason(
                ErrorCode::InvalidArgument,
                "url",
                "not a PostgreSQL URL or key=value connection string",
            )
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(5));
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| Error::store(ErrorCode::InvalidArgument, format!("postgres: {e}")))?;
        Ok(Self::new(pool))
    }

    async fn client(&self) -> Result<Handle> {
        match &self.conn {
            Conn::Pool(p) => Ok(Handle::Pooled(Box::new(p.get().await.map_err(pool_failure)?))),
            Conn::Client(c, cache) => Ok(Handle::Shared(c.clone(), cache.clone())),
        }
    }

    /// The first row of `text` (or none) read by the core as `call`.
    async fn one(&self, text: &str, params: &[&(dyn ToSql + Sync)], call: &str, subject: &Subject<'_>) -> Result<Reading> {
        let client = self.client().await?;
        let statement = client.prepared(text).await?;
        let row = client.query_opt(&statement, params).await.map_err(|e| failure(&e))?;
        read(call, subject, row.as_ref())
    }
}

/// Run an idempotent `CREATE … IF NOT EXISTS` / `ADD COLUMN IF NOT EXISTS`
/// text, again while it meets the concurrent-create race the core names
/// ([`create_race`]: another session created the object meanwhile), up to
/// [`CREATE_TRIES`] times in all.
async fn create(client: &Client, text: &str) -> Result<()> {
    let mut tries = 1;
    loop {
        match client.batch_execute(text).await {
            Ok(()) => return Ok(()),
            Err(e) if tries < CREATE_TRIES && e.code().is_some_and(|c| create_race(ENGINE, c.code())) => tries += 1,
            Err(e) => return Err(failure(&e)),
        }
    }
}

/// A row as the core's cells (booleans, integers, text; NULL).
fn cells(row: &Row) -> Result<Vec<Cell<'_>>> {
    let bad = |_| Error::store(ErrorCode::StoreSchema, "postgres: an answer column of an unexpected type".into());
    (0..row.len())
        .map(|i| {
            Ok(match *row.columns()[i].type_() {
                Type::BOOL => row.try_get::<_, Option<bool>>(i).map_err(bad)?.map_or(Cell::Null, Cell::Bool),
                Type::INT2 => row
                    .try_get::<_, Option<i16>>(i)
                    .map_err(bad)?
                    .map_or(Cell::Null, |v| Cell::Int(v.into())),
                Type::INT4 => row
                    .try_get::<_, Option<i32>>(i)
                    .map_err(bad)?
                    .map_or(Cell::Null, |v| Cell::Int(v.into())),
                Type::INT8 => row.try_get::<_, Option<i64>>(i).map_err(bad)?.map_or(Cell::Null, Cell::Int),
                Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => {
                    row.try_get::<_, Option<&str>>(i).map_err(bad)?.map_or(Cell::Null, Cell::Text)
                }
                _ => Cell::Null,
            })
        })
        .collect()
}

fn read(call: &str, subject: &Subject<'_>, row: Option<&Row>) -> Result<Reading> {
    let cells = row.map(cells).transpose()?;
    answer::read(ENGINE, call, subject, cells.as_deref())
}

impl Store for PgStore {
    fn engine(&self) -> &'static str {
        ENGINE
    }

    async fn init(&self) -> Result<()> {
        let client = self.client().await?;
        create(&client, sql::SCHEMA).await?;
        let row = client.query_opt(sql::SCHEMA_VERSION, &[]).await.map_err(|e| failure(&e))?;
        read("schema_version", &Subject::default(), row.as_ref()).map(drop)
    }

    async fn create_namespace(&self, init: &NamespaceInit<'_>) -> Result<NamespaceRecord> {
        self.init().await?;
        let subject = init.subject();
        let reading = self
            .one(
                sql::NAMESPACE_INIT,
                &[
                    &init.namespace,
                    &init.record,
                    &node_arg(init.nodes)?,
                    &i64_arg("ttl_ms", init.config.ttl_ms)?,
                    &i64_arg("max_skew_ms", init.config.max_skew_ms)?,
                    &init.fresh,
                ],
                "namespace_init",
                &subject,
            )
            .await?;
        init.expect(namespace_of(reading, &subject)?.ok_or_else(|| not_protocol(&subject))?)
    }

    async fn namespace(&self, namespace: &str) -> Result<Option<NamespaceRecord>> {
        idloom::inputs::namespace(namespace)?;
        let subject = crate::ns_subject(namespace);
        let reading = self.one(sql::NAMESPACE_GET, &[&namespace], "namespace_get", &subject).await?;
        namespace_of(reading, &subject)
    }

    async fn acquire_noting(&self, namespace: &str, holder: &str, proposed_fence_ms: u64) -> Result<(Grant, bool)> {
        idloom::inputs::namespace(namespace)?;
        idloom::inputs::holder(holder)?;
        let fence = i64_arg("proposed_fence_ms", proposed_fence_ms)?;
        let subject = crate::ns_subject(namespace);
        let reading = self.one(sql::ACQUIRE, &[&namespace, &holder, &fence], "acquire", &subject).await?;
        grant_of(reading, &subject)
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
        let (n, e, f, st) = (
            node_arg(node)?,
            i64_arg("epoch", epoch)?,
            i64_arg("proposed_fence_ms", proposed_fence_ms)?,
            i64_arg("start_ms", start_ms)?,
        );
        match self
            .one(sql::RENEW, &[&namespace, &n, &e, &holder, &f, &st], "renew", &subject)
            .await?
        {
            Reading::Refused => Ok(None),
            reading => grant_of(reading, &subject).map(Some),
        }
    }

    async fn release(&self, namespace: &str, node: u64, epoch: u64, start_ms: u64, holder: &str, high_water_ms: u64) -> Result<()> {
        let subject = crate::lease_call(namespace, holder, node, epoch)?;
        let (n, e, h) = (node_arg(node)?, i64_arg("epoch", epoch)?, i64_arg("high_water_ms", high_water_ms)?);
        let st = i64_arg("start_ms", start_ms)?;
        self.one(sql::RELEASE, &[&namespace, &n, &e, &holder, &h, &st], "release", &subject)
            .await
            .map(drop)
    }

    async fn nodes(&self, namespace: &str) -> Result<Vec<NodeStatus>> {
        idloom::inputs::namespace(namespace)?;
        let client = self.client().await?;
        let rows = client.query(sql::NODES, &[&namespace]).await.map_err(|e| failure(&e))?;
        let subject = crate::ns_subject(namespace);
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let reading = answer::read(ENGINE, "nodes", &subject, Some(&cells(r)?))?;
            out.extend(crate::nodes_of(reading, &subject)?);
        }
        Ok(out)
    }

    /// Create the table (and the guard's column) if missing, then the counter.
    async fn create_counter(&self, biz_tag: &str, floor: u64, step: u64, guard: bool) -> Result<()> {
        idloom::inputs::biz_tag(biz_tag)?;
        let floor = i64_arg("floor", idloom::stores::args::check("floor", floor.into())?)?;
        let step = idloom::stores::args::check("counter_step", step.into())? as i32;
        let client = self.client().await?;
        create(&client, &self.counters.text(sql::SEGMENT_SCHEMA)?).await?;
        let init = if guard {
            create(&client, &self.counters.text(sql::SEGMENT_GUARD_SCHEMA)?).await?;
            sql::SEGMENT_INIT_GUARD
        } else {
            sql::SEGMENT_INIT
        };
        client
            .execute(&self.counters.text(init)?, &[&biz_tag, &floor, &step, &""])
            .await
            .map_err(|e| failure(&e))?;
        Ok(())
    }

    async fn fetch(&self, biz_tag: &str, step: u64) -> Result<Range> {
        let (step, subject) = crate::fetch_call(biz_tag, step)?;
        match self.counters.mode {
            FetchMode::Atomic => {
                let text = self.counters.text(sql::SEGMENT_FETCH)?;
                let reading = self
                    .one(&text, &[&biz_tag, &i64_arg("step", step)?], "segment_fetch", &subject)
                    .await?;
                range_of(reading, &subject)
            }
            FetchMode::Cas => {
                let (read_text, cas_text) = (self.counters.text(sql::SEGMENT_READ)?, self.counters.text(sql::SEGMENT_CAS)?);
                let (read_text, cas_text, subject) = (&read_text, &cas_text, &subject);
                let current = || async move { self.one(read_text, &[&biz_tag], "segment_read", subject).await };
                let swap = |old: i64, new: i64| async move {
                    let client = self.client().await?;
                    let statement = client.prepared(cas_text).await?;
                    let n = client.execute(&statement, &[&biz_tag, &old, &new]).await;
                    answer::read(
                        ENGINE,
                        "segment_cas",
                        subject,
                        Some(&[Cell::Int(n.map_err(|e| failure(&e))? as i64)]),
                    )
                };
                crate::cas_fetch(biz_tag, step, current, swap).await
            }
        }
    }
}
