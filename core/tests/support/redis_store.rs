//! A Redis store over the `redis` crate: the core's Lua texts with EVAL.
//! A refused connection is `store_unavailable`; a missing namespace or
//! counter `store_state_lost`.

#![allow(dead_code)]

use idloom::lease::{Grant, LeaseConfig};
use idloom::stores::redis as lua;
use idloom::{Error, ErrorCode, Layout, Result};

/// A node's status row: (node, holder, epoch, expires_ms, start_ms, fence_ms).
pub type NodeRow = (u64, String, u64, u64, u64, u64);
/// A namespace's record: (layout, nodes, ttl_ms, max_skew_ms, floor_ms).
pub type NamespaceRow = (String, u64, u64, u64, u64);

pub fn url() -> String {
    std::env::var("IDLOOM_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

fn down(_: redis::RedisError) -> Error {
    Error::reason(ErrorCode::StoreUnavailable, "redis", "connection failed or lost")
}

pub struct RedisStore {
    pub conn: redis::Connection,
}

fn eval(conn: &mut redis::Connection, script: &str, key: &str, args: &[String]) -> Result<Vec<redis::Value>> {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(script).arg(1).arg(key);
    for a in args {
        cmd.arg(a);
    }
    cmd.query(conn).map_err(down)
}

fn text(v: &redis::Value) -> String {
    match v {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        redis::Value::SimpleString(s) => s.clone(),
        redis::Value::Int(i) => i.to_string(),
        _ => String::new(),
    }
}

fn num(v: &redis::Value) -> u64 {
    text(v).parse().unwrap_or(0)
}

fn answer(v: &[redis::Value]) -> Result<&[redis::Value]> {
    match text(&v[0]).as_str() {
        "ok" => Ok(&v[1..]),
        "state_lost" => Err(Error::reason(
            ErrorCode::StoreStateLost,
            "namespace",
            "missing on this Redis: init it (not fresh)",
        )),
        "no_free_node" => Err(Error::reason(
            ErrorCode::NoFreeNode,
            "namespace",
            "every node is leased by a live holder",
        )),
        "lease_lost" => Err(Error::reason(ErrorCode::LeaseLost, "lease", "another epoch or holder")),
        "invalid_range" => Err(Error::reason(
            ErrorCode::InvalidRange,
            "redis",
            "a number past what Redis Lua computes exactly (2^53 - 1)",
        )),
        _ => Err(Error::reason(
            ErrorCode::StoreSchema,
            "redis",
            "an answer that is not the idloom protocol",
        )),
    }
}

fn grant(v: &[redis::Value]) -> Grant {
    Grant {
        node: num(&v[0]),
        epoch: num(&v[1]),
        start_ms: num(&v[2]),
        fence_ms: num(&v[3]),
        store_now_ms: num(&v[4]),
    }
}

impl RedisStore {
    pub fn connect(url: &str) -> Result<RedisStore> {
        let client = redis::Client::open(url).map_err(down)?;
        Ok(RedisStore {
            conn: client
                .get_connection_with_timeout(std::time::Duration::from_secs(2))
                .map_err(down)?,
        })
    }

    /// Create (or find) a namespace; another layout or node count is `store_schema`. Returns the floor.
    pub fn init_namespace(&mut self, ns: &str, layout: &Layout, nodes: u64, c: LeaseConfig, fresh: bool) -> Result<u64> {
        let record = idloom::stores::layout_record(layout);
        let args = [
            record.clone(),
            nodes.to_string(),
            c.ttl_ms.to_string(),
            c.max_skew_ms.to_string(),
            (fresh as u8).to_string(),
        ];
        let v = eval(&mut self.conn, lua::NAMESPACE_INIT, &lua::namespace_key(ns), &args)?;
        if text(&v[0]) != record || num(&v[1]) != nodes {
            return Err(Error::reason(
                ErrorCode::StoreSchema,
                "namespace",
                "exists with another layout or node count",
            ));
        }
        Ok(num(&v[4]))
    }

    /// A namespace's record (layout, nodes, ttl, skew, floor); `store_state_lost` when missing.
    pub fn namespace_get(&mut self, ns: &str) -> Result<NamespaceRow> {
        let v = eval(&mut self.conn, lua::NAMESPACE_GET, &lua::namespace_key(ns), &[])?;
        let r = answer(&v)?;
        Ok((text(&r[0]), num(&r[1]), num(&r[2]), num(&r[3]), num(&r[4])))
    }

    /// Every node: (node, holder, epoch, expires, start, fence), a page of at
    /// most 1,024 per script call.
    pub fn nodes(&mut self, ns: &str) -> Result<Vec<NodeRow>> {
        let total = self.namespace_get(ns)?.1;
        let mut out: Vec<NodeRow> = Vec::new();
        let mut first = 0;
        while first < total {
            let v = eval(&mut self.conn, lua::NODES, &lua::namespace_key(ns), &[first.to_string()])?;
            let page: Vec<NodeRow> = answer(&v)?
                .chunks(6)
                .map(|c| (num(&c[0]), text(&c[1]), num(&c[2]), num(&c[3]), num(&c[4]), num(&c[5])))
                .collect();
            let Some(last) = page.last() else { break };
            first = last.0 + 1;
            out.extend(page);
        }
        Ok(out)
    }

    pub fn acquire(&mut self, ns: &str, holder: &str, proposed_fence_ms: u64) -> Result<Grant> {
        let v = eval(
            &mut self.conn,
            lua::ACQUIRE,
            &lua::namespace_key(ns),
            &[holder.into(), proposed_fence_ms.to_string()],
        )?;
        Ok(grant(answer(&v)?))
    }

    pub fn renew(&mut self, ns: &str, g: &Grant, holder: &str, proposed_fence_ms: u64) -> Result<Grant> {
        let args = [
            g.node.to_string(),
            g.epoch.to_string(),
            holder.into(),
            proposed_fence_ms.to_string(),
        ];
        let v = eval(&mut self.conn, lua::RENEW, &lua::namespace_key(ns), &args)?;
        Ok(grant(answer(&v)?))
    }

    pub fn release(&mut self, ns: &str, g: &Grant, holder: &str, high_water_ms: u64) -> Result<u64> {
        let args = [g.node.to_string(), g.epoch.to_string(), holder.into(), high_water_ms.to_string()];
        let v = eval(&mut self.conn, lua::RELEASE, &lua::namespace_key(ns), &args)?;
        Ok(num(&answer(&v)?[0]))
    }

    /// Create a counter at `floor` (checked by the core for ranges of `step`, as the bindings do).
    pub fn init_counter_for(&mut self, tag: &str, floor: u64, step: u64) -> Result<u64> {
        lua::check_counter_floor(floor, step)?;
        self.init_counter(tag, floor)
    }

    /// Create a counter at `floor` as the script alone decides.
    pub fn init_counter(&mut self, tag: &str, floor: u64) -> Result<u64> {
        self.init_counter_with(tag, floor, false)
    }

    /// `init_counter` with the guard: the counter records the server's
    /// run_id; under another run_id it rises to max(counter, floor).
    pub fn init_counter_with(&mut self, tag: &str, floor: u64, guard: bool) -> Result<u64> {
        if guard {
            idloom::stores::check_guard("redis")?;
        }
        let v: redis::Value = redis::cmd("EVAL")
            .arg(lua::SEGMENT_INIT)
            .arg(1)
            .arg(lua::counter_key(tag))
            .arg(floor)
            .arg(if guard { "1" } else { "0" })
            .query(&mut self.conn)
            .map_err(down)?;
        if let redis::Value::Array(a) = &v {
            answer(a)?;
        }
        Ok(num(&v))
    }

    pub fn fetch(&mut self, tag: &str, step: u64) -> Result<(u64, u64)> {
        let v = eval(&mut self.conn, lua::INCRBY, &lua::counter_key(tag), &[step.to_string()])?;
        if text(&v[0]) == "state_lost" && v.get(1).is_some_and(|w| text(w) == "store_identity") {
            return Err(Error::reason(ErrorCode::StoreStateLost, "biz_tag", idloom::stores::GUARD_LOST));
        }
        let r = answer(&v).map_err(|e| {
            if e.code() == ErrorCode::StoreStateLost {
                Error::reason(
                    ErrorCode::StoreStateLost,
                    "biz_tag",
                    "the counter is missing (a Redis without persistence restarted?): init it above the old IDs",
                )
            } else {
                e
            }
        })?;
        Ok((num(&r[0]), num(&r[1])))
    }
}
