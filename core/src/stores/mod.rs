//! The texts every binding runs on its own store driver: SQL for
//! PostgreSQL, Lua for Redis, each one file under `core/stores/`, included
//! here at compile time. One copy: the Python and Node adapters execute
//! these constants; the core never connects to anything.
//!
//! The protocol around the texts is here too, so that no binding writes it
//! again: [`failure`] classifies every driver failure, [`answer`] reads
//! every answer (one message table), [`args`] bounds every number,
//! [`cas`] and [`group`] are Leaf's compare-and-set fetch and a group's
//! turn as state machines, [`renewal`] is a renewal's outcome as one action.
//! [`kv`] is the lease protocol on compare-and-set key-value stores
//! (ZooKeeper, etcd): their records, keys and each call's write.
//! `docs/COORDINATION.md` is the design these follow.
//!
//! Conventions: store time and identity come from the server (PostgreSQL
//! `clock_timestamp()`, `pg_control_system()` and `pg_control_checkpoint()`;
//! Redis `TIME` and `INFO server`'s `run_id`); every lease call checks the
//! identity first and raises the namespace floor when it changed. Redis keys
//! of a namespace share one hash tag (`{idloom:NS}`), so they live on one
//! Cluster slot. Segment tables are named by the caller ([`segment_sql`]),
//! checked as identifiers so that the name cannot carry SQL.

use crate::error::{Error, ErrorCode, Result};
use alloc::format;
use alloc::string::String;

pub mod answer;
pub mod args;
pub mod cas;
pub mod failure;
pub mod group;
pub mod kv;
pub mod kvcall;
pub mod renewal;

pub use answer::{read, refuse, Cell, NamespaceRecord, NodeStatus, OwnedCell, Reading, Refusal, Subject};
pub use failure::{classify, Fault};

/// The schema version these texts expect (`idloom_schema.version`, Redis `schema`).
/// The node indexes (`idloom_node_expiry`, `idloom_node_holder`) and Redis's
/// expiry set and holder map are additive: the texts answer the same with or
/// without them, `init` adds them to existing tables, and Redis builds its
/// index as it goes, so version 1 stays (see `docs/stores.md`).
pub const SCHEMA_VERSION: i32 = 1;

/// The node count a namespace gets when the caller names none (or the
/// layout's node count when that is smaller): enough for a large fleet,
/// small enough to create, list and lease on every engine at once.
pub const DEFAULT_NODES: u64 = 1024;

/// The most nodes a namespace may have on `engine`: `"postgres"` and
/// `"mysql"` 1,048,576 (one row per node, created by `init`: ~1 M rows in
/// bulk), `"redis"` 4,194,304 (node records are created as they are leased;
/// a status lists 1,024 nodes per script call), `"memory"` (the reference
/// model, a Durable Object keeping every record in memory) 65,536,
/// `"zookeeper"` and `"etcd"` 1,024 (an acquire reads every node's record:
/// O(n) there, O(log n) on the others). `None` for another engine.
pub const fn max_nodes(engine: &str) -> Option<u64> {
    match engine.as_bytes() {
        b"postgres" | b"mysql" => Some(1 << 20),
        b"redis" => Some(1 << 22),
        b"memory" => Some(crate::limits::DURABLE_OBJECT_MAX_NODES),
        b"zookeeper" | b"etcd" => Some(1 << 10),
        _ => None,
    }
}

/// The node count of a namespace on `engine` with `layout`: `nodes`, checked
/// against 1..=min(the engine's [`max_nodes`], the layout's node count)
/// (`invalid_argument`, naming `nodes` and the range), or [`DEFAULT_NODES`]
/// (at most the layout's node count) when `None`. Every binding's
/// `init_namespace` asks this.
pub fn namespace_nodes(engine: &str, layout: &crate::layout::Layout, nodes: Option<u64>) -> Result<u64> {
    let Some(max) = max_nodes(engine) else {
        return Err(Error::reason(
            ErrorCode::InvalidArgument,
            "engine",
            "must be postgres, mysql, redis, zookeeper, etcd or memory",
        ));
    };
    let most = max.min(layout.max_node().saturating_add(1));
    match nodes {
        None => Ok(DEFAULT_NODES.min(most)),
        Some(n) if (1..=most).contains(&n) => Ok(n),
        Some(n) => Err(Error::range(ErrorCode::InvalidArgument, "nodes", n, 1, most)),
    }
}

