//! `lease_scripts.json`: node leases with tick fences, a store and its holders.

use super::json::with_expectations;
use super::T0;
use idloom::snowflake::Next;
use idloom::{Error, Generator, Layout, Policy};
use serde_json::{json, Value};

/// The holders of one lease script: their leases and fenced generators.
pub struct LeaseRun {
    pub config: idloom::lease::LeaseConfig,
    pub store: idloom::lease::MemoryStore,
    pub holders: std::collections::BTreeMap<String, (idloom::lease::Lease, Generator)>,
}

fn lease_error(e: &Error) -> Value {
    json!({"error": e.code().as_str()})
}

fn lease_grant(l: &idloom::lease::Lease) -> Value {
    json!({"node": l.node(), "epoch": l.epoch(), "start": l.start_ms(), "fence": l.fence_ms(), "skew": l.skew_ms()})
}

impl LeaseRun {
    pub fn new(script: &Value) -> LeaseRun {
        let config = idloom::lease::LeaseConfig {
            ttl_ms: script["ttl_ms"].as_u64().unwrap(),
            max_skew_ms: script["max_skew_ms"].as_u64().unwrap(),
        };
        let store = idloom::lease::MemoryStore::new(
            config,
            script["nodes"].as_u64().unwrap(),
            script["identity"].as_str().unwrap(),
            script["fresh"].as_bool().unwrap(),
            script["store_now"].as_u64().unwrap(),
        )
        .unwrap();
        LeaseRun {
            config,
            store,
            holders: Default::default(),
        }
    }

    /// One step: what it answers (the `expect` of the vectors).
    pub fn step(&mut self, s: &Value) -> Value {
        let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{k} in {s}"));
        let holder = s["holder"].as_str().unwrap().to_string();
        let identity = s["identity"].as_str().unwrap_or("");
        match s["op"].as_str().unwrap() {
            "acquire" => {
                let p = idloom::lease::Lease::propose(&self.config, n("local"));
                let g = match self.store.acquire(&holder, p.fence_ms, identity, n("store")) {
                    Ok(g) => g,
                    Err(e) => return lease_error(&e),
                };
                match idloom::lease::Lease::from_grant(self.config, &p, &g, n("received")) {
                    Ok(lease) => {
                        let mut gen = Generator::new(Layout::TWITTER, g.node, Policy::default()).unwrap();
                        gen.set_lease(lease.start_ms(), lease.fence_ms(), lease.epoch());
                        let out = lease_grant(&lease);
                        self.holders.insert(holder, (lease, gen));
                        out
                    }
                    Err(e) => lease_error(&e),
                }
            }
            "mint" => {
                let (_, gen) = self.holders.get_mut(&holder).unwrap();
                match gen.next_at(n("local")) {
                    Ok(Next::Id(id)) => json!({"id": id.to_string()}),
                    Ok(Next::RetryAt(ms)) => json!({"retry_at": ms}),
                    Err(e) => lease_error(&e),
                }
            }
            "renew" => {
                let (lease, gen) = self.holders.get_mut(&holder).unwrap();
                let Some(p) = lease.begin_renew(n("local")) else {
                    return json!({"due": false});
                };
                match self.store.renew(
                    lease.node(),
                    lease.epoch(),
                    lease.start_ms(),
                    &holder,
                    p.fence_ms,
                    identity,
                    n("store"),
                ) {
                    Ok(g) => match lease.renewed(&p, &g, n("received")) {
                        Ok(()) => {
                            gen.extend_fence(lease.fence_ms());
                            lease_grant(lease)
                        }
                        Err(e) => lease_error(&e),
                    },
                    Err(_) => {
                        let e = lease.refused();
                        gen.lose_lease();
                        lease_error(&e)
                    }
                }
            }
            "release" => {
                let (lease, gen) = self.holders.get_mut(&holder).unwrap();
                let r = match lease.release(gen.high_water_ms()) {
                    Ok(r) => r,
                    Err(e) => return lease_error(&e),
                };
                match self.store.release(r.node, r.epoch, r.start_ms, &holder, r.high_water_ms) {
                    Ok(()) => json!({"high_water": r.high_water_ms}),
                    Err(e) => lease_error(&e),
                }
            }
            "floor" => json!({"floor": self.store.floor_ms()}),
            other => panic!("unknown op {other}"),
        }
    }
}

