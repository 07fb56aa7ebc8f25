//! MariaDB / MySQL over a `mysql_async` pool. A lease call is one short
//! transaction of the core's statements (the namespace row locked first);
//! an atomic segment fetch reads `LAST_INSERT_ID()` on the same connection.
//!
//! The pool must report rows *matched* as affected (`CLIENT_FOUND_ROWS`,
//! [`mysql_async::OptsBuilder::client_found_rows`]): a renewal within the
//! same millisecond changes no value, yet it held. [`MyStore::from_url`]
//! sets it; a caller's pool without it is refused (`invalid_argument`).

use crate::{i64_arg, namespace_of, not_protocol, range_of, CounterTable, FetchMode, NamespaceInit, NodeStatus, Renewed, Store};
use idloom::lease::Grant;
use idloom::segment::Range;
use idloom::stores::answer::{self, Cell, Reading, Subject};
use idloom::stores::failure::{classify, Fault};
use idloom::stores::{mysql as sql, NamespaceRecord};
use idloom::{Error, ErrorCode, Result};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Pool, Row, TxOpts, Value};

const ENGINE: &str = "mysql";

/// A driver failure as the core classifies it: a server error by its
/// number, anything else (I/O, a closed connection, the pool) `store_unavailable`.
pub fn failure(e: &mysql_async::Error) -> Error {
    match e {
        mysql_async::Error::Server(s) => classify(ENGINE, Fault::Errno(u32::from(s.code)), &s.message),
        mysql_async::Error::Url(_) => Error::reason(ErrorCode::InvalidArgument, "url", "not a mysql:// URL"),
        other => classify(ENGINE, Fault::Connection, &other.to_string()),
    }
}

/// How long [`MyStore`] waits for a connection from its pool (a new one
/// included) before the call is `store_unavailable`.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

fn fail(e: mysql_async::Error) -> Error {
    failure(&e)
}

/// A MariaDB / MySQL store (see the module docs). Cheap to clone.
#[derive(Clone)]
pub struct MyStore {
    pool: Pool,
    counters: CounterTable,
}

crate::counter_table_methods!(MyStore);

/// A row as the core's cells.
fn cells(row: &Row) -> Vec<Cell<'_>> {
    (0..row.len())
        .map(|i| match row.as_ref(i) {
            Some(Value::Int(v)) => Cell::Int(*v),
            Some(Value::UInt(v)) => i64::try_from(*v).map_or(Cell::Null, Cell::Int),
            Some(Value::Bytes(b)) => std::str::from_utf8(b).map_or(Cell::Null, Cell::Text),
            _ => Cell::Null,
        })
        .collect()
}

fn read(call: &str, subject: &Subject<'_>, row: Option<&Row>) -> Result<Reading> {
    let cells = row.map(cells);
    answer::read(ENGINE, call, subject, cells.as_deref())
}

/// A renewal's or a release's node, epoch and time (named) for the `bigint` columns.
fn lease_numbers(node: u64, epoch: u64, (name, ms): (&'static str, u64)) -> Result<(i64, i64, i64)> {
    Ok((i64_arg("node", node)?, i64_arg("epoch", epoch)?, i64_arg(name, ms)?))
}

/// "Rows changed" as the one-cell answer the core reads.
fn changed(call: &str, subject: &Subject<'_>, n: u64) -> Result<Reading> {
    let row = [Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))];
    answer::read(ENGINE, call, subject, Some(&row))
}

impl MyStore {
    /// A store over the caller's pool (built with `client_found_rows(true)`).
    pub fn new(pool: Pool) -> Self {
        MyStore {
            pool,
            counters: CounterTable::new(),
        }
    }

