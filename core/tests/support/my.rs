//! A MariaDB / MySQL store over the `mysql` crate: the core's texts, a lease
//! call as one short transaction. Codes as for PostgreSQL.

#![allow(dead_code)]

use idloom::lease::{Grant, LeaseConfig};
use idloom::stores::{mysql as sql, segment_sql, sequence_sql, SCHEMA_VERSION};
use idloom::{Error, ErrorCode, Layout, Result};
use mysql::prelude::Queryable;
use mysql::{Conn, Opts, TxOpts};

/// A node's status row: (node, holder, epoch, expires_ms, start_ms, fence_ms).
pub type NodeRow = (i64, String, i64, i64, i64, i64);

pub fn url() -> String {
    std::env::var("IDLOOM_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

fn db(e: mysql::Error) -> Error {
    match &e {
        mysql::Error::MySqlError(m) if m.code == 1146 => {
            Error::reason(ErrorCode::StoreSchema, "table", "missing: run init to create the idloom tables")
        }
        // Shutting down (1053), connection killed (1927): outages, not schema.
        mysql::Error::MySqlError(m) if m.code == 1053 || m.code == 1927 => Error::reason(
            ErrorCode::StoreUnavailable,
            "mysql",
            "the server is not serving (restart, shutdown)",
        ),
        mysql::Error::MySqlError(_) => Error::reason(ErrorCode::StoreSchema, "sql", "the store refused an idloom statement"),
        _ => Error::reason(ErrorCode::StoreUnavailable, "mysql", "connection failed or lost"),
    }
}

pub struct MyStore {
    pub conn: Conn,
}

impl MyStore {
    pub fn connect(url: &str) -> Result<MyStore> {
        let opts = Opts::from_url(url).map_err(|_| Error::reason(ErrorCode::InvalidArgument, "url", "not a mysql:// URL"))?;
        // CLIENT_FOUND_ROWS: "rows affected" counts rows matched, as the texts
        // expect (a renewal within the same millisecond changes nothing, yet it held).
        let opts = mysql::OptsBuilder::from_opts(opts)
            .tcp_connect_timeout(Some(std::time::Duration::from_secs(3)))
            .additional_capabilities(mysql::consts::CapabilityFlags::CLIENT_FOUND_ROWS);
        Ok(MyStore {
            conn: Conn::new(opts).map_err(db)?,
        })
    }

    pub fn init(&mut self) -> Result<()> {
        for statement in sql::schema_statements() {
            self.conn.query_drop(statement).map_err(db)?;
        }
        let v: Option<i32> = self.conn.query_first(sql::SCHEMA_VERSION).map_err(db)?;
        if v != Some(SCHEMA_VERSION) {
            return Err(Error::reason(
                ErrorCode::StoreSchema,
                "schema",
                "another idloom schema version (or none)",
            ));
        }
        Ok(())
    }

    pub fn init_namespace(&mut self, ns: &str, layout: &Layout, nodes: i64, c: LeaseConfig, fresh: bool) -> Result<i64> {
        let record = idloom::stores::layout_record(layout);
        let (ttl, skew) = (c.ttl_ms as i64, c.max_skew_ms as i64);
        self.conn
            .exec_drop(sql::NAMESPACE_INIT, (ns, &record, nodes, ttl, skew, fresh as i32, ttl, skew))
            .map_err(db)?;
        let row: Option<(String, i64, i64, i64, i64)> = self.conn.exec_first(sql::NAMESPACE_GET, (ns,)).map_err(db)?;
        let (layout_got, nodes_got, _, _, floor) = row.ok_or(Error::reason(ErrorCode::StoreStateLost, "namespace", "vanished"))?;
        if layout_got != record || nodes_got != nodes {
            return Err(Error::reason(
                ErrorCode::StoreSchema,
                "namespace",
                "exists with another layout or node count",
            ));
        }
        // The rows are made together: once the last exists, all do. Else 1,000 per statement.
        let last: Option<(i64, i64, i64, String)> = self.conn.exec_first(sql::NODE_GET, (ns, nodes - 1)).map_err(db)?;
        if last.is_none() {
            for first in (0..nodes).step_by(1000) {
                self.conn
                    .exec_drop(sql::NODE_ROWS, (ns, first, first, (first + 1000).min(nodes)))
                    .map_err(db)?;
            }
        }
        Ok(floor)
    }

    /// Every node: (node, holder, epoch, expires, start, fence).
    pub fn nodes(&mut self, ns: &str) -> Result<Vec<NodeRow>> {
        self.conn.exec(sql::NODES, (ns,)).map_err(db)
    }

    pub fn acquire(&mut self, ns: &str, holder: &str, proposed_fence_ms: u64) -> Result<Grant> {
        let mut tx = self.conn.start_transaction(TxOpts::default()).map_err(db)?;
        let Some((ttl, floor, now)): Option<(i64, i64, i64)> = tx.exec_first(sql::NAMESPACE_LOCK, (ns,)).map_err(db)? else {
            return Err(Error::reason(
                ErrorCode::StoreStateLost,
                "namespace",
                "missing: init it (not fresh)",
            ));
        };
        let Some(node): Option<i64> = tx.exec_first(sql::ACQUIRE_PICK, (ns, holder, now, ns, now)).map_err(db)? else {
            return Err(Error::reason(
                ErrorCode::NoFreeNode,
                "namespace",
                "every node is leased by a live holder",
            ));
        };
        tx.exec_drop(sql::ACQUIRE_TAKE, (holder, now + ttl, floor, proposed_fence_ms as i64, ns, node))
            .map_err(db)?;
        let (epoch, start, fence, _): (i64, i64, i64, String) = tx.exec_first(sql::NODE_GET, (ns, node)).map_err(db)?.unwrap_or_default();
        tx.commit().map_err(db)?;
        Ok(Grant {
            node: node as u64,
            epoch: epoch as u64,
            start_ms: start as u64,
            fence_ms: fence as u64,
            store_now_ms: now as u64,
        })
    }

    pub fn renew(&mut self, ns: &str, g: &Grant, holder: &str, proposed_fence_ms: u64) -> Result<Grant> {
        let mut tx = self.conn.start_transaction(TxOpts::default()).map_err(db)?;
        let Some((ttl, _, now)): Option<(i64, i64, i64)> = tx.exec_first(sql::NAMESPACE_LOCK, (ns,)).map_err(db)? else {
            return Err(Error::reason(ErrorCode::StoreStateLost, "namespace", "missing"));
        };
        tx.exec_drop(
            sql::RENEW,
            (now + ttl, proposed_fence_ms as i64, ns, g.node as i64, g.epoch as i64, holder),
        )
        .map_err(db)?;
        if tx.affected_rows() == 0 {
            return Err(Error::reason(ErrorCode::LeaseLost, "lease", "another epoch or holder"));
        }
        let (epoch, start, fence, _): (i64, i64, i64, String) =
            tx.exec_first(sql::NODE_GET, (ns, g.node as i64)).map_err(db)?.unwrap_or_default();
        tx.commit().map_err(db)?;
        Ok(Grant {
            node: g.node,
            epoch: epoch as u64,
            start_ms: start as u64,
            fence_ms: fence as u64,
            store_now_ms: now as u64,
        })
    }

    pub fn release(&mut self, ns: &str, g: &Grant, holder: &str, high_water_ms: u64) -> Result<u64> {
        self.conn
            .exec_drop(sql::RELEASE, (high_water_ms as i64, ns, g.node as i64, g.epoch as i64, holder))
            .map_err(db)?;
        if self.conn.affected_rows() == 0 {
            return Err(Error::reason(ErrorCode::LeaseLost, "lease", "another epoch or holder"));
        }
        let (_, _, fence, _): (i64, i64, i64, String) = self
            .conn
            .exec_first(sql::NODE_GET, (ns, g.node as i64))
            .map_err(db)?
            .unwrap_or_default();
        Ok(fence as u64)
    }

    pub fn init_segment(&mut self, table: &str, tag: &str, floor: i64, step: i32) -> Result<()> {
        self.conn.query_drop(segment_sql(sql::SEGMENT_SCHEMA, table)?).map_err(db)?;
        self.conn
            .exec_drop(segment_sql(sql::SEGMENT_INIT, table)?, (tag, floor, step, "idloom test"))
            .map_err(db)?;
        Ok(())
    }

    /// Atomic mode: `LAST_INSERT_ID(max_id + step)`, read back on this connection.
    pub fn fetch(&mut self, table: &str, tag: &str, step: i64) -> Result<(u64, u64)> {
        self.conn
            .exec_drop(segment_sql(sql::SEGMENT_FETCH, table)?, (step, tag))
            .map_err(db)?;
        if self.conn.affected_rows() == 0 {
            return Err(Error::reason(
                ErrorCode::StoreStateLost,
                "biz_tag",
                "no such counter: init it with a floor",
            ));
        }
        let end: u64 = self.conn.query_first(sql::LAST_ID).map_err(db)?.unwrap_or(0);
        Ok((end - step as u64, end))
    }

    pub fn fetch_cas(&mut self, table: &str, tag: &str, step: i64, tries: u32) -> Result<((u64, u64), u32)> {
        let (read, cas) = (segment_sql(sql::SEGMENT_READ, table)?, segment_sql(sql::SEGMENT_CAS, table)?);
        for attempt in 0..tries {
            let Some(old): Option<i64> = self.conn.exec_first(&read, (tag,)).map_err(db)? else {
                return Err(Error::reason(ErrorCode::StoreStateLost, "biz_tag", "no such counter"));
            };
            self.conn.exec_drop(&cas, (old + step, tag, old)).map_err(db)?;
            if self.conn.affected_rows() == 1 {
                return Ok(((old as u64, (old + step) as u64), attempt));
            }
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            let unit = f64::from(nanos % 1000) / 1000.0; // jitter: the clock's low digits
            std::thread::sleep(std::time::Duration::from_micros(idloom::stores::cas_pause_us(attempt, unit)));
        }
        Err(Error::reason(ErrorCode::StoreUnavailable, "biz_tag", "compare-and-set kept losing"))
    }

    pub fn create_sequence(&mut self, name: &str, start: u64, increment: u64) -> Result<()> {
        self.conn
            .query_drop(sequence_sql(sql::SEQUENCE_CREATE, name, start, increment)?)
            .map_err(db)
    }

    pub fn sequence_next(&mut self, name: &str) -> Result<u64> {
        Ok(self
            .conn
            .query_first(segment_sql(sql::SEQUENCE_FETCH, name)?)
            .map_err(db)?
            .unwrap_or(0))
    }

    pub fn ticket(&mut self, table: &str, replace: bool) -> Result<u64> {
        let text = if replace { sql::TICKET_REPLACE } else { sql::TICKET_NEXT };
        self.conn.exec_drop(segment_sql(text, table)?, ("a",)).map_err(db)?;
        Ok(self.conn.query_first(sql::LAST_ID).map_err(db)?.unwrap_or(0))
    }
}