pub fn lease_scripts() -> Value {
    let t = T0;
    let acquire = |h: &str, local: u64, store: u64, received: u64, id: &str| json!({"op": "acquire", "holder": h, "local": local, "store": store, "received": received, "identity": id});
    let renew = |h: &str, local: u64, store: u64, received: u64, id: &str| json!({"op": "renew", "holder": h, "local": local, "store": store, "received": received, "identity": id});
    let mint = |h: &str, local: u64| json!({"op": "mint", "holder": h, "local": local});
    let release = |h: &str, store: u64| json!({"op": "release", "holder": h, "store": store});
    let floor = || json!({"op": "floor", "holder": ""});
    let scripts: Vec<(&str, &str, u64, bool, Vec<Value>)> = vec![
        (
            "acquire_renew_fence",
            "One holder: acquire (fence one TTL ahead of its clock), mint, renew every third of the TTL (the fence moves on), then run into the fence when renewals stop: lease_expired.",
            2,
            true,
            vec![
                acquire("a", t, t, t + 10, "r1"),
                mint("a", t + 10),
                mint("a", t + 10),
                renew("a", t + 1_000, t + 1_000, t + 1_010, "r1"),
                renew("a", t + 3_400, t + 3_400, t + 3_410, "r1"),
                mint("a", t + 13_399),
                mint("a", t + 13_400),
            ],
        ),
        (
            "renewal_refused",
            "a stops renewing (a pause); its lease expires on the store's clock and b takes the node, starting at a's fence; a's renewal is refused: lease_lost, and it mints nothing at or past its fence, ever.",
            1,
            true,
            vec![
                acquire("a", t, t, t, "r1"),
                mint("a", t + 5_000),
                acquire("b", t + 10_000, t + 10_000, t + 10_000, "r1"),
                acquire("b", t + 10_001, t + 10_001, t + 10_001, "r1"),
                mint("b", t + 10_001),
                mint("a", t + 9_999),
                renew("a", t + 20_000, t + 20_000, t + 20_000, "r1"),
                mint("a", t + 9_999),
                mint("a", t + 10_000),
            ],
        ),
        (
            "skewed_store_clock",
            "The store's clock reads 1.5 s behind the holder's (max_skew_ms 1000): clock_skew on acquire; a renewal whose answer shows the clocks drifted apart is refused the same way.",
            2,
            true,
            vec![
                acquire("a", t + 1_500, t, t + 1_500, "r1"),
                acquire("b", t, t, t + 20, "r1"),
                renew("b", t + 4_000, t + 2_800, t + 4_020, "r1"),
            ],
        ),
        (
            "new_store_identity",
            "The store restarts empty under a new identity (run_id): the floor rises to store_now + ttl + max_skew before anything is served, so a new holder starts above every fence from before.",
            2,
            true,
            vec![
                acquire("a", t, t, t, "r1"),
                floor(),
                acquire("b", t + 2_000, t + 2_000, t + 2_000, "r2"),
                floor(),
                mint("b", t + 2_000),
            ],
        ),
        (
            "renewal_on_new_identity",
            "The store comes back under a new identity (a restart, a restore, a failover) while a holds a node: a's renewal is refused (lease_lost) and changes nothing; the next acquire raises the floor above every fence from before, and b starts there.",
            2,
            true,
            vec![
                acquire("a", t, t, t, "r1"),
                mint("a", t + 10),
                renew("a", t + 4_000, t + 4_000, t + 4_000, "r2"),
                floor(),
                mint("a", t + 13_999),
                mint("a", t + 14_000),
                acquire("b", t + 4_100, t + 4_100, t + 4_100, "r2"),
                floor(),
                mint("b", t + 15_100),
            ],
        ),
        (
            "release_high_water",
            "A clean release lowers the fence to the end of the last tick minted: the next holder starts there at once instead of one TTL later.",
            1,
            true,
            vec![
                acquire("a", t, t, t, "r1"),
                mint("a", t + 100),
                mint("a", t + 250),
                release("a", t + 300),
                acquire("b", t + 300, t + 300, t + 300, "r1"),
                mint("b", t + 300),
            ],
        ),
        (
            "not_fresh",
            "A namespace created on a store with no record of it (not fresh) starts at store_now + ttl + max_skew.",
            1,
            false,
            vec![floor(), acquire("a", t, t, t, "r1"), mint("a", t)],
        ),
    ];
    let scripts: Vec<Value> = scripts
        .into_iter()
        .map(|(name, comment, nodes, fresh, steps)| {
            let mut script = json!({
                "name": name, "comment": comment, "ttl_ms": 10_000, "max_skew_ms": 1_000,
                "nodes": nodes, "fresh": fresh, "identity": "r1", "store_now": t,
            });
            let mut run = LeaseRun::new(&script);
            script["steps"] = Value::Array(with_expectations(steps, |s| run.step(s)));
            script
        })
        .collect();
    json!({
        "_comment": "Node leases with tick fences, replayed by every binding: a store (the core's MemoryStore, the reference of the SQL and Lua texts) and holders (Lease + a fenced Generator, Twitter layout). Times: local = the holder's clock when it sends, received = when the answer arrives, store = the store's clock. Ops: acquire (expect node, epoch, start, fence, skew), mint (next_at(local): id, or error), renew (only when due; expect the lease, or an error), release (expect the high-water sent), floor (the namespace floor).",
        "scripts": scripts,
    })
}
