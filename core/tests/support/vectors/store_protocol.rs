//! `store_protocol.json`: the store protocol every binding runs (driver
//! failures classified, answers read, arguments bounded, the CAS loop).

use idloom::Error;
use serde_json::{json, Value};

/// A JSON value as a store cell: null, a bool, an integer, a text.
pub fn cell(v: &Value) -> idloom::stores::Cell<'_> {
    use idloom::stores::Cell;
    match v {
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => Cell::Int(n.as_i64().expect("an i64 cell")),
        Value::String(t) => Cell::Text(t),
        _ => Cell::Null,
    }
}

/// A JSON subject: `{"namespace", "node", "epoch", "biz_tag"}`, each optional.
pub fn subject(v: &Value) -> idloom::stores::Subject<'_> {
    idloom::stores::Subject {
        namespace: v["namespace"].as_str(),
        node: v["node"].as_u64(),
        epoch: v["epoch"].as_u64(),
        biz_tag: v["biz_tag"].as_str(),
    }
}

fn failed(e: Error) -> Value {
    json!({"error": e.code().as_str(), "message": e.to_string()})
}

/// What reading `answer` for `call` on `engine` gives, as JSON.
pub fn answer_outcome(engine: &str, call: &str, subj: &Value, answer: &Value) -> Value {
    use idloom::stores::{read, Reading};
    let cells: Option<Vec<_>> = answer.as_array().map(|a| a.iter().map(cell).collect());
    match read(engine, call, &subject(subj), cells.as_deref()) {
        Ok(Reading::Grant {
            grant: g,
            identity_changed,
        }) => {
            let mut grant =
                json!({"node": g.node, "epoch": g.epoch, "start_ms": g.start_ms, "fence_ms": g.fence_ms, "store_now_ms": g.store_now_ms});
            if identity_changed {
                grant["identity_changed"] = json!(true); // only when true: the earlier shape is unchanged
            }
            json!({ "grant": grant })
        }
        Ok(Reading::Nodes(nodes)) => json!({"nodes": nodes
            .iter()
            .map(|n| json!([n.node, n.holder, n.epoch, n.expires_ms, n.start_ms, n.fence_ms]))
            .collect::<Vec<_>>()}),
        Ok(Reading::Namespace(n)) => {
            json!({"namespace": {"layout": n.layout, "nodes": n.nodes, "ttl_ms": n.ttl_ms, "max_skew_ms": n.max_skew_ms, "floor_ms": n.floor_ms}})
        }
        Ok(Reading::Missing) => json!({"missing": true}),
        Ok(Reading::Refused) => json!({"refused": true}),
        Ok(Reading::Range { start, end }) => json!({"range": [start, end]}),
        Ok(Reading::Value(v)) => json!({"value": v}),
        Ok(Reading::Lock { ttl_ms, floor_ms, now_ms }) => json!({"lock": {"ttl_ms": ttl_ms, "floor_ms": floor_ms, "now_ms": now_ms}}),
        Ok(Reading::Node(n)) => json!({"node": n}),
        Ok(Reading::Held { epoch, start_ms, fence_ms }) => json!({"held": {"epoch": epoch, "start_ms": start_ms, "fence_ms": fence_ms}}),
        Ok(Reading::Done) => json!({"done": true}),
        Ok(other) => panic!("a reading the vectors do not know: {other:?}"),
        Err(e) => failed(e),
    }
}

/// What classifying a driver failure gives, as JSON.
pub fn failure_outcome(engine: &str, kind: &str, code: &str, detail: &str) -> Value {
    match idloom::stores::failure::classify_named(engine, kind, code, detail) {
        Ok(e) => json!({"code": e.code().as_str(), "message": e.to_string()}),
        Err(e) => failed(e),
    }
}

/// What checking a store argument gives, as JSON.
pub fn arg_outcome(key: &str, value: i128) -> Value {
    match idloom::stores::args::check(key, value) {
        Ok(v) => json!({"ok": v}),
        Err(e) => failed(e),
    }
}