/// PostgreSQL texts (`$n` parameters, one statement each).
pub mod postgres {
    /// Create the coordination tables (idempotent; several statements: run as a simple query).
    pub const SCHEMA: &str = include_str!("../../stores/postgres/schema.sql");
    /// The schema version stored.
    pub const SCHEMA_VERSION: &str = include_str!("../../stores/postgres/schema_version.sql");
    /// Create a namespace if missing; answers its record.
    pub const NAMESPACE_INIT: &str = include_str!("../../stores/postgres/namespace_init.sql");
    /// A namespace's record (lookup).
    pub const NAMESPACE_GET: &str = include_str!("../../stores/postgres/namespace_get.sql");
    /// Lease a node.
    pub const ACQUIRE: &str = include_str!("../../stores/postgres/acquire.sql");
    /// Renew a lease.
    pub const RENEW: &str = include_str!("../../stores/postgres/renew.sql");
    /// Release a lease with a high-water.
    pub const RELEASE: &str = include_str!("../../stores/postgres/release.sql");
    /// The nodes of a namespace (status).
    pub const NODES: &str = include_str!("../../stores/postgres/nodes.sql");
    /// The segment table (`{table}`: use [`super::segment_sql`]).
    pub const SEGMENT_SCHEMA: &str = include_str!("../../stores/postgres/segment_schema.sql");
    /// Create a counter if missing.
    pub const SEGMENT_INIT: &str = include_str!("../../stores/postgres/segment_init.sql");
    /// Take a range in one statement.
    pub const SEGMENT_FETCH: &str = include_str!("../../stores/postgres/segment_fetch.sql");
    /// Compare-and-set mode: read.
    pub const SEGMENT_READ: &str = include_str!("../../stores/postgres/segment_read.sql");
    /// Compare-and-set mode: write.
    pub const SEGMENT_CAS: &str = include_str!("../../stores/postgres/segment_cas.sql");
    /// The `store_identity` column of guarded counters, added to an existing table (idempotent).
    pub const SEGMENT_GUARD_SCHEMA: &str = include_str!("../../stores/postgres/segment_guard_schema.sql");
    /// Create or re-initialise a guarded counter (see [`super::GUARD_LOST`]).
    pub const SEGMENT_INIT_GUARD: &str = include_str!("../../stores/postgres/segment_init_guard.sql");
    /// A sequence with a step (`{table}`, `{start}`, `{increment}`: [`super::sequence_sql`]).
    pub const SEQUENCE_CREATE: &str = include_str!("../../stores/postgres/sequence_create.sql");
    /// The next range of a sequence (see its durability note).
    pub const SEQUENCE_FETCH: &str = include_str!("../../stores/postgres/sequence_fetch.sql");
}

