//! A PostgreSQL store over the sync `postgres` crate: the core's SQL texts,
//! run as a Rust user would (this is the documented example adapter).
//! Store errors map to the core's codes: a refused connection is
//! `store_unavailable`, a missing table or another schema version
//! `store_schema`, a missing namespace or counter `store_state_lost`.

#![allow(dead_code)]

use idloom::lease::{Grant, LeaseConfig};
use idloom::stores::{postgres as sql, segment_sql, sequence_sql, SCHEMA_VERSION};
use idloom::{Error, ErrorCode, Layout, Result};
use postgres::{Client, NoTls};

/// Where the tests find PostgreSQL (the machine's server; `IDLOOM_PG` overrides).
/// A node's status row: (node, holder, epoch, expires_ms, start_ms, fence_ms).
pub type NodeRow = (i64, String, i64, i64, i64, i64);
/// A namespace's record: (layout, nodes, ttl_ms, max_skew_ms, floor_ms).
pub type NamespaceRow = (String, i32, i64, i64, i64);

pub fn url() -> String {
    std::env::var("IDLOOM_PG").unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5".into())
}

fn db(e: postgres::Error) -> Error {
    match e.code() {
        Some(c) if *c == postgres::error::SqlState::UNDEFINED_TABLE => {
            Error::reason(ErrorCode::StoreSchema, "table", "missing: run init to create the idloom tables")
        }
        // Connection exceptions (08), operator intervention (57: shutting down,
        // starting up) and insufficient resources (53) are outages, not schema.
        Some(c) if ["08", "57", "53"].iter().any(|class| c.code().starts_with(class)) => Error::reason(
            ErrorCode::StoreUnavailable,
            "postgres",
            "the server is not serving (restart, shutdown)",
        ),
        Some(_) => Error::reason(ErrorCode::StoreSchema, "sql", "the store refused an idloom statement"),
        None => Error::reason(ErrorCode::StoreUnavailable, "postgres", "connection failed or lost"),
    }
}

pub struct PgStore {
    pub client: Client,
}

impl PgStore {
    pub fn connect(url: &str) -> Result<PgStore> {
        Ok(PgStore {
            client: Client::connect(url, NoTls).map_err(db)?,
        })
    }

    /// Create the tables (idempotent) and check the schema version.
    pub fn init(&mut self) -> Result<()> {
        self.client.batch_execute(sql::SCHEMA).map_err(db)?;
        self.check_schema()
    }

    pub fn check_schema(&mut self) -> Result<()> {
        let v: Option<i32> = self.client.query_opt(sql::SCHEMA_VERSION, &[]).map_err(db)?.map(|r| r.get(0));
        match v {
            Some(SCHEMA_VERSION) => Ok(()),
            _ => Err(Error::reason(
                ErrorCode::StoreSchema,
                "schema",
                "another idloom schema version (or none)",
            )),
        }
    }

    /// Create (or find) a namespace; another layout or node count is `store_schema`.
    pub fn init_namespace(&mut self, ns: &str, layout: &Layout, nodes: i32, c: LeaseConfig, fresh: bool) -> Result<i64> {
        let record = idloom::stores::layout_record(layout);
        let row = self
            .client
            .query_one(
                sql::NAMESPACE_INIT,
                &[&ns, &record, &nodes, &(c.ttl_ms as i64), &(c.max_skew_ms as i64), &fresh],
            )
            .map_err(db)?;
        if row.get::<_, String>(0) != record || row.get::<_, i32>(1) != nodes {
            return Err(Error::reason(
                ErrorCode::StoreSchema,
                "namespace",
                "exists with another layout or node count",
            ));
        }
        Ok(row.get(4))
    }