    /// A pool for a `mysql://` URL, with `CLIENT_FOUND_ROWS` set;
    /// connecting lazily (an unreachable server shows as
    /// `store_unavailable` on the first call, within [`CONNECT_TIMEOUT`]).
    pub fn from_url(url: &str) -> Result<Self> {
        let opts = Opts::from_url(url).map_err(|_| Error::reason(ErrorCode::InvalidArgument, "url", "not a mysql:// URL"))?;
        let opts = OptsBuilder::from_opts(opts).client_found_rows(true);
        Ok(Self::new(Pool::new(opts)))
    }

    /// The pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    async fn conn(&self) -> Result<Conn> {
        // mysql_async has no connect timeout of its own: a server that never
        // answers (a partition, a dropped SYN) would hold the caller for the
        // kernel's SYN retries (about 2 minutes). Bounded as PostgreSQL's
        // connect (5 s) and Redis's (2 s) are: `store_unavailable`.
        let conn = match tokio::time::timeout(CONNECT_TIMEOUT, self.pool.get_conn()).await {
            Ok(conn) => conn.map_err(fail)?,
            Err(_) => {
                return Err(classify(
                    ENGINE,
                    Fault::Connection,
                    &format!("no connection within {} s", CONNECT_TIMEOUT.as_secs()),
                ))
            }
        };
        if !conn.opts().client_found_rows() {
            return Err(Error::reason(
                ErrorCode::InvalidArgument,
                "pool",
                "needs client_found_rows(true): a renewal within one millisecond changes no row, yet it held",
            ));
        }
        Ok(conn)
    }
}

/// The node row after a take or a renewal: epoch, start, fence.
fn held(reading: Reading, subject: &Subject<'_>) -> Result<(u64, u64, u64)> {
    match reading {
        Reading::Held { epoch, start_ms, fence_ms } => Ok((epoch, start_ms, fence_ms)),
        _ => Err(not_protocol(subject)),
    }
}

fn lock(reading: Reading, subject: &Subject<'_>) -> Result<(u64, u64, u64)> {
    match reading {
        Reading::Lock { ttl_ms, floor_ms, now_ms } => Ok((ttl_ms, floor_ms, now_ms)),
        _ => Err(not_protocol(subject)),
    }
}