/// MariaDB / MySQL texts (`?` parameters). MariaDB has no `UPDATE …
/// RETURNING`, so a lease call is a short transaction of these statements
/// (the namespace row locked first: acquisitions serialise per namespace),
/// and an atomic segment fetch reads `LAST_INSERT_ID()` on the same connection.
/// MariaDB has no store identity the texts can read: a lost namespace is
/// re-created with a floor; identity checks are PostgreSQL's and Redis's.
pub mod mysql {
    /// Create the coordination tables: run each of [`schema_statements`].
    pub const SCHEMA: &str = include_str!("../../stores/mysql/schema.sql");
    /// The schema version stored.
    pub const SCHEMA_VERSION: &str = include_str!("../../stores/mysql/schema_version.sql");
    /// The store's clock.
    pub const NOW: &str = include_str!("../../stores/mysql/now.sql");
    /// Create a namespace if missing.
    pub const NAMESPACE_INIT: &str = include_str!("../../stores/mysql/namespace_init.sql");
    /// A namespace's record.
    pub const NAMESPACE_GET: &str = include_str!("../../stores/mysql/namespace_get.sql");
    /// One node row (idempotent).
    pub const NODE_ROWS: &str = include_str!("../../stores/mysql/node_rows.sql");
    /// Lease transaction step 1: lock the namespace, read the clock.
    pub const NAMESPACE_LOCK: &str = include_str!("../../stores/mysql/namespace_lock.sql");
    /// Acquire step 2: pick a free node.
    pub const ACQUIRE_PICK: &str = include_str!("../../stores/mysql/acquire_pick.sql");
    /// Acquire step 3: take it.
    pub const ACQUIRE_TAKE: &str = include_str!("../../stores/mysql/acquire_take.sql");
    /// A node's lease.
    pub const NODE_GET: &str = include_str!("../../stores/mysql/node_get.sql");
    /// The nodes of a namespace (status).
    pub const NODES: &str = include_str!("../../stores/mysql/nodes.sql");
    /// Renew (after `NAMESPACE_LOCK`).
    pub const RENEW: &str = include_str!("../../stores/mysql/renew.sql");
    /// Release with a high-water.
    pub const RELEASE: &str = include_str!("../../stores/mysql/release.sql");
    /// The Leaf segment table (`{table}`: [`super::segment_sql`]).
    pub const SEGMENT_SCHEMA: &str = include_str!("../../stores/mysql/segment_schema.sql");
    /// Create a counter if missing.
    pub const SEGMENT_INIT: &str = include_str!("../../stores/mysql/segment_init.sql");
    /// Atomic mode: `max_id = LAST_INSERT_ID(max_id + step)`.
    pub const SEGMENT_FETCH: &str = include_str!("../../stores/mysql/segment_fetch.sql");
    /// `LAST_INSERT_ID()` on the same connection.
    pub const LAST_ID: &str = include_str!("../../stores/mysql/segment_last_id.sql");
    /// Compare-and-set mode: read.
    pub const SEGMENT_READ: &str = include_str!("../../stores/mysql/segment_read.sql");
    /// Compare-and-set mode: write.
    pub const SEGMENT_CAS: &str = include_str!("../../stores/mysql/segment_cas.sql");
    /// A sequence with a step (`{table}`, `{start}`, `{increment}`: [`super::sequence_sql`]).
    pub const SEQUENCE_CREATE: &str = include_str!("../../stores/mysql/sequence_create.sql");
    /// The next range of a sequence.
    pub const SEQUENCE_FETCH: &str = include_str!("../../stores/mysql/sequence_fetch.sql");
    /// A Flickr ticket table.
    pub const TICKET_SCHEMA: &str = include_str!("../../stores/mysql/ticket_schema.sql");
    /// The next ticket (`INSERT … ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(…)`).
    pub const TICKET_NEXT: &str = include_str!("../../stores/mysql/ticket_next.sql");
    /// The next ticket, Flickr's `REPLACE INTO` form.
    pub const TICKET_REPLACE: &str = include_str!("../../stores/mysql/ticket_replace.sql");

    /// The statements of [`SCHEMA`], one at a time (the drivers run one per call).
    pub fn schema_statements() -> impl Iterator<Item = &'static str> {
        SCHEMA
            .split(";\n")
            .map(str::trim)
            .filter(|s| s.lines().any(|l| !l.trim_start().starts_with("--") && !l.trim().is_empty()))
    }
}

/// What a fetch from a guarded counter answers when the store's identity is
/// no longer the one the counter recorded (`store_state_lost`; the bindings
/// put the counter's name in front). Also in [`texts`] as `GUARD_LOST` for
/// `postgres` and `redis`.
///
/// A guarded counter (`init_segment(tag, floor, guard)`) records the store's
/// identity with it: PostgreSQL's `system_identifier/timeline` in the
/// table's `store_identity` column, Redis's `run_id` in the key
/// `{idloom:seg:TAG}:run_id` ([`redis::guard_key`]). Every fetch compares it
/// with the store's in the same statement or script: a restore from an older
/// backup, a promotion, or (Redis) any restart refuses the counter, which
/// may be behind IDs already handed out, until it is re-initialised with a
/// floor above them: `max(counter, floor)`, never lowered.
pub const GUARD_LOST: &str = "the store identity changed since this counter was guarded (a restore from \
a backup, a promotion or failover, or a Redis restart): the counter may be behind IDs already handed \
out. Re-initialise it with init_segment(tag, floor=F, guard=True) (Node: initSegment(tag, { floor: F, \
guard: true })), F above every ID handed out before";

/// Why a MariaDB/MySQL counter cannot be guarded ([`check_guard`]); also in
/// [`texts`]`("mysql")` as `GUARD_REFUSED`, for the bindings' own checks.
pub const GUARD_REFUSED: &str = "MariaDB/MySQL has no store identity its statements can read (no system \
identifier, no run_id), so a counter restored from an older backup cannot be told apart there: use \
PostgreSQL or Redis for a guarded counter, or re-initialise MariaDB counters above every ID handed out \
after a restore";

