//! Every store answer, read once: a binding runs one of the core's texts
//! on its driver, turns the row (SQL) or the reply (a Redis script) into
//! [`Cell`]s, and [`read`] says what it means — a grant, a namespace
//! record, a range, a refusal as the [`Error`] to raise — with one message
//! table ([`refuse`]) for every engine and binding. The answer shapes are
//! the texts' own (`core/stores/*`): the SQL texts answer a row or none,
//! the Lua scripts `{"ok", …}` or `{refusal, …}`.
//!
//! A call is named by the engine and the text it ran ([`CALLS`]); MariaDB's
//! lease calls are several statements in one transaction, each read on its
//! own (`acquire_lock`, `acquire_pick`, `node_get`, …), as the bindings run
//! them.

use crate::error::{Error, ErrorCode, Result};
use crate::lease::Grant;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

/// One value of a row or a reply, as the driver gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    /// SQL `NULL`, a Redis nil.
    Null,
    /// A boolean column.
    Bool(bool),
    /// An integer column or a Redis integer reply.
    Int(i64),
    /// A text column or a Redis bulk string (integers in text are read as integers).
    Text(&'a str),
}

impl Cell<'_> {
    fn int(&self) -> Option<u64> {
        match *self {
            Cell::Int(i) => u64::try_from(i).ok(),
            Cell::Text(t) => t.parse().ok(),
            _ => None,
        }
    }
    fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// A cell a binding converted from a host value (it owns its text), for
/// reading with [`OwnedCell::cell`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedCell {
    /// SQL `NULL`, a Redis nil.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A text.
    Text(String),
}

impl OwnedCell {
    /// The cell to read.
    pub fn cell(&self) -> Cell<'_> {
        match self {
            OwnedCell::Null => Cell::Null,
            OwnedCell::Bool(b) => Cell::Bool(*b),
            OwnedCell::Int(i) => Cell::Int(*i),
            OwnedCell::Text(t) => Cell::Text(t),
        }
    }
}

/// What an answer is about, for its messages: `namespace orders, node 3,
/// epoch 7`, or `biz_tag invoice`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Subject<'a> {
    /// The namespace of a lease call.
    pub namespace: Option<&'a str>,
    /// The node of a renewal or a release.
    pub node: Option<u64>,
    /// The epoch of a renewal or a release.
    pub epoch: Option<u64>,
    /// The counter of a segment call.
    pub biz_tag: Option<&'a str>,
}

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: [(&str, Option<&dyn fmt::Display>); 4] = [
            ("namespace", self.namespace.as_ref().map(|v| v as &dyn fmt::Display)),
            ("node", self.node.as_ref().map(|v| v as &dyn fmt::Display)),
            ("epoch", self.epoch.as_ref().map(|v| v as &dyn fmt::Display)),
            ("biz_tag", self.biz_tag.as_ref().map(|v| v as &dyn fmt::Display)),
        ];
        let mut sep = "";
        for (name, value) in parts.iter().filter_map(|(name, v)| v.map(|v| (name, v))) {
            write!(f, "{sep}{name} {value}")?;
            sep = ", ";
        }
        if sep.is_empty() {
            f.write_str("the store")?;
        }
        Ok(())
    }
}

/// A namespace's record: what `init` wrote and the floor the store keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceRecord {
    /// The layout's description ([`super::layout_record`]).
    pub layout: String,
    /// How many nodes.
    pub nodes: u64,
    /// The lease TTL, on the store's clock.
    pub ttl_ms: u64,
    /// The skew holders accept.
    pub max_skew_ms: u64,
    /// The namespace floor (ID time): no new holder starts below it.
    pub floor_ms: u64,
}

/// One node of a namespace as the store keeps it (a `nodes` status row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// The node.
    pub node: u64,
    /// Who holds (or last held) it; empty if never held.
    pub holder: String,
    /// Acquisitions so far (the fencing token).
    pub epoch: u64,
    /// Store time from which others may take it.
    pub expires_ms: u64,
    /// Where the current epoch's interval of ID time starts.
    pub start_ms: u64,
    /// The highest fence granted (ID time).
    pub fence_ms: u64,
}