    /// A namespace's record (layout, nodes, ttl, skew, floor); None when the store has none.
    pub fn namespace_get(&mut self, ns: &str) -> Result<Option<NamespaceRow>> {
        let row = self.client.query_opt(sql::NAMESPACE_GET, &[&ns]).map_err(db)?;
        Ok(row.map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))))
    }

    /// Every node: (node, holder, epoch, expires, start, fence).
    pub fn nodes(&mut self, ns: &str) -> Result<Vec<NodeRow>> {
        let rows = self.client.query(sql::NODES, &[&ns]).map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| (i64::from(r.get::<_, i32>(0)), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
            .collect())
    }

    fn grant(row: &postgres::Row, at: usize) -> Grant {
        Grant {
            node: row.get::<_, i32>(at) as u64,
            epoch: row.get::<_, i64>(at + 1) as u64,
            start_ms: row.get::<_, i64>(at + 2) as u64,
            fence_ms: row.get::<_, i64>(at + 3) as u64,
            store_now_ms: row.get::<_, i64>(at + 4) as u64,
        }
    }

    pub fn acquire(&mut self, ns: &str, holder: &str, proposed_fence_ms: u64) -> Result<Grant> {
        let row = self
            .client
            .query_one(sql::ACQUIRE, &[&ns, &holder, &(proposed_fence_ms as i64)])
            .map_err(db)?;
        if !row.get::<_, bool>(0) {
            return Err(Error::reason(
                ErrorCode::StoreStateLost,
                "namespace",
                "missing: init it (not fresh) to start above every old fence",
            ));
        }
        if row.get::<_, Option<i32>>(1).is_none() {
            return Err(Error::reason(
                ErrorCode::NoFreeNode,
                "namespace",
                "every node is leased by a live holder",
            ));
        }
        Ok(Self::grant(&row, 1))
    }

    pub fn renew(&mut self, ns: &str, g: &Grant, holder: &str, proposed_fence_ms: u64) -> Result<Grant> {
        let args: [&(dyn postgres::types::ToSql + Sync); 5] =
            [&ns, &(g.node as i32), &(g.epoch as i64), &holder, &(proposed_fence_ms as i64)];
        match self.client.query_opt(sql::RENEW, &args).map_err(db)? {
            Some(row) => Ok(Self::grant(&row, 0)),
            None => Err(Error::reason(ErrorCode::LeaseLost, "lease", "another epoch or holder")),
        }
    }

    pub fn release(&mut self, ns: &str, g: &Grant, holder: &str, high_water_ms: u64) -> Result<u64> {
        let args: [&(dyn postgres::types::ToSql + Sync); 5] = [&ns, &(g.node as i32), &(g.epoch as i64), &holder, &(high_water_ms as i64)];
        match self.client.query_opt(sql::RELEASE, &args).map_err(db)? {
            Some(row) => Ok(row.get::<_, i64>(1) as u64),
            None => Err(Error::reason(ErrorCode::LeaseLost, "lease", "another epoch or holder")),
        }
    }

    pub fn init_segment(&mut self, table: &str, tag: &str, floor: i64, step: i32) -> Result<()> {
        self.init_segment_with(table, tag, floor, step, false)
    }

    /// `init_segment` with the guard: the counter records the store's
    /// identity; on another identity it rises to max(counter, floor).
    pub fn init_segment_with(&mut self, table: &str, tag: &str, floor: i64, step: i32, guard: bool) -> Result<()> {
        self.client.batch_execute(&segment_sql(sql::SEGMENT_SCHEMA, table)?).map_err(db)?;
        let init = if guard {
            idloom::stores::check_guard("postgres")?;
            self.client
                .batch_execute(&segment_sql(sql::SEGMENT_GUARD_SCHEMA, table)?)
                .map_err(db)?;
            sql::SEGMENT_INIT_GUARD
        } else {
            sql::SEGMENT_INIT
        };
        self.client
            .execute(&segment_sql(init, table)?, &[&tag, &floor, &step, &"idloom test"])
            .map_err(db)?;
        Ok(())
    }

    /// Atomic mode: one UPDATE … RETURNING.
    pub fn fetch(&mut self, table: &str, tag: &str, step: i64) -> Result<(u64, u64)> {
        match self
            .client
            .query_opt(&segment_sql(sql::SEGMENT_FETCH, table)?, &[&tag, &step])
            .map_err(db)?
        {
            Some(row) => match (row.get::<_, Option<i64>>(0), row.get::<_, Option<i64>>(1)) {
                (Some(start), Some(end)) => Ok((start as u64, end as u64)),
                _ => Err(Error::reason(ErrorCode::StoreStateLost, "biz_tag", idloom::stores::GUARD_LOST)),
            },
            None => Err(Error::reason(
                ErrorCode::StoreStateLost,
                "biz_tag",
                "no such counter: init it with a floor",
            )),
        }
    }

    /// Compare-and-set mode: read, then move only if nobody did first; at
    /// most `tries` rounds with a jittered pause. Returns the range and the retries.
    pub fn fetch_cas(&mut self, table: &str, tag: &str, step: i64, tries: u32) -> Result<((u64, u64), u32)> {
        let (read, cas) = (segment_sql(sql::SEGMENT_READ, table)?, segment_sql(sql::SEGMENT_CAS, table)?);
        for attempt in 0..tries {
            let Some(row) = self.client.query_opt(&read, &[&tag]).map_err(db)? else {
                return Err(Error::reason(
                    ErrorCode::StoreStateLost,
                    "biz_tag",
                    "no such counter: init it with a floor",
                ));
            };
            if row.get::<_, bool>(1) {
                return Err(Error::reason(ErrorCode::StoreStateLost, "biz_tag", idloom::stores::GUARD_LOST));
            }
            let old: i64 = row.get(0);
            if self.client.execute(&cas, &[&tag, &old, &(old + step)]).map_err(db)? == 1 {
                return Ok(((old as u64, (old + step) as u64), attempt));
            }
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            let unit = f64::from(nanos % 1000) / 1000.0; // jitter: the clock's low digits
            std::thread::sleep(std::time::Duration::from_micros(idloom::stores::cas_pause_us(attempt, unit)));
        }
        Err(Error::reason(
            ErrorCode::StoreUnavailable,
            "biz_tag",
            "compare-and-set kept losing: too much contention",
        ))
    }

    pub fn create_sequence(&mut self, name: &str, start: u64, increment: u64) -> Result<()> {
        self.client
            .batch_execute(&sequence_sql(sql::SEQUENCE_CREATE, name, start, increment)?)
            .map_err(db)
    }

    pub fn sequence_next(&mut self, name: &str) -> Result<u64> {
        let row = self.client.query_one(&segment_sql(sql::SEQUENCE_FETCH, name)?, &[]).map_err(db)?;
        Ok(row.get::<_, i64>(0) as u64)
    }
}