/// Whether `engine` can guard a counter ([`GUARD_LOST`]): `postgres` and
/// `redis` can (they have an identity the texts read); `mysql` is refused
/// (`invalid_argument` naming `guard`: MariaDB has no store identity its
/// statements can read, so a restore could not be told apart), as is any
/// other engine. Every binding's `init_segment(…, guard)` asks this first.
pub fn check_guard(engine: &str) -> Result<()> {
    match engine {
        "postgres" | "redis" => Ok(()),
        "mysql" => Err(Error::reason(ErrorCode::InvalidArgument, "guard", GUARD_REFUSED)),
        _ => Err(Error::reason(
            ErrorCode::InvalidArgument,
            "guard",
            "only PostgreSQL and Redis counters can be guarded",
        )),
    }
}

/// Every text of an engine (`"postgres"`, `"mysql"`, `"redis"`) by its
/// constant's name, for bindings that hand them to the host language as a
/// table; `None` for another engine. `postgres` and `redis` also carry
/// `GUARD_LOST` ([`GUARD_LOST`]), `mysql` `GUARD_REFUSED` ([`GUARD_REFUSED`]):
/// messages, not statements.
pub fn texts(engine: &str) -> Option<&'static [(&'static str, &'static str)]> {
    Some(match engine {
        "postgres" => &[
            ("SCHEMA", postgres::SCHEMA),
            ("SCHEMA_VERSION", postgres::SCHEMA_VERSION),
            ("NAMESPACE_INIT", postgres::NAMESPACE_INIT),
            ("NAMESPACE_GET", postgres::NAMESPACE_GET),
            ("ACQUIRE", postgres::ACQUIRE),
            ("RENEW", postgres::RENEW),
            ("RELEASE", postgres::RELEASE),
            ("NODES", postgres::NODES),
            ("SEGMENT_SCHEMA", postgres::SEGMENT_SCHEMA),
            ("SEGMENT_INIT", postgres::SEGMENT_INIT),
            ("SEGMENT_FETCH", postgres::SEGMENT_FETCH),
            ("SEGMENT_READ", postgres::SEGMENT_READ),
            ("SEGMENT_CAS", postgres::SEGMENT_CAS),
            ("SEGMENT_GUARD_SCHEMA", postgres::SEGMENT_GUARD_SCHEMA),
            ("SEGMENT_INIT_GUARD", postgres::SEGMENT_INIT_GUARD),
            ("SEQUENCE_CREATE", postgres::SEQUENCE_CREATE),
            ("SEQUENCE_FETCH", postgres::SEQUENCE_FETCH),
            ("GUARD_LOST", GUARD_LOST),
        ],
        "mysql" => &[
            ("SCHEMA", mysql::SCHEMA),
            ("SCHEMA_VERSION", mysql::SCHEMA_VERSION),
            ("NOW", mysql::NOW),
            ("NAMESPACE_INIT", mysql::NAMESPACE_INIT),
            ("NAMESPACE_GET", mysql::NAMESPACE_GET),
            ("NODE_ROWS", mysql::NODE_ROWS),
            ("NAMESPACE_LOCK", mysql::NAMESPACE_LOCK),
            ("ACQUIRE_PICK", mysql::ACQUIRE_PICK),
            ("ACQUIRE_TAKE", mysql::ACQUIRE_TAKE),
            ("NODE_GET", mysql::NODE_GET),
            ("NODES", mysql::NODES),
            ("RENEW", mysql::RENEW),
            ("RELEASE", mysql::RELEASE),
            ("SEGMENT_SCHEMA", mysql::SEGMENT_SCHEMA),
            ("SEGMENT_INIT", mysql::SEGMENT_INIT),
            ("SEGMENT_FETCH", mysql::SEGMENT_FETCH),
            ("LAST_ID", mysql::LAST_ID),
            ("SEGMENT_READ", mysql::SEGMENT_READ),
            ("SEGMENT_CAS", mysql::SEGMENT_CAS),
            ("SEQUENCE_CREATE", mysql::SEQUENCE_CREATE),
            ("SEQUENCE_FETCH", mysql::SEQUENCE_FETCH),
            ("TICKET_SCHEMA", mysql::TICKET_SCHEMA),
            ("TICKET_NEXT", mysql::TICKET_NEXT),
            ("TICKET_REPLACE", mysql::TICKET_REPLACE),
            ("GUARD_REFUSED", GUARD_REFUSED),
        ],
        "redis" => &[
            ("NAMESPACE_INIT", redis::NAMESPACE_INIT),
            ("NAMESPACE_GET", redis::NAMESPACE_GET),
            ("NODES", redis::NODES),
            ("ACQUIRE", redis::ACQUIRE),
            ("RENEW", redis::RENEW),
            ("RELEASE", redis::RELEASE),
            ("INCRBY", redis::INCRBY),
            ("SEGMENT_INIT", redis::SEGMENT_INIT),
            ("GUARD_LOST", GUARD_LOST),
        ],
        _ => return None,
    })
}