/// What an answer means (more readings come with more engines).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reading {
    /// A lease granted or renewed.
    Grant {
        /// The grant.
        grant: Grant,
        /// The acquire found the store under another identity than the
        /// namespace recorded (a restore, a promotion, a restart without its
        /// data) and raised the namespace floor first: the event
        /// `store_identity_changed`. Always false for a renewal, and for
        /// MariaDB/MySQL (no identity its statements can read).
        identity_changed: bool,
    },
    /// A namespace's record.
    Namespace(NamespaceRecord),
    /// No such namespace (a lookup; not an error there).
    Missing,
    /// A renewal the store refused: the lease is lost (the holder stops at its fence).
    Refused,
    /// A counter range `start..end` (`end` exclusive: the IDs are `start + 1 ..= end`, Leaf's).
    Range {
        /// The counter before the fetch.
        start: u64,
        /// The counter after it.
        end: u64,
    },
    /// A counter's value (a compare-and-set read, a peek).
    Value(u64),
    /// MariaDB's namespace row under lock: the TTL, the floor and the store's clock.
    Lock {
        /// The lease TTL.
        ttl_ms: u64,
        /// The namespace floor.
        floor_ms: u64,
        /// The store's clock.
        now_ms: u64,
    },
    /// MariaDB's node picked for an acquire.
    Node(u64),
    /// MariaDB's node row after a take or a renewal: epoch, start, fence.
    Held {
        /// The lease's epoch.
        epoch: u64,
        /// Where minting starts.
        start_ms: u64,
        /// The confirmed fence.
        fence_ms: u64,
    },
    /// The nodes of a namespace with their status: one SQL row, or one
    /// Redis page (`nodes.lua`, up to 1,024 nodes).
    Nodes(Vec<NodeStatus>),
    /// The statement did what it was for (a release, a swap, a counter created).
    Done,
}

impl Reading {
    /// The reading as every binding hands it on: its name, the layout of a
    /// `namespace`, and its numbers in order — `grant`: node, epoch,
    /// start_ms, fence_ms, store_now_ms, identity_changed (1 or 0);
    /// `namespace`: nodes, ttl_ms, max_skew_ms, floor_ms; `range`: start,
    /// end; `value`; `lock`: ttl_ms, floor_ms, now_ms; `node`; `held`:
    /// epoch, start_ms, fence_ms; `nodes`: node, epoch, expires_ms,
    /// start_ms, fence_ms for each node (their holders: [`holders`](Self::holders));
    /// `missing`, `refused` and `done` have none.
    pub fn parts(&self) -> (&'static str, Option<&str>, Vec<u64>) {
        match self {
            Reading::Grant {
                grant: g,
                identity_changed,
            } => (
                "grant",
                None,
                vec![
                    g.node,
                    g.epoch,
                    g.start_ms,
                    g.fence_ms,
                    g.store_now_ms,
                    u64::from(*identity_changed),
                ],
            ),
            Reading::Nodes(nodes) => (
                "nodes",
                None,
                nodes
                    .iter()
                    .flat_map(|n| [n.node, n.epoch, n.expires_ms, n.start_ms, n.fence_ms])
                    .collect(),
            ),
            Reading::Namespace(n) => ("namespace", Some(&n.layout), vec![n.nodes, n.ttl_ms, n.max_skew_ms, n.floor_ms]),
            Reading::Missing => ("missing", None, Vec::new()),
            Reading::Refused => ("refused", None, Vec::new()),
            Reading::Range { start, end } => ("range", None, vec![*start, *end]),
            Reading::Value(v) => ("value", None, vec![*v]),
            Reading::Lock { ttl_ms, floor_ms, now_ms } => ("lock", None, vec![*ttl_ms, *floor_ms, *now_ms]),
            Reading::Node(n) => ("node", None, vec![*n]),
            Reading::Held { epoch, start_ms, fence_ms } => ("held", None, vec![*epoch, *start_ms, *fence_ms]),
            Reading::Done => ("done", None, Vec::new()),
        }
    }