/// A compare-and-set script: each event a read (`{"read": v|null}`) or a
/// swap outcome (`{"swapped": bool, "unit": u}`), each with what the loop answers.
pub fn cas_outcomes(step: u64, events: &[Value]) -> Vec<Value> {
    use idloom::stores::cas::{CasLoop, CasStep};
    let tag = json!({"biz_tag": "invoice"});
    let subj = subject(&tag);
    let mut cas = match CasLoop::new(step) {
        Ok(c) => c,
        Err(e) => return vec![failed(e)],
    };
    let step_json = |s: CasStep| match s {
        CasStep::Swap { old, new } => json!({"swap": [old, new]}),
        CasStep::Pause { us } => json!({"pause_us": us}),
        CasStep::Done { start, end } => json!({"done": [start, end]}),
    };
    events
        .iter()
        .map(|ev| {
            let r = if let Some(read) = ev.get("read") {
                cas.read(read.as_u64(), &subj)
            } else {
                cas.swapped(ev["swapped"].as_bool().unwrap(), ev["unit"].as_f64().unwrap(), &subj)
            };
            let mut out = match r {
                Ok(s) => step_json(s),
                Err(e) => failed(e),
            };
            out["retries"] = json!(cas.retries());
            out
        })
        .collect()
}

/// The store protocol every binding runs: driver failures classified,
/// store answers read, arguments bounded, Leaf's compare-and-set loop.
pub fn store_protocol() -> Value {
    let failures: Vec<(&str, &str, &str, &str)> = vec![
        ("postgres", "sqlstate", "42P01", "relation \"idloom_node\" does not exist"),
        ("postgres", "sqlstate", "08006", "connection failure"),
        ("postgres", "sqlstate", "53300", "sorry, too many clients already"),
        (
            "postgres",
            "sqlstate",
            "57P01",
            "terminating connection due to administrator command",
        ),
        ("postgres", "sqlstate", "57014", "canceling statement due to statement timeout"),
        ("postgres", "sqlstate", "25006", "cannot execute UPDATE in a read-only transaction"),
        ("postgres", "sqlstate", "40001", "could not serialize access"),
        ("postgres", "sqlstate", "40P01", "deadlock detected"),
        ("postgres", "sqlstate", "58030", "could not write"),
        ("postgres", "sqlstate", "42703", "column \"x\" does not exist"),
        ("postgres", "sqlstate", "22003", "bigint out of range"),
        ("postgres", "connection", "", "connection refused"),
        ("mysql", "errno", "1146", "Table 'test.idloom_node' doesn't exist"),
        ("mysql", "errno", "1054", "Unknown column 'x'"),
        ("mysql", "errno", "1040", "Too many connections"),
        ("mysql", "errno", "1053", "Server shutdown in progress"),
        ("mysql", "errno", "1205", "Lock wait timeout exceeded"),
        ("mysql", "errno", "1213", "Deadlock found"),
        (
            "mysql",
            "errno",
            "1290",
            "The MariaDB server is running with the --read-only option",
        ),
        ("mysql", "errno", "1927", "Connection was killed"),
        ("mysql", "errno", "2003", "Can't connect to MySQL server"),
        ("mysql", "errno", "2006", "MySQL server has gone away"),
        ("mysql", "errno", "2013", "Lost connection to MySQL server during query"),
        ("mysql", "errno", "not-a-number", ""),
        ("mysql", "connection", "", "ECONNREFUSED"),
        ("redis", "reply", "LOADING Redis is loading the dataset in memory", ""),
        ("redis", "reply", "READONLY You can't write against a read only replica.", ""),
        ("redis", "reply", "NOREPLICAS Not enough good replicas to write.", ""),
        ("redis", "reply", "BUSY Redis is busy running a script.", ""),
        ("redis", "reply", "MASTERDOWN Link with MASTER is down", ""),
        ("redis", "reply", "CLUSTERDOWN The cluster is down", ""),
        ("redis", "reply", "MOVED 3999 127.0.0.1:6381", ""),
        ("redis", "reply", "NOSCRIPT No matching script.", ""),
        ("redis", "reply", "OOM command not allowed when used memory > 'maxmemory'.", ""),
        ("redis", "reply", "ERR Error running script", "user_script:1: bad"),
        (
            "redis",
            "reply",
            "WRONGTYPE Operation against a key holding the wrong kind of value",
            "",
        ),
        ("redis", "reply", "NOPERM this user has no permissions", ""),
        ("redis", "connection", "", "Connection reset by peer"),
        ("redis", "timeout", "", ""),
        ("oracle", "connection", "", ""),
    ];
    let failures: Vec<Value> = failures
        .iter()
        .map(|&(engine, kind, code, detail)| {
            json!({"engine": engine, "kind": kind, "code": code, "detail": detail, "expect": failure_outcome(engine, kind, code, detail)})
        })
        .collect();

    let ns = json!({"namespace": "orders"});
    let node = json!({"namespace": "orders", "node": 3, "epoch": 7});
    let tag = json!({"biz_tag": "invoice"});
    let record = json!(["twitter(41,10,12)", 64, 10000, 1000, 0]);
    let n = Value::Null;
    let answers: Vec<(&str, &str, &Value, Value)> = vec![
        ("postgres", "schema_version", &ns, json!([1])),
        ("postgres", "schema_version", &ns, json!([2])),
        ("postgres", "schema_version", &ns, n.clone()),
        ("postgres", "namespace_init", &ns, record.clone()),
        ("postgres", "namespace_init", &ns, n.clone()),
        ("postgres", "namespace_get", &ns, record.clone()),
        ("postgres", "namespace_get", &ns, n.clone()),
        ("postgres", "acquire", &ns, json!([true, 3, 7, 1000, 11000, 1000])),
        ("postgres", "acquire", &ns, json!([true, null, null, null, null, 1000])),
        ("postgres", "acquire", &ns, json!([false, null, null, null, null, 1000])),
        ("postgres", "acquire", &ns, n.clone()),
        ("postgres", "acquire", &ns, json!([true, 3, -7, 1000, 11000, 1000])),
        ("postgres", "renew", &node, json!([3, 7, 1000, 14000, 4000])),
        ("postgres", "renew", &node, n.clone()),
        ("postgres", "release", &node, json!([3])),
        ("postgres", "release", &node, n.clone()),
        ("postgres", "segment_fetch", &tag, json!([1000, 2000])),
        ("postgres", "segment_fetch", &tag, json!([null, null])),
        ("postgres", "segment_fetch", &tag, n.clone()),
        ("postgres", "segment_read", &tag, json!([1000, false])),
        ("postgres", "segment_read", &tag, json!([1000, true])),
        ("postgres", "segment_read", &tag, n.clone()),
        ("postgres", "segment_cas", &tag, json!([1])),
        ("postgres", "segment_cas", &tag, json!([0])),
        ("postgres", "incrby", &tag, json!([1])),
        ("mysql", "schema_version", &ns, json!([1])),
        ("mysql", "schema_version", &ns, json!([0])),
        ("mysql", "acquire_lock", &ns, json!([10000, 0, 5000])),
        ("mysql", "acquire_lock", &ns, n.clone()),
        ("mysql", "acquire_pick", &ns, json!([4])),
        ("mysql", "acquire_pick", &ns, n.clone()),
        ("mysql", "node_get", &node, json!([8, 2000, 15000, "holder-1"])),
        ("mysql", "node_get", &node, n.clone()),
        ("mysql", "renew_lock", &node, json!([10000, 0, 5000])),
        ("mysql", "renew_lock", &node, n.clone()),
        ("mysql", "renew", &node, json!([1])),
        ("mysql", "renew", &node, json!([0])),
        ("mysql", "release", &node, json!([1])),
        ("mysql", "release", &node, json!([0])),
        ("mysql", "segment_fetch", &tag, json!([1000, 2000])),
        ("mysql", "segment_read", &tag, json!([1000])),
        ("mysql", "segment_read", &tag, n.clone()),
        ("mysql", "segment_cas", &tag, json!([0])),
        (
            "redis",
            "namespace_init",
            &ns,
            json!(["ok", "twitter(41,10,12)", 64, 10000, 1000, 0]),
        ),
        (
            "redis",
            "namespace_init",
            &ns,
            json!(["twitter(41,10,12)", "64", "10000", "1000", "0"]),
        ),
        ("redis", "namespace_get", &ns, json!(["state_lost"])),
        ("redis", "acquire", &ns, json!(["ok", "3", "7", "1000", "11000", "1000"])),
        ("redis", "acquire", &ns, json!(["no_free_node"])),
        ("redis", "acquire", &ns, json!(["state_lost"])),
        ("redis", "acquire", &ns, json!(["what"])),
        ("redis", "acquire", &ns, json!(["ok", "3"])),
        ("redis", "renew", &node, json!(["ok", 3, 7, 1000, 14000, 4000])),
        ("redis", "renew", &node, json!(["lease_lost"])),
        ("redis", "renew", &node, json!(["state_lost"])),
        ("redis", "release", &node, json!(["ok"])),
        ("redis", "release", &node, json!(["lease_lost"])),
        ("redis", "incrby", &tag, json!(["ok", 1000, 2000])),
        ("redis", "incrby", &tag, json!(["state_lost"])),
        ("redis", "incrby", &tag, json!(["state_lost", "store_identity"])),
        ("redis", "incrby", &tag, json!(["invalid_range", "counter", "9007199254740000"])),
        ("redis", "segment_init", &tag, json!(["ok"])),
        ("redis", "segment_init", &tag, json!(["5000"])),
        ("redis", "segment_init", &tag, json!([null])),
        ("redis", "segment_init", &tag, json!(["invalid_range", "floor", "9007199254740991"])),
        ("redis", "segment_fetch", &tag, json!(["ok"])),
    ];
    // The store's identity in acquire answers and the nodes status call:
    // replayed by Rust and Python now, by Node and wasm once their readers shape them.
    let answers_more: Vec<(&str, &str, &Value, Value)> = vec![
        ("postgres", "acquire", &ns, json!([true, 3, 7, 1000, 11000, 1000, true])),
        ("postgres", "acquire", &ns, json!([true, 3, 7, 1000, 11000, 1000, false])),
        ("postgres", "acquire", &ns, json!([true, 3, 7, 1000, 11000, 1000, "x"])),
        ("redis", "acquire", &ns, json!(["ok", "3", "7", "1000", "11000", "1000", 1])),
        ("redis", "acquire", &ns, json!(["ok", "3", "7", "1000", "11000", "1000", 0])),
        ("postgres", "renew", &node, json!([3, 7, 1000, 14000, 4000, true])),
        ("postgres", "renew", &node, json!([3, 7, 1000, 14000, 4000, false])),
        ("redis", "renew", &node, json!(["ok", 3, 7, 1000, 14000, 4000, 1])),
        ("redis", "renew", &node, json!(["ok", 3, 7, 1000, 14000, 4000, 0])),
        ("postgres", "nodes", &ns, json!([0, "host:1:abc", 3, 5000, 1000, 11000])),
        ("postgres", "nodes", &ns, json!([1, null, 0, 0, 0, 0])),
        ("postgres", "nodes", &ns, n.clone()),
        ("postgres", "nodes", &ns, json!([1, "h", -3, 0, 0, 0])),
        ("mysql", "nodes", &ns, json!([2, "h", "4", "5000", "1000", "11000"])),
        (
            "redis",
            "nodes",
            &ns,
            json!(["ok", 0, "a", "3", "5000", "1000", "11000", 1, "", "0", "0", "0", "0"]),
        ),
        ("redis", "nodes", &ns, json!(["ok"])),
        ("redis", "nodes", &ns, json!(["ok", 0, "a"])),
        ("redis", "nodes", &ns, json!(["state_lost"])),
    ];
    let shaped = |answers: &[(&str, &str, &Value, Value)]| -> Vec<Value> {
        answers
            .iter()
            .map(|(engine, call, subj, answer)| {
                json!({"engine": engine, "call": call, "subject": subj, "answer": answer, "expect": answer_outcome(engine, call, subj, answer)})
            })
            .collect()
    };
    let (answers, answers_more) = (shaped(&answers), shaped(&answers_more));
    let create_races: Vec<Value> = [
        ("postgres", "23505"),
        ("postgres", "42P07"),
        ("postgres", "42701"),
        ("postgres", "42710"),
        ("postgres", "42P01"),
        ("mysql", "1050"),
        ("redis", "ERR"),
    ]
    .iter()
    .map(|(engine, code)| json!({"engine": engine, "code": code, "race": idloom::stores::failure::create_race(engine, code)}))
    .collect();

    let args: Vec<(&str, i128)> = vec![
        ("nodes", 0),
        ("nodes", 1),
        ("nodes", 1 << 22),
        ("nodes", (1 << 22) + 1),
        ("ttl_ms", 0),
        ("ttl_ms", 86_400_000),
        ("ttl_ms", 86_400_001),
        ("max_skew_ms", -1),
        ("max_skew_ms", 0),
        ("step", 0),
        ("step", 1 << 40),
        ("step", (1 << 40) + 1),
        ("counter_step", (1 << 31) - 1),
        ("counter_step", 1 << 31),
        ("floor", -1),
        ("floor", i64::MAX as i128),
        ("floor", i64::MAX as i128 + 1),
        ("count", 1025),
        ("servers", 65_535),
        ("servers", 0),
        ("timeout_ms", 0),
        ("connect_timeout", 3_601),
        ("unknown", 1),
    ];
    let args: Vec<Value> = args
        .iter()
        .map(|&(key, value)| json!({"key": key, "value": value.to_string(), "expect": arg_outcome(key, value)}))
        .collect();

    let cas_scripts: Vec<(&str, u64, Vec<Value>)> = vec![
        (
            "won at once",
            1000,
            vec![json!({"read": 5000}), json!({"swapped": true, "unit": 0.5})],
        ),
        (
            "lost twice, then won",
            10,
            vec![
                json!({"read": 0}),
                json!({"swapped": false, "unit": 0.0}),
                json!({"read": 10}),
                json!({"swapped": false, "unit": 0.999}),
                json!({"read": 30}),
                json!({"swapped": true, "unit": 0.5}),
            ],
        ),
        ("no such counter", 10, vec![json!({"read": null})]),
        ("past bigint", 10, vec![json!({"read": i64::MAX - 5})]),
        ("a step out of range", 0, vec![]),
        ("lost every round", 1, {
            let mut v = Vec::new();
            for _ in 0..idloom::stores::CAS_TRIES {
                v.push(json!({"read": 1}));
                v.push(json!({"swapped": false, "unit": 0.25}));
            }
            v
        }),
    ];
    let cas: Vec<Value> = cas_scripts
        .iter()
        .map(|(name, step, events)| json!({"name": name, "step": step, "events": events, "expect": cas_outcomes(*step, events)}))
        .collect();

    json!({
        "_comment": "The store protocol every binding runs, decided by the core (idloom::stores::{failure, answer, args, cas}): a driver failure classified (kind sqlstate | errno | reply | connection, with the driver's detail), a store answer read (the first SQL row, null for none, a rows-changed count as a one-cell row, or a Redis script's reply; cells are null, bools, integers or texts), an argument bounded (value a decimal string), and Leaf's compare-and-set loop (events: a read, or a swap's outcome with the host's uniform draw for the pause). answers_more: acquire and renew answers reporting a changed store identity (a grant's identity_changed, written only when true) and the nodes status call (rows of node, holder, epoch, expires_ms, start_ms, fence_ms). create_races: whether a create text's failure code is the concurrent-create race to run it again for (up to create_tries times in all). Every binding replays these and must give the same code and message.",
        "failures": failures,
        "answers": answers,
        "answers_more": answers_more,
        "create_races": create_races,
        "create_tries": idloom::stores::failure::CREATE_TRIES,
        "args": args,
        "cas": cas,
    })
}