/// Compare-and-set rounds a Leaf `cas` fetch tries before it gives up
/// (`store_unavailable`: too much contention on one row).
pub const CAS_TRIES: u32 = 16;

/// The pause before compare-and-set round `attempt + 1`, in microseconds,
/// for a uniform `unit` in `[0, 1)` the host draws: jittered and doubling
/// (at most 250 µs × 2^attempt, capped at 64 ms; at least 50 µs), so
/// contenders that lost together spread out instead of colliding again.
/// All 16 rounds wait at most about 0.6 s.
pub fn cas_pause_us(attempt: u32, unit: f64) -> u64 {
    let ceiling = (250u64 << attempt.min(8)).min(64_000) as f64;
    let unit = if unit.is_finite() { unit.clamp(0.0, 1.0) } else { 0.5 };
    ((unit * ceiling) as u64).max(50)
}

/// The start and increment of sequence `index` of `count` that hand out
/// ranges of `step` from `floor` (Tinyid's remainder and delta: N databases,
/// sequence *k* starting at `floor + k × step`, each moving `count × step`),
/// so the ranges of the `count` sequences never meet. Each number is checked
/// against its range (`step` 1..=2³¹−1, `floor` 0..=2⁶², `count` 1..=1024,
/// `index` below `count`).
pub fn sequence_numbers(step: u64, floor: u64, index: u64, count: u64) -> Result<(u64, u64)> {
    let check = |name: &'static str, v: u64, lo: u64, hi: u64| {
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(Error::range(ErrorCode::InvalidArgument, name, v, lo, hi))
        }
    };
    let step = check("step", step, 1, (1 << 31) - 1)?;
    let floor = check("floor", floor, 0, 1 << 62)?;
    let count = check("count", count, 1, 1024)?;
    let index = check("index", index, 0, count - 1)?;
    Ok((floor + index * step, count * step))
}

/// A sequence text with its name, start and increment in place (the name an
/// identifier as for [`segment_sql`]; the numbers checked integers).
pub fn sequence_sql(text: &str, name: &str, start: u64, increment: u64) -> Result<String> {
    if increment == 0 || increment > i64::MAX as u64 || start > i64::MAX as u64 {
        return Err(Error::range(ErrorCode::InvalidArgument, "increment", increment, 1, i64::MAX));
    }
    crate::inputs::sql_name(name, "name")?;
    Ok(text
        .replace("{table}", name)
        .replace("{start}", &format!("{start}"))
        .replace("{increment}", &format!("{increment}")))
}

/// Redis Lua scripts (run with `EVAL`; `KEYS[1]` is the namespace key or the counter).
/// Every script starts with `stores/redis/ints.lua` (integers Lua's doubles
/// hold exactly, [`redis::MAX_INT`]); the lease scripts then with
/// `stores/redis/clock.lua` (clock, identity, namespace floor).
pub mod redis {
    use crate::error::{Error, ErrorCode, Result};