    /// The holders of a `nodes` reading, in its order (none for another reading).
    pub fn holders(&self) -> Vec<&str> {
        match self {
            Reading::Nodes(nodes) => nodes.iter().map(|n| n.holder.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

/// Why the store refused: one entry per message of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal<'a> {
    /// The namespace is not on the store.
    NamespaceMissing,
    /// The namespace vanished while it was being created.
    NamespaceVanished,
    /// Every node is leased by a live holder.
    NoFreeNode,
    /// Another holder or epoch has the node.
    LeaseLost,
    /// The counter is not on the store.
    CounterMissing,
    /// A guarded counter under another store identity.
    GuardLost,
    /// A Redis number past what Lua computes exactly.
    InvalidRange {
        /// Which number.
        name: &'a str,
        /// Its value, as the script reported it.
        value: &'a str,
    },
    /// Another schema version, or none (`found`).
    SchemaVersion {
        /// The version the store holds.
        found: Option<u64>,
    },
    /// Not an answer of the idloom texts.
    NotProtocol,
}

/// The one message table: the error a refusal about `subject` raises.
pub fn refuse(refusal: Refusal<'_>, subject: &Subject<'_>) -> Error {
    let (code, message) = match refusal {
        Refusal::NamespaceMissing => (
            ErrorCode::StoreStateLost,
            format!(
                "{subject}: missing on this store (a restart without its data, a restore, or never created); \
                 init it (not fresh) to start above every old fence"
            ),
        ),
        Refusal::NamespaceVanished => (ErrorCode::StoreStateLost, format!("{subject}: vanished while it was created")),
        Refusal::NoFreeNode => (
            ErrorCode::NoFreeNode,
            format!("{subject}: every node is leased by a live holder: add nodes, or wait one TTL"),
        ),
        Refusal::LeaseLost => (ErrorCode::LeaseLost, format!("{subject}: another holder or epoch has the node")),
        Refusal::CounterMissing => (
            ErrorCode::StoreStateLost,
            format!("{subject}: no such counter; init_segment it with a floor above every ID handed out"),
        ),
        Refusal::GuardLost => (ErrorCode::StoreStateLost, format!("{subject}: {}", super::GUARD_LOST)),
        Refusal::InvalidRange { name, value } => (
            ErrorCode::InvalidRange,
            format!(
                "{subject}: {name} {value} is past what Redis Lua computes exactly \
                 (integers below 2^53 - 1, less one step for a counter)"
            ),
        ),
        Refusal::SchemaVersion { found } => return schema_version(&format!("{subject}"), found),
        Refusal::NotProtocol => (
            ErrorCode::StoreSchema,
            format!("{subject}: an answer that is not the idloom protocol"),
        ),
    };
    Error::store(code, message)
}

/// Another schema version on `engine`, or none.
fn schema_version(engine: &str, found: Option<u64>) -> Error {
    let found = found.map_or_else(|| "none".to_string(), |v| v.to_string());
    let message = format!(
        "{engine}: idloom schema version {found}, this idloom needs {}",
        super::SCHEMA_VERSION
    );
    Error::store(ErrorCode::StoreSchema, message)
}

/// Every call [`read`] knows, by engine.
#[rustfmt::skip] // one engine a line
pub const CALLS: &[(&str, &[&str])] = &[
    ("postgres", &["schema_version", "namespace_init", "namespace_get", "acquire", "renew", "release", "nodes", "segment_fetch",
                   "segment_read", "segment_cas"]),
    ("mysql", &["schema_version", "namespace_init", "namespace_get", "acquire_lock", "acquire_pick", "renew_lock", "renew",
                "node_get", "release", "nodes", "segment_fetch", "segment_read", "segment_cas"]),
    ("redis", &["namespace_init", "namespace_get", "acquire", "renew", "release", "nodes", "incrby", "segment_init"]),
];

struct Fields<'c, 'a> {
    cells: &'c [Cell<'a>],
    subject: &'c Subject<'c>,
}

impl Fields<'_, '_> {
    fn int(&self, i: usize) -> Result<u64> {
        self.cells
            .get(i)
            .and_then(Cell::int)
            .ok_or_else(|| refuse(Refusal::NotProtocol, self.subject))
    }
    /// The first three cells as integers (MariaDB's lock row, a node row).
    fn three(&self) -> Result<[u64; 3]> {
        Ok([self.int(0)?, self.int(1)?, self.int(2)?])
    }
    fn grant(&self, at: usize) -> Result<Grant> {
        Ok(Grant {
            node: self.int(at)?,
            epoch: self.int(at + 1)?,
            start_ms: self.int(at + 2)?,
            fence_ms: self.int(at + 3)?,
            store_now_ms: self.int(at + 4)?,
        })
    }
    /// An acquire's or a renewal's grant at `at`, then whether the store's
    /// identity changed (true or 1; absent in the answers of texts before it
    /// was reported, and always on MariaDB: false).
    fn granted(&self, at: usize) -> Result<Reading> {
        let identity_changed = match self.cells.get(at + 5) {
            None | Some(Cell::Null) => false,
            Some(Cell::Bool(b)) => *b,
            Some(c) => c.int().ok_or_else(|| refuse(Refusal::NotProtocol, self.subject))? != 0,
        };
        Ok(Reading::Grant {
            grant: self.grant(at)?,
            identity_changed,
        })
    }
    /// A status row (node, holder, epoch, expires_ms, start_ms, fence_ms)
    /// at `at`; a holder that is not text is empty (never held).
    fn node_status(&self, at: usize) -> Result<NodeStatus> {
        Ok(NodeStatus {
            node: self.int(at)?,
            holder: self.cells.get(at + 1).and_then(Cell::text).unwrap_or("").to_string(),
            epoch: self.int(at + 2)?,
            expires_ms: self.int(at + 3)?,
            start_ms: self.int(at + 4)?,
            fence_ms: self.int(at + 5)?,
        })
    }
    fn namespace(&self, at: usize) -> Result<NamespaceRecord> {
        let layout = self
            .cells
            .get(at)
            .and_then(Cell::text)
            .ok_or_else(|| refuse(Refusal::NotProtocol, self.subject))?;
        Ok(NamespaceRecord {
            layout: layout.to_string(),
            nodes: self.int(at + 1)?,
            ttl_ms: self.int(at + 2)?,
            max_skew_ms: self.int(at + 3)?,
            floor_ms: self.int(at + 4)?,
        })
    }
}

/// What `answer` — the first row of an SQL call (`None`: no row; a count of
/// rows changed is a one-cell row), or a Redis script's reply — means for
/// `call` on `engine` ([`CALLS`]), about `subject`. A refusal is the error
/// to raise (from [`refuse`]); a call or engine it does not know is
/// `invalid_argument`.
pub fn read(engine: &str, call: &str, subject: &Subject<'_>, answer: Option<&[Cell<'_>]>) -> Result<Reading> {
    match engine {
        "postgres" | "mysql" => read_sql(engine, call, subject, answer),
        "redis" => read_redis(call, subject, answer.unwrap_or(&[])),
        _ => Err(Error::reason(
            ErrorCode::InvalidArgument,
            "engine",
            "must be postgres, mysql or redis",
        )),
    }
}

fn unknown_call() -> Error {
    Error::reason(
        ErrorCode::InvalidArgument,
        "call",
        "not a call of this engine (see idloom::stores::answer::CALLS)",
    )
}

fn read_sql(engine: &str, call: &str, subject: &Subject<'_>, answer: Option<&[Cell<'_>]>) -> Result<Reading> {
    let f = |cells| Fields { cells, subject };
    let mysql = engine == "mysql";
    match (call, answer) {
        ("schema_version", row) => {
            let found = row.and_then(|r| r.first()).and_then(Cell::int);
            if found == Some(super::SCHEMA_VERSION as u64) {
                Ok(Reading::Done)
            } else {
                Err(schema_version(engine, found))
            }
        }
        ("namespace_init", None) => Err(refuse(Refusal::NamespaceVanished, subject)),
        ("namespace_init" | "namespace_get", Some(row)) => Ok(Reading::Namespace(f(row).namespace(0)?)),
        ("namespace_get", None) => Ok(Reading::Missing),
        // PostgreSQL: one statement; (found, node, epoch, start, fence, now).
        ("acquire", row) if !mysql => match row {
            None | Some([Cell::Bool(false), ..]) => Err(refuse(Refusal::NamespaceMissing, subject)),
            Some([Cell::Bool(true), Cell::Null, ..]) => Err(refuse(Refusal::NoFreeNode, subject)),
            Some(row @ [Cell::Bool(true), ..]) => f(row).granted(1),
            Some(_) => Err(refuse(Refusal::NotProtocol, subject)),
        },
        ("renew", None) if !mysql => Ok(Reading::Refused),
        ("renew", Some(row)) if !mysql => f(row).granted(0),
        ("release", row) if !mysql => match row {
            None => Err(refuse(Refusal::LeaseLost, subject)),
            Some(_) => Ok(Reading::Done),
        },
        // MariaDB: the namespace row under lock (ttl, floor, now), the pick, the take.
        ("acquire_lock", None) if mysql => Err(refuse(Refusal::NamespaceMissing, subject)),
        ("renew_lock", None) if mysql => Ok(Reading::Refused),
        ("acquire_lock" | "renew_lock", Some(row)) if mysql => {
            let [ttl_ms, floor_ms, now_ms] = f(row).three()?;
            Ok(Reading::Lock { ttl_ms, floor_ms, now_ms })
        }
        ("acquire_pick", None) if mysql => Err(refuse(Refusal::NoFreeNode, subject)),
        ("acquire_pick", Some(row)) if mysql => Ok(Reading::Node(f(row).int(0)?)),
        ("node_get", Some(row)) if mysql => {
            let [epoch, start_ms, fence_ms] = f(row).three()?;
            Ok(Reading::Held { epoch, start_ms, fence_ms })
        }
        ("node_get", None) if mysql => Err(refuse(Refusal::NotProtocol, subject)),
        // One status row each (none: the namespace has no nodes).
        ("nodes", None) => Ok(Reading::Nodes(Vec::new())),
        ("nodes", Some(row)) => Ok(Reading::Nodes(vec![f(row).node_status(0)?])),
        // Rows changed.
        ("renew", row) if mysql => Ok(if changed(row, subject)? { Reading::Done } else { Reading::Refused }),
        ("release", row) if mysql => {
            if changed(row, subject)? {
                Ok(Reading::Done)
            } else {
                Err(refuse(Refusal::LeaseLost, subject))
            }
        }
        ("segment_cas", row) => Ok(if changed(row, subject)? { Reading::Done } else { Reading::Refused }),
        // Segments: (start, end), or (NULL, NULL) guarded under another identity; no row: no counter.
        ("segment_fetch", None) => Err(refuse(Refusal::CounterMissing, subject)),
        ("segment_fetch", Some([Cell::Null, ..])) => Err(refuse(Refusal::GuardLost, subject)),
        ("segment_fetch", Some(row)) => {
            let r = f(row);
            Ok(Reading::Range {
                start: r.int(0)?,
                end: r.int(1)?,
            })
        }
        ("segment_read", None) => Err(refuse(Refusal::CounterMissing, subject)),
        ("segment_read", Some([_, Cell::Bool(true), ..])) => Err(refuse(Refusal::GuardLost, subject)),
        ("segment_read", Some([_, Cell::Int(1), ..])) => Err(refuse(Refusal::GuardLost, subject)),
        ("segment_read", Some(row)) => Ok(Reading::Value(f(row).int(0)?)),
        _ => Err(unknown_call()),
    }
}

