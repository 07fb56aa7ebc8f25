//! Every driver failure, classified once: a binding catches what its driver
//! raises, names it as a [`Fault`] (PostgreSQL's SQLSTATE, MariaDB/MySQL's
//! error number, a Redis error reply, a ZooKeeper error or an etcd gRPC
//! status by name, or no answer at all) and raises the
//! [`Error`] [`classify`] gives — the same code and message in Rust,
//! Python, Node and wasm (`tests/vectors/store_protocol.json` replays the
//! tables in every runtime, so a copy that drifts fails a test).
//!
//! The rule behind the tables: a failure the store may get over by itself
//! (an outage, a restart, a failover, contention, a timeout) is
//! `store_unavailable` — renewals retry it until the fence, fetches fall
//! back to the buffer; a statement the store refuses as such (a missing
//! table, a permission, a type) is `store_schema`, which retrying cannot
//! cure. A code no table names is `store_schema` for SQL (the server
//! answered: it refused) and for a Redis reply alike.

use crate::error::{Error, ErrorCode, Result};
use alloc::format;

/// What a driver reported, in the terms the tables know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault<'a> {
    /// A PostgreSQL error with its SQLSTATE (`"42P01"`).
    Sqlstate(&'a str),
    /// A MariaDB/MySQL error with its number, server or client (`1146`, `2013`).
    Errno(u32),
    /// A Redis error reply, as the server sent it (`"LOADING Redis is loading…"`):
    /// its first word is the class.
    Reply(&'a str),
    /// A ZooKeeper error (`"ConnectionLoss"`) or an etcd gRPC status
    /// (`"Unavailable"`), by the name its client gives it.
    Status(&'a str),
    /// No answer: the connection could not be made, broke, or timed out.
    Connection,
}

use ErrorCode::{StoreSchema as SCHEMA, StoreUnavailable as DOWN};

/// PostgreSQL: SQLSTATE (a full code or a two-character class) → code and
/// why. The first entry whose code the SQLSTATE starts with decides;
/// anything else is `store_schema`.
pub const POSTGRES: &[(&str, ErrorCode, &str)] = &[
    ("42P01", SCHEMA, "a table is missing (run init)"),
    ("08", DOWN, "the connection failed"),
    ("25006", DOWN, "the server is read-only (a standby)"),
    ("40001", DOWN, "a serialization failure (try again)"),
    ("40P01", DOWN, "a deadlock (try again)"),
    ("53", DOWN, "the server is out of resources (connections, memory, disk)"),
    ("55P03", DOWN, "a lock was not available"),
    (
        "57",
        DOWN,
        "the server is not serving (shutdown, restart, a cancelled or timed-out statement)",
    ),
    ("58", DOWN, "a system error on the server"),
];

/// MariaDB/MySQL: error number (server and client) → code and why;
/// anything else is `store_schema`.
pub const MYSQL: &[(u32, ErrorCode, &str)] = &[
    (1146, SCHEMA, "a table is missing (run init)"),
    (1040, DOWN, "too many connections"),
    (1053, DOWN, "the server is shutting down"),
    (1152, DOWN, "the connection was aborted"),
    (1158, DOWN, "a network read failed"),
    (1159, DOWN, "a network read timed out"),
    (1160, DOWN, "a network write failed"),
    (1161, DOWN, "a network write timed out"),
    (1184, DOWN, "the connection was aborted"),
    (1205, DOWN, "a lock wait timed out (try again)"),
    (1213, DOWN, "a deadlock (try again)"),
    (1290, DOWN, "the server is read-only (--read-only)"),
    (1792, DOWN, "a read-only transaction"),
    (1836, DOWN, "the server is in read-only mode"),
    (1927, DOWN, "the connection was killed"),
    (1969, DOWN, "a statement timed out (max_statement_time)"),
    (2002, DOWN, "cannot connect (socket)"),
    (2003, DOWN, "cannot connect"),
    (2005, DOWN, "unknown server host"),
    (2006, DOWN, "the server has gone away"),
    (2013, DOWN, "the connection was lost during a query"),
    (2055, DOWN, "the connection was lost"),
    (3024, DOWN, "a statement timed out (max_execution_time)"),
    (4031, DOWN, "the server closed an idle connection"),
];

/// Redis: the first word of an error reply → code and why; anything else
/// (`ERR`, `WRONGTYPE`, `NOPERM`, …) is `store_schema`.
pub const REDIS: &[(&str, ErrorCode, &str)] = &[
    ("LOADING", DOWN, "the server is loading its data"),
    ("BUSY", DOWN, "a script has run too long"),
    ("MASTERDOWN", DOWN, "the replica lost its primary"),
    ("READONLY", DOWN, "a replica answered a write (a failover?)"),
    (
        "NOREPLICAS",
        DOWN,
        "too few replicas acknowledged the write (min-replicas-to-write)",
    ),
    ("CLUSTERDOWN", DOWN, "the cluster is down"),
    ("TRYAGAIN", DOWN, "a slot is moving (try again)"),
    ("MOVED", DOWN, "the key's slot moved (a client that does not follow the cluster)"),
    ("ASK", DOWN, "the key's slot is moving (a client that does not follow the cluster)"),
    ("MISCONF", DOWN, "the server cannot persist and refuses writes"),
    ("OOM", DOWN, "the server is out of memory (maxmemory)"),
    ("NOSCRIPT", DOWN, "the script cache was flushed (try again)"),
];

/// ZooKeeper: an error's name → code and why; anything else (`NoAuth`,
/// `BadArguments`, `InvalidAcl`, …) is `store_schema`. `BadVersion` and
/// `NodeExists` never get here: they are a compare that lost (read again).
pub const ZOOKEEPER: &[(&str, ErrorCode, &str)] = &[
    ("ConnectionLoss", DOWN, "the connection was lost"),
    ("SessionExpired", DOWN, "the session expired"),
    ("SessionMoved", DOWN, "the session moved to another server"),
    ("ClientClosed", DOWN, "the session was closed"),
    ("NoHosts", DOWN, "no server could be reached"),
    ("Timeout", DOWN, "a request timed out"),
    ("NotReadOnly", DOWN, "a read-only server answered a write (no quorum)"),
    ("Throttled", DOWN, "the server throttled the request"),
];

/// etcd: a gRPC status's name → code and why; anything else
/// (`PermissionDenied`, `InvalidArgument`, `FailedPrecondition`, …) is `store_schema`.
pub const ETCD: &[(&str, ErrorCode, &str)] = &[
    ("Unavailable", DOWN, "no leader, or the member cannot be reached"),
    ("DeadlineExceeded", DOWN, "a request timed out"),
    ("Cancelled", DOWN, "a request was cancelled (the connection went away)"),
    (
        "ResourceExhausted",
        DOWN,
        "the server is out of resources (quota, too many requests)",
    ),
    ("Aborted", DOWN, "a request was aborted (try again)"),
];

/// What two sessions running the same idempotent create text at once
/// (`CREATE … IF NOT EXISTS`, replicas starting together on a fresh
/// database) may meet even so, per engine: PostgreSQL's unique violation on
/// its catalog (23505) or a duplicate object (42P07 table, 42701 column,
/// 42710 object). The object exists now: run the text again.
pub const CREATE_RACES: &[(&str, &[&str])] = &[("postgres", &["23505", "42P07", "42701", "42710"])];

/// How many times in all a binding runs a create text that keeps meeting
/// [`create_race`] before it raises the failure.
pub const CREATE_TRIES: u32 = 3;

/// Whether a create text's failure with `code` (an SQLSTATE) on `engine`
/// is the concurrent-create race ([`CREATE_RACES`]): run the text again,
/// up to [`CREATE_TRIES`] times in all; anything else is classified.
pub fn create_race(engine: &str, code: &str) -> bool {
    CREATE_RACES.iter().any(|(e, codes)| *e == engine && codes.contains(&code))
}

/// The engines whose failures [`classify`] knows.
pub const ENGINES: [&str; 5] = ["postgres", "mysql", "redis", "zookeeper", "etcd"];

fn refused(engine: &str) -> &'static str {
    if engine == "redis" {
        "the server refused an idloom script"
    } else {
        "the server refused an idloom statement"
    }
}

/// The code and reason of `fault` on `engine` (`postgres`, `mysql`,
/// `redis`, `zookeeper`, `etcd`).
pub fn reason(engine: &str, fault: Fault<'_>) -> (ErrorCode, &'static str) {
    match fault {
        Fault::Connection => (DOWN, "the connection failed or was lost"),
        Fault::Sqlstate(state) => POSTGRES
            .iter()
            .find(|(code, ..)| state.starts_with(code))
            .map_or((SCHEMA, refused(engine)), |&(_, c, why)| (c, why)),
        Fault::Errno(n) => MYSQL
            .iter()
            .find(|(code, ..)| *code == n)
            .map_or((SCHEMA, refused(engine)), |&(_, c, why)| (c, why)),
        Fault::Status(name) => match engine {
            "zookeeper" => ZOOKEEPER,
            "etcd" => ETCD,
            _ => &[],
        }
        .iter()
        .find(|(n, ..)| *n == name)
        .map_or((SCHEMA, refused(engine)), |&(_, c, why)| (c, why)),
        Fault::Reply(reply) => {
            let word = reply.split(' ').next().unwrap_or("");
            REDIS
                .iter()
                .find(|(class, ..)| *class == word)
                .map_or((SCHEMA, refused(engine)), |&(_, c, why)| (c, why))
        }
    }
}

/// The error a binding raises for `fault` on `engine`: its code from the
/// tables, the message `"{engine}: {why}: {detail}"` (`detail` is the
/// driver's own text, already redacted by the binding; a Redis reply's own
/// text when empty; left out when there is none).
pub fn classify(engine: &str, fault: Fault<'_>, detail: &str) -> Error {
    // etcd answers NotFound to a put under an etcd lease that ran out between
    // its grant and the transaction (a call stalled past the TTL): that is no
    // answer in time, not a store that is not ours. Read here, once, for
    // every binding's etcd engine.
    let fault = match (engine, fault) {
        ("etcd", Fault::Status("NotFound")) if detail.contains("lease not found") => Fault::Connection,
        (_, fault) => fault,
    };
    let (code, why) = reason(engine, fault);
    let detail = match (detail.trim(), fault) {
        ("", Fault::Reply(reply)) => reply.trim(), // the reply is the only detail there is
        (detail, _) => detail,
    };
    let message = if detail.is_empty() {
        format!("{engine}: {why}")
    } else {
        format!("{engine}: {why}: {detail}")
    };
    Error::store(code, message)
}

/// [`classify`] with the fault named as bindings pass it: `kind` is
/// `"sqlstate"`, `"errno"` (`code` a decimal number), `"reply"` (`code`
/// the reply), `"status"` (a ZooKeeper error's or an etcd status's name) or
/// `"connection"` (`code` ignored). Another kind, or an
/// errno that is not a number, is `invalid_argument`.
pub fn classify_named(engine: &str, kind: &str, code: &str, detail: &str) -> Result<Error> {
    if !ENGINES.contains(&engine) {
        return Err(Error::reason(
            ErrorCode::InvalidArgument,
            "engine",
            "must be postgres, mysql, redis, zookeeper or etcd",
        ));
    }
    let fault = match kind {
        "sqlstate" => Fault::Sqlstate(code),
        "errno" => Fault::Errno(
            code.parse()
                .map_err(|_| Error::reason(ErrorCode::InvalidArgument, "errno", "must be a decimal number"))?,
        ),
        "reply" => Fault::Reply(code),
        "status" => Fault::Status(code),
        "connection" => Fault::Connection,
        _ => {
            return Err(Error::reason(
                ErrorCode::InvalidArgument,
                "kind",
                "must be sqlstate, errno, reply, status or connection",
            ))
        }
    };
    Ok(classify(engine, fault, detail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn classes_and_codes() {
        let code = |e: &str, f| reason(e, f).0;
        assert_eq!(code("postgres", Fault::Sqlstate("42P01")), SCHEMA);
        assert_eq!(code("postgres", Fault::Sqlstate("53300")), DOWN); // too_many_connections: an outage
        assert_eq!(code("postgres", Fault::Sqlstate("57P01")), DOWN);
        assert_eq!(code("postgres", Fault::Sqlstate("42703")), SCHEMA);
        assert_eq!(code("mysql", Fault::Errno(1146)), SCHEMA);
        assert_eq!(code("mysql", Fault::Errno(2013)), DOWN);
        assert_eq!(code("mysql", Fault::Errno(1054)), SCHEMA);
        assert_eq!(code("redis", Fault::Reply("LOADING Redis is loading")), DOWN);
        assert_eq!(code("redis", Fault::Reply("ERR unknown command")), SCHEMA);
        assert_eq!(code("redis", Fault::Reply("LOADINGX")), SCHEMA);
        assert_eq!(code("redis", Fault::Connection), DOWN);
        assert_eq!(code("zookeeper", Fault::Status("SessionExpired")), DOWN);
        assert_eq!(code("zookeeper", Fault::Status("NoAuth")), SCHEMA);
        assert_eq!(code("etcd", Fault::Status("Unavailable")), DOWN);
        assert_eq!(code("etcd", Fault::Status("PermissionDenied")), SCHEMA);
        assert_eq!(code("postgres", Fault::Status("Unavailable")), SCHEMA);
        assert!(create_race("postgres", "42P07") && create_race("postgres", "23505"));
        assert!(!create_race("postgres", "42P01") && !create_race("mysql", "1050"));
    }

    #[test]
    fn messages_name_engine_reason_and_detail() {
        let e = classify("postgres", Fault::Sqlstate("42P01"), " relation \"x\" does not exist ");
        assert_eq!(
            e.to_string(),
            "postgres: a table is missing (run init): relation \"x\" does not exist"
        );
        assert_eq!(
            classify("redis", Fault::Connection, "").to_string(),
            "redis: the connection failed or was lost"
        );
        assert!(classify_named("mysql", "errno", "x", "").is_err());
        assert!(classify_named("oracle", "connection", "", "").is_err());
    }

    #[test]
    fn an_etcd_lease_that_ran_out_before_its_transaction_is_no_answer_in_time() {
        // Every binding's etcd engine hands the status over as it came; the core reads it once.
        let ran_out = classify_named("etcd", "status", "NotFound", "NotFound: etcdserver: requested lease not found").unwrap();
        assert_eq!(ran_out.code(), DOWN);
        assert_eq!(
            ran_out.to_string(),
            "etcd: the connection failed or was lost: NotFound: etcdserver: requested lease not found"
        );
        assert_eq!(
            classify_named("etcd", "status", "NotFound", "NotFound: key").unwrap().code(),
            SCHEMA
        );
        assert_eq!(
            classify_named("zookeeper", "status", "NotFound", "lease not found").unwrap().code(),
            SCHEMA
        );
    }
}