    /// Create a namespace if missing; answers its record.
    pub const NAMESPACE_INIT: &str = concat!(
        include_str!("../../stores/redis/ints.lua"),
        include_str!("../../stores/redis/clock.lua"),
        include_str!("../../stores/redis/namespace_init.lua")
    );
    /// Lease a node.
    pub const ACQUIRE: &str = concat!(
        include_str!("../../stores/redis/ints.lua"),
        include_str!("../../stores/redis/clock.lua"),
        include_str!("../../stores/redis/acquire.lua")
    );
    /// Renew a lease.
    pub const RENEW: &str = concat!(
        include_str!("../../stores/redis/ints.lua"),
        include_str!("../../stores/redis/clock.lua"),
        include_str!("../../stores/redis/renew.lua")
    );
    /// Release a lease with a high-water.
    pub const RELEASE: &str = concat!(
        include_str!("../../stores/redis/ints.lua"),
        include_str!("../../stores/redis/release.lua")
    );
    /// A namespace's record (lookup, read only).
    pub const NAMESPACE_GET: &str = include_str!("../../stores/redis/namespace_get.lua");
    /// The nodes of a namespace (status).
    pub const NODES: &str = include_str!("../../stores/redis/nodes.lua");
    /// A segment range from a counter (`INCRBY`; a missing counter is
    /// refused, and so is one at or past [`MAX_INT`] − step).
    /// A guarded counter under another `run_id` is `{"state_lost", "store_identity"}`.
    pub const INCRBY: &str = concat!(
        include_str!("../../stores/redis/ints.lua"),
        include_str!("../../stores/redis/clock.lua"),
        include_str!("../../stores/redis/incrby.lua")
    );
    /// Create a counter at a floor if missing; `ARGV[2] = "1"`: guarded
    /// (re-initialised above the floor when its `run_id` changed).
    pub const SEGMENT_INIT: &str = concat!(
        include_str!("../../stores/redis/ints.lua"),
        include_str!("../../stores/redis/clock.lua"),
        include_str!("../../stores/redis/segment_init.lua")
    );

    /// The largest integer a Redis Lua script computes with: 2⁵³ − 1 (Lua
    /// numbers are doubles). A counter at or past `MAX_INT − step` is refused
    /// (`invalid_range`), never a range computed in rounded doubles.
    pub const MAX_INT: u64 = (1 << 53) - 1;

    /// Check the floor of a Redis counter that ranges of `step` will be drawn
    /// from: `step` in 1..=[`crate::limits::MAX_STEP`] (`invalid_argument`),
    /// `floor` in 0..[`MAX_INT`] − `step` (`invalid_range`: the first fetch
    /// would already be refused). Every binding's `init_segment` on Redis
    /// asks this before it writes.
    pub fn check_counter_floor(floor: u64, step: u64) -> Result<u64> {
        if !(1..=crate::limits::MAX_STEP).contains(&step) {
            return Err(Error::range(ErrorCode::InvalidArgument, "step", step, 1, crate::limits::MAX_STEP));
        }
        let hi = MAX_INT - step - 1;
        if floor > hi {
            return Err(Error::range(ErrorCode::InvalidRange, "floor", floor, 0, hi));
        }
        Ok(floor)
    }

    /// The key of a namespace's record: `{idloom:NS}:ns`.
    pub fn namespace_key(namespace: &str) -> alloc::string::String {
        alloc::format!("{{idloom:{namespace}}}:ns")
    }
    /// The key of a segment counter: `{idloom:seg:TAG}`.
    pub fn counter_key(biz_tag: &str) -> alloc::string::String {
        alloc::format!("{{idloom:seg:{biz_tag}}}")
    }
    /// The key a guarded counter records its `run_id` in:
    /// `{idloom:seg:TAG}:run_id` (the counter's hash tag: one Cluster slot).
    /// The scripts derive it from the counter's key (`KEYS[1] .. ':run_id'`),
    /// so no caller can leave the guard out.
    pub fn guard_key(biz_tag: &str) -> alloc::string::String {
        alloc::format!("{{idloom:seg:{biz_tag}}}:run_id")
    }
}

/// A segment text with its table name in place. The name must be an
/// identifier ([`crate::inputs::table`]: `[A-Za-z_][A-Za-z0-9_]{0,62}`,
/// optionally `schema.table`): anything else is `invalid_argument`, never
/// spliced into SQL.
pub fn segment_sql(text: &str, table: &str) -> Result<String> {
    crate::inputs::table(table)?;
    Ok(text.replace("{table}", table))
}

/// A namespace name, safe as a key part and a file name: 1..=64 of
/// `A-Z a-z 0-9 _ . -`, not starting with `.` ([`crate::inputs::namespace`]).
pub fn check_namespace(namespace: &str) -> Result<()> {
    crate::inputs::namespace(namespace)
}

/// The `layout` a namespace records: the layout's own description.
pub fn layout_record(layout: &crate::layout::Layout) -> String {
    format!("{layout}")
}