/// A one-cell "rows changed" answer: more than zero.
fn changed(row: Option<&[Cell<'_>]>, subject: &Subject<'_>) -> Result<bool> {
    match row.and_then(|r| r.first()).and_then(Cell::int) {
        Some(n) => Ok(n > 0),
        None => Err(refuse(Refusal::NotProtocol, subject)),
    }
}

fn read_redis(call: &str, subject: &Subject<'_>, reply: &[Cell<'_>]) -> Result<Reading> {
    if !CALLS[2].1.contains(&call) {
        return Err(unknown_call());
    }
    let head = reply.first().and_then(Cell::text).unwrap_or("");
    let rest = Fields {
        cells: reply.get(1..).unwrap_or(&[]),
        subject,
    };
    // Two scripts answer without a head (`ok` or a refusal): `namespace_init.lua` the record
    // itself (HMGET), `segment_init.lua` the counter (GET) unless it refuses.
    let headed = matches!(head, "ok" | "state_lost" | "lease_lost" | "no_free_node" | "invalid_range");
    match call {
        "namespace_init" if !headed => return Ok(Reading::Namespace(Fields { cells: reply, subject }.namespace(0)?)),
        "segment_init" if !headed => {
            return match reply.first().and_then(Cell::int) {
                Some(v) => Ok(Reading::Value(v)),
                None => Err(refuse(Refusal::NotProtocol, subject)),
            }
        }
        _ => {}
    }
    match head {
        "ok" => match call {
            "namespace_init" | "namespace_get" => Ok(Reading::Namespace(rest.namespace(0)?)),
            "acquire" => rest.granted(0),
            "renew" => rest.granted(0),
            "nodes" if rest.cells.len().is_multiple_of(6) => rest
                .cells
                .chunks(6)
                .map(|row| Fields { cells: row, subject }.node_status(0))
                .collect::<Result<_>>()
                .map(Reading::Nodes),
            "nodes" => Err(refuse(Refusal::NotProtocol, subject)),
            "incrby" => Ok(Reading::Range {
                start: rest.int(0)?,
                end: rest.int(1)?,
            }),
            _ => Ok(Reading::Done),
        },
        "state_lost" if call == "renew" => Ok(Reading::Refused),
        "state_lost" if call == "namespace_get" => Ok(Reading::Missing),
        "state_lost" if rest.cells.first().and_then(Cell::text) == Some("store_identity") => Err(refuse(Refusal::GuardLost, subject)),
        "state_lost" if subject.biz_tag.is_some() => Err(refuse(Refusal::CounterMissing, subject)),
        "state_lost" => Err(refuse(Refusal::NamespaceMissing, subject)),
        "lease_lost" if call == "renew" => Ok(Reading::Refused),
        "lease_lost" => Err(refuse(Refusal::LeaseLost, subject)),
        "no_free_node" => Err(refuse(Refusal::NoFreeNode, subject)),
        "invalid_range" => Err(refuse(
            Refusal::InvalidRange {
                name: rest.cells.first().and_then(Cell::text).unwrap_or("value"),
                value: match rest.cells.get(1) {
                    Some(Cell::Text(t)) => t,
                    _ => "?",
                },
            },
            subject,
        )),
        _ => Err(refuse(Refusal::NotProtocol, subject)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    const NS: Subject<'static> = Subject {
        namespace: Some("orders"),
        node: None,
        epoch: None,
        biz_tag: None,
    };

    #[test]
    fn postgres_acquire() {
        let row = [
            Cell::Bool(true),
            Cell::Int(3),
            Cell::Int(7),
            Cell::Int(10),
            Cell::Int(20),
            Cell::Int(5),
        ];
        let g = read("postgres", "acquire", &NS, Some(&row)).unwrap();
        assert!(matches!(
            g,
            Reading::Grant {
                grant: Grant { node: 3, epoch: 7, .. },
                identity_changed: false
            }
        ));
        let mut changed = row.to_vec();
        changed.push(Cell::Bool(true));
        let g = read("postgres", "acquire", &NS, Some(&changed)).unwrap();
        assert!(matches!(
            g,
            Reading::Grant {
                identity_changed: true,
                ..
            }
        ));
        let none = [Cell::Bool(true), Cell::Null, Cell::Null, Cell::Null, Cell::Null, Cell::Int(5)];
        let e = read("postgres", "acquire", &NS, Some(&none)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NoFreeNode);
        assert!(e.to_string().starts_with("namespace orders: every node is leased by a live holder"));
        let e = read("postgres", "acquire", &NS, Some(&[Cell::Bool(false)])).unwrap_err();
        assert_eq!(e.code(), ErrorCode::StoreStateLost);
    }

    #[test]
    fn redis_refusals() {
        let tag = Subject {
            biz_tag: Some("invoice"),
            ..Subject::default()
        };
        let e = read("redis", "incrby", &tag, Some(&[Cell::Text("state_lost")])).unwrap_err();
        assert!(e.to_string().contains("no such counter"));
        let e = read(
            "redis",
            "incrby",
            &tag,
            Some(&[Cell::Text("state_lost"), Cell::Text("store_identity")]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("store identity changed"));
        let r = read("redis", "renew", &NS, Some(&[Cell::Text("lease_lost")])).unwrap();
        assert_eq!(r, Reading::Refused);
        let e = read("redis", "acquire", &NS, Some(&[Cell::Text("surprise")])).unwrap_err();
        assert_eq!(e.code(), ErrorCode::StoreSchema);
        assert!(read("redis", "nope", &NS, None).is_err());
    }

    #[test]
    fn schema_version() {
        assert_eq!(
            read("postgres", "schema_version", &NS, Some(&[Cell::Int(1)])).unwrap(),
            Reading::Done
        );
        let e = read("mysql", "schema_version", &NS, None).unwrap_err();
        assert_eq!(e.to_string(), "mysql: idloom schema version none, this idloom needs 1");
    }
}