impl Store for MyStore {
    fn engine(&self) -> &'static str {
        ENGINE
    }

    async fn init(&self) -> Result<()> {
        let mut conn = self.conn().await?;
        for statement in sql::schema_statements() {
            conn.query_drop(statement).await.map_err(fail)?;
        }
        let row: Option<Row> = conn.query_first(sql::SCHEMA_VERSION).await.map_err(fail)?;
        read("schema_version", &Subject::default(), row.as_ref()).map(drop)
    }

    async fn create_namespace(&self, init: &NamespaceInit<'_>) -> Result<NamespaceRecord> {
        self.init().await?;
        let (namespace, subject) = (init.namespace, init.subject());
        let (ttl, skew) = (
            i64_arg("ttl_ms", init.config.ttl_ms)?,
            i64_arg("max_skew_ms", init.config.max_skew_ms)?,
        );
        let n = i64_arg("nodes", init.nodes)?;
        let mut conn = self.conn().await?;
        conn.exec_drop(
            sql::NAMESPACE_INIT,
            (namespace, &init.record, n, ttl, skew, i32::from(init.fresh), ttl, skew),
        )
        .await
        .map_err(fail)?;
        let row: Option<Row> = conn.exec_first(sql::NAMESPACE_GET, (namespace,)).await.map_err(fail)?;
        let got = namespace_of(read("namespace_init", &subject, row.as_ref())?, &subject)?.ok_or_else(|| not_protocol(&subject))?;
        // Checked before the node rows: another node count must not get rows of this one.
        let got = init.expect(got)?;
        // The node rows are made together: once the last exists, all do. Else 1,000 per statement.
        let last: Option<Row> = conn.exec_first(sql::NODE_GET, (namespace, n - 1)).await.map_err(fail)?;
        if last.is_none() {
            for first in (0..n).step_by(1000) {
                conn.exec_drop(sql::NODE_ROWS, (namespace, first, first, (first + 1000).min(n)))
                    .await
                    .map_err(fail)?;
            }
        }
        Ok(got)
    }

    async fn namespace(&self, namespace: &str) -> Result<Option<NamespaceRecord>> {
        idloom::inputs::namespace(namespace)?;
        let subject = crate::ns_subject(namespace);
        let mut conn = self.conn().await?;
        let row: Option<Row> = conn.exec_first(sql::NAMESPACE_GET, (namespace,)).await.map_err(fail)?;
        namespace_of(read("namespace_get", &subject, row.as_ref())?, &subject)
    }

    /// MariaDB has no store identity its statements can read: never changed.
    async fn acquire_noting(&self, namespace: &str, holder: &str, proposed_fence_ms: u64) -> Result<(Grant, bool)> {
        idloom::inputs::namespace(namespace)?;
        idloom::inputs::holder(holder)?;
        let fence = i64_arg("proposed_fence_ms", proposed_fence_ms)?;
        let subject = crate::ns_subject(namespace);
        let mut conn = self.conn().await?;
        let mut tx = conn.start_transaction(TxOpts::default()).await.map_err(fail)?;
        let row: Option<Row> = tx.exec_first(sql::NAMESPACE_LOCK, (namespace,)).await.map_err(fail)?;
        let (ttl, floor, now) = lock(read("acquire_lock", &subject, row.as_ref())?, &subject)?;
        let (ttl, floor, now) = (i64_arg("ttl_ms", ttl)?, i64_arg("floor_ms", floor)?, i64_arg("now_ms", now)?);
        let row: Option<Row> = tx
            .exec_first(sql::ACQUIRE_PICK, (namespace, holder, now, namespace, now))
            .await
            .map_err(fail)?;
        let Reading::Node(node) = read("acquire_pick", &subject, row.as_ref())? else {
            return Err(not_protocol(&subject));
        };
        let node = i64_arg("node", node)?;
        tx.exec_drop(sql::ACQUIRE_TAKE, (holder, now + ttl, floor, fence, namespace, node))
            .await
            .map_err(fail)?;
        let row: Option<Row> = tx.exec_first(sql::NODE_GET, (namespace, node)).await.map_err(fail)?;
        let (epoch, start_ms, fence_ms) = held(read("node_get", &subject, row.as_ref())?, &subject)?;
        tx.commit().await.map_err(fail)?;
        let grant = Grant {
            node: node as u64,
            epoch,
            start_ms,
            fence_ms,
            store_now_ms: now as u64,
        };
        Ok((grant, false))
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
        let (n, e, fence) = lease_numbers(node, epoch, ("proposed_fence_ms", proposed_fence_ms))?;
        let mut conn = self.conn().await?;
        let mut tx = conn.start_transaction(TxOpts::default()).await.map_err(fail)?;
        let row: Option<Row> = tx.exec_first(sql::NAMESPACE_LOCK, (namespace,)).await.map_err(fail)?;
        let (ttl, _, now) = match read("renew_lock", &subject, row.as_ref())? {
            Reading::Refused => return Ok(None),
            reading => lock(reading, &subject)?,
        };
        let (ttl, now) = (i64_arg("ttl_ms", ttl)?, i64_arg("now_ms", now)?);
        let st = i64_arg("start_ms", start_ms)?;
        tx.exec_drop(sql::RENEW, (now + ttl, fence, namespace, n, e, holder, st))
            .await
            .map_err(fail)?;
        if changed("renew", &subject, tx.affected_rows())? == Reading::Refused {
            tx.rollback().await.map_err(fail)?;
            return Ok(None);
        }
        let row: Option<Row> = tx.exec_first(sql::NODE_GET, (namespace, n)).await.map_err(fail)?;
        let (epoch, start_ms, fence_ms) = held(read("node_get", &subject, row.as_ref())?, &subject)?;
        tx.commit().await.map_err(fail)?;
        let grant = Grant {
            node,
            epoch,
            start_ms,
            fence_ms,
            store_now_ms: now as u64,
        };
        Ok(Some((grant, false))) // no store identity to compare
    }

    async fn release(&self, namespace: &str, node: u64, epoch: u64, start_ms: u64, holder: &str, high_water_ms: u64) -> Result<()> {
        let subject = crate::lease_call(namespace, holder, node, epoch)?;
        let (n, e, h) = lease_numbers(node, epoch, ("high_water_ms", high_water_ms))?;
        let st = i64_arg("start_ms", start_ms)?;
        let mut conn = self.conn().await?;
        conn.exec_drop(sql::RELEASE, (h, namespace, n, e, holder, st)).await.map_err(fail)?;
        changed("release", &subject, conn.affected_rows()).map(drop)
    }

    async fn nodes(&self, namespace: &str) -> Result<Vec<NodeStatus>> {
        idloom::inputs::namespace(namespace)?;
        let subject = crate::ns_subject(namespace);
        let mut conn = self.conn().await?;
        let rows: Vec<Row> = conn.exec(sql::NODES, (namespace,)).await.map_err(fail)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.extend(crate::nodes_of(read("nodes", &subject, Some(r))?, &subject)?);
        }
        Ok(out)
    }

    /// `guard` refused: MariaDB/MySQL has no store identity its statements can read.
    async fn create_counter(&self, biz_tag: &str, floor: u64, step: u64, guard: bool) -> Result<()> {
        idloom::inputs::biz_tag(biz_tag)?;
        if guard {
            return idloom::stores::check_guard(ENGINE);
        }
        let floor = i64_arg("floor", idloom::stores::args::check("floor", floor.into())?)?;
        let step = idloom::stores::args::check("counter_step", step.into())? as i64;
        let mut conn = self.conn().await?;
        conn.query_drop(self.counters.text(sql::SEGMENT_SCHEMA)?).await.map_err(fail)?;
        conn.exec_drop(self.counters.text(sql::SEGMENT_INIT)?, (biz_tag, floor, step, ""))
            .await
            .map_err(fail)?;
        Ok(())
    }

    async fn fetch(&self, biz_tag: &str, step: u64) -> Result<Range> {
        let (step, subject) = crate::fetch_call(biz_tag, step)?;
        match self.counters.mode {
            FetchMode::Atomic => {
                let mut conn = self.conn().await?;
                conn.exec_drop(self.counters.text(sql::SEGMENT_FETCH)?, (i64_arg("step", step)?, biz_tag))
                    .await
                    .map_err(fail)?;
                if conn.affected_rows() == 0 {
                    return range_of(read("segment_fetch", &subject, None)?, &subject);
                }
                let end: Option<u64> = conn.query_first(sql::LAST_ID).await.map_err(fail)?;
                let end = end.ok_or_else(|| not_protocol(&subject))?;
                let start = end.checked_sub(step).ok_or_else(|| not_protocol(&subject))?;
                let row = [Cell::Int(i64_arg("max_id", start)?), Cell::Int(i64_arg("max_id", end)?)];
                range_of(answer::read(ENGINE, "segment_fetch", &subject, Some(&row))?, &subject)
            }
            FetchMode::Cas => {
                let (read_text, cas_text) = (self.counters.text(sql::SEGMENT_READ)?, self.counters.text(sql::SEGMENT_CAS)?);
                let (read_text, cas_text, subject) = (&read_text, &cas_text, &subject);
                let current = || async move {
                    let row: Option<Row> = self.conn().await?.exec_first(read_text, (biz_tag,)).await.map_err(fail)?;
                    read("segment_read", subject, row.as_ref())
                };
                let swap = |old: i64, new: i64| async move {
                    let mut conn = self.conn().await?;
                    conn.exec_drop(cas_text, (new, biz_tag, old)).await.map_err(fail)?;
                    changed("segment_cas", subject, conn.affected_rows())
                };
                crate::cas_fetch(biz_tag, step, current, swap).await
            }
        }
    }
}
