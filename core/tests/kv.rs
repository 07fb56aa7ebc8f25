//! The lease protocol on compare-and-set key-value stores (`idloom::stores::kv`):
//! records round-trip and refuse what is not theirs; a store simulated as
//! versioned texts answers every sequence of calls as the reference
//! `MemoryStore` does; racing writers lose on the version, never share a node.

#![cfg(feature = "alloc")]

use idloom::lease::{LeaseConfig, MemoryStore, NodeRecord};
use idloom::stores::kv::{self, Keys, KvNamespace};
use idloom::stores::NamespaceRecord;
use idloom::ErrorCode;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn namespace(nodes: u64, identity: &str) -> KvNamespace {
    KvNamespace {
        record: NamespaceRecord {
            layout: "41/10/12 epoch=0 tick=1ms".into(),
            nodes,
            ttl_ms: 3_000,
            max_skew_ms: 500,
            floor_ms: 0,
        },
        identity: identity.into(),
    }
}

#[test]
fn records_round_trip_and_refuse_what_is_not_theirs() {
    let ns = namespace(16, "zk-epoch-3");
    assert_eq!(KvNamespace::decode(&ns.encode()).unwrap(), ns);
    let r = NodeRecord {
        holder: "web-1 (pid 7)".into(),
        epoch: 7,
        expires_ms: 1_765_000_012_000,
        start_ms: 1_765_000_001_000,
        fence_ms: 1_765_000_013_000,
    };
    assert_eq!(kv::decode_node(&kv::encode_node(&r)).unwrap(), r);
    assert_eq!(kv::decode_node(&kv::encode_node(&NodeRecord::new())).unwrap(), NodeRecord::new());
    let text = kv::encode_node(&r);
    for bad in [
        String::new(),
        "idloom-node 2\n".to_string() + &text[text.find('\n').unwrap() + 1..],
        text.replace("epoch=7", "epoch=-7"),
        text.replace("epoch=7", "epoch="),
        text.replace("epoch=7", "epoch=99999999999999999999"),
        text.replace("epoch=7\n", ""),
        text.clone() + "extra=1\n",
        text.replace("start_ms=1765000001000", "start_ms=1765000014000"), // start above fence
        text.replace("holder=web-1 (pid 7)", "holder="),                  // held by no one at epoch 7
        ns.encode(),
    ] {
        let e = kv::decode_node(&bad).unwrap_err();
        assert_eq!((e.code(), e.param()), (ErrorCode::StoreSchema, Some("record")), "{bad:?}");
    }
    let text = ns.encode();
    for bad in [
        text.replace("ttl_ms=3000", "ttl_ms=0"),
        text.replace("max_skew_ms=500", "max_skew_ms=3000"), // not below the TTL
        text.replace("nodes=16", "nodes=0"),
        text.replace("idloom-namespace 1", "idloom-namespace 2"),
        kv::encode_node(&r),
    ] {
        assert_eq!(KvNamespace::decode(&bad).unwrap_err().code(), ErrorCode::StoreSchema, "{bad:?}");
    }
}

#[test]
fn keys_sort_by_node_and_name_it_back() {
    let k = Keys::new("orders").unwrap();
    assert_eq!(k.namespace(), "/idloom/orders");
    assert_eq!(k.clock(), "/idloom/orders/clock");
    assert_eq!(k.node(42), "/idloom/orders/nodes/0000000042");
    assert!(k.node(9) < k.node(10), "zero-padded: keys sort as nodes do");
    assert_eq!(k.node_of(&k.node(4_194_303)), Some(4_194_303));
    assert_eq!(k.node_of("0000000007"), Some(7), "a child's name");
    assert_eq!(k.node_of("7"), None);
    assert_eq!(k.node_of("/idloom/orders/clock"), None);
    assert_eq!(Keys::new("../x").unwrap_err().code(), ErrorCode::InvalidArgument);
}

/// A key-value store as ZooKeeper or etcd keeps it: texts with versions,
/// written only when the version read is still the current one.
#[derive(Default)]
struct Cas {
    keys: BTreeMap<String, (String, u64)>,
}

impl Cas {
    fn get(&self, key: &str) -> Option<(String, u64)> {
        self.keys.get(key).cloned()
    }
    /// Write `value` if `key` is still at `version` (`None`: absent). False if it moved.
    fn put_if(&mut self, key: &str, version: Option<u64>, value: String) -> bool {
        let now = self.keys.get(key).map(|(_, v)| *v);
        if now != version {
            return false;
        }
        self.keys.insert(key.into(), (value, now.map_or(0, |v| v + 1)));
        true
    }
}

/// One idloom namespace on [`Cas`], as an engine binding drives it.
struct KvEngine {
    store: Cas,
    keys: Keys,
}

impl KvEngine {
    fn new(ns: &KvNamespace) -> Self {
        let keys = Keys::new("orders").unwrap();
        let mut store = Cas::default();
        assert!(store.put_if(keys.namespace(), None, ns.encode()));
        KvEngine { store, keys }
    }
    fn namespace(&self) -> (KvNamespace, u64) {
        let (text, version) = self.store.get(self.keys.namespace()).unwrap();
        (KvNamespace::decode(&text).unwrap(), version)
    }
    fn records(&self, nodes: u64) -> Vec<(u64, Option<(NodeRecord, u64)>)> {
        (0..nodes)
            .map(|n| {
                (
                    n,
                    self.store.get(&self.keys.node(n)).map(|(t, v)| (kv::decode_node(&t).unwrap(), v)),
                )
            })
            .collect()
    }
    fn acquire(&mut self, holder: &str, proposed: u64, identity: &str, now: u64) -> idloom::Result<idloom::lease::Grant> {
        let (ns, ns_version) = self.namespace();
        let records = self.records(ns.record.nodes);
        let plan = kv::acquire(
            &ns,
            records.iter().map(|(n, r)| (*n, r.as_ref().map(|(r, _)| r))),
            holder,
            proposed,
            identity,
            now,
        )?;
        // One multi / transaction: the namespace (if it changed), then the node, each on its version.
        if let Some(next) = &plan.namespace {
            assert!(self.store.put_if(self.keys.namespace(), Some(ns_version), next.encode()));
        }
        let taken = plan.taken?;
        let version = records[taken.node as usize].1.as_ref().map(|(_, v)| *v);
        assert!(self
            .store
            .put_if(&self.keys.node(taken.node), version, kv::encode_node(&taken.record)));
        Ok(taken.grant)
    }
    #[allow(clippy::too_many_arguments)]
    fn renew(
        &mut self,
        node: u64,
        epoch: u64,
        start: u64,
        holder: &str,
        proposed: u64,
        identity: &str,
        now: u64,
    ) -> idloom::Result<idloom::lease::Grant> {
        let (ns, _) = self.namespace();
        let current = self
            .store
            .get(&self.keys.node(node))
            .map(|(t, v)| (kv::decode_node(&t).unwrap(), v));
        let (record, grant) = kv::renew(
            &ns,
            node,
            current.as_ref().map(|(r, _)| r),
            epoch,
            start,
            holder,
            proposed,
            identity,
            now,
        )?;
        assert!(self
            .store
            .put_if(&self.keys.node(node), current.map(|(_, v)| v), kv::encode_node(&record)));
        Ok(grant)
    }
    fn release(&mut self, node: u64, epoch: u64, start: u64, holder: &str, high_water: u64) -> idloom::Result<()> {
        let (ns, _) = self.namespace();
        let current = self
            .store
            .get(&self.keys.node(node))
            .map(|(t, v)| (kv::decode_node(&t).unwrap(), v));
        let record = kv::release(&ns, current.as_ref().map(|(r, _)| r), epoch, start, holder, high_water)?;
        assert!(self
            .store
            .put_if(&self.keys.node(node), current.map(|(_, v)| v), kv::encode_node(&record)));
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Op {
    Acquire { holder: usize, lead: u64 },
    Renew { lease: usize, lead: u64, wrong_start: bool },
    Release { lease: usize, back: u64 },
    Tick(u64),
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..4usize, 0..5_000u64).prop_map(|(holder, lead)| Op::Acquire { holder, lead }),
        (0..8usize, 0..5_000u64, prop::bool::weighted(0.1)).prop_map(|(lease, lead, wrong_start)| Op::Renew { lease, lead, wrong_start }),
        (0..8usize, 0..4_000u64).prop_map(|(lease, back)| Op::Release { lease, back }),
        (0..2_500u64).prop_map(Op::Tick),
        Just(Op::Restart),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Every call answers on the key-value engine as on the reference, and
    /// every node's granted intervals stay disjoint and in epoch order.
    #[test]
    fn a_key_value_store_answers_as_the_reference(ops in prop::collection::vec(op(), 1..60)) {
        let nodes = 3;
        let config = LeaseConfig { ttl_ms: 3_000, max_skew_ms: 500 };
        let mut now = 1_700_000_000_000u64;
        let mut identity = 0u32;
        let mut reference = MemoryStore::new(config, nodes, "id-0", true, now).unwrap();
        let mut engine = KvEngine::new(&namespace(nodes, "id-0"));
        let mut leases: Vec<(u64, u64, u64, String)> = Vec::new(); // node, epoch, start, holder
        let mut intervals: BTreeMap<u64, Vec<(u64, u64, u64)>> = BTreeMap::new(); // node → (epoch, start, fence)
        for op in ops {
            let id = format!("id-{identity}");
            match op {
                Op::Acquire { holder, lead } => {
                    let holder = format!("h{holder}");
                    let a = reference.acquire(&holder, now + lead, &id, now);
                    let b = engine.acquire(&holder, now + lead, &id, now);
                    prop_assert_eq!(&a, &b);
                    if let Ok(g) = a {
                        leases.push((g.node, g.epoch, g.start_ms, holder));
                        intervals.entry(g.node).or_default().push((g.epoch, g.start_ms, g.fence_ms));
                    }
                }
                Op::Renew { lease, lead, wrong_start } => {
                    let Some((node, epoch, start, holder)) = leases.get(lease).cloned() else { continue };
                    let start = if wrong_start { start + 1 } else { start };
                    let a = reference.renew(node, epoch, start, &holder, now + lead, &id, now);
                    let b = engine.renew(node, epoch, start, &holder, now + lead, &id, now);
                    prop_assert_eq!(&a, &b);
                    if let Ok(g) = a {
                        let last = intervals.get_mut(&node).unwrap().last_mut().unwrap();
                        prop_assert_eq!(last.0, g.epoch);
                        last.2 = last.2.max(g.fence_ms);
                    }
                }
                Op::Release { lease, back } => {
                    let Some((node, epoch, start, holder)) = leases.get(lease).cloned() else { continue };
                    let hw = now.saturating_sub(back);
                    let a = reference.release(node, epoch, start, &holder, hw);
                    let b = engine.release(node, epoch, start, &holder, hw);
                    prop_assert_eq!(&a, &b);
                    if a.is_ok() {
                        let last = intervals.get_mut(&node).unwrap().last_mut().unwrap();
                        last.2 = hw.clamp(last.1, last.2); // used only below the high-water
                    }
                }
                Op::Tick(ms) => now += ms,
                Op::Restart => identity += 1,
            }
        }
        prop_assert_eq!(engine.namespace().0.record.floor_ms, reference.floor_ms());
        for (node, record) in reference.nodes().iter().enumerate() {
            let stored = engine.records(nodes)[node].1.as_ref().map(|(r, _)| r.clone()).unwrap_or_default();
            prop_assert_eq!(&stored, record);
        }
        for (node, epochs) in intervals {
            for pair in epochs.windows(2) {
                prop_assert!(pair[0].0 < pair[1].0 && pair[0].2 <= pair[1].1, "node {}: {:?} overlaps {:?}", node, pair[0], pair[1]);
            }
        }
    }
}

#[test]
fn two_acquirers_racing_for_one_free_node_cannot_both_write_it() {
    let ns = namespace(1, "id-0");
    let mut engine = KvEngine::new(&ns);
    let now = 1_700_000_000_000;
    // Both read the same state (node 0 never written) and plan the same node.
    let records = engine.records(1);
    let view = || records.iter().map(|(n, r)| (*n, r.as_ref().map(|(r, _)| r)));
    let a = kv::acquire(&ns, view(), "a", now + 3_000, "id-0", now).unwrap().taken.unwrap();
    let b = kv::acquire(&ns, view(), "b", now + 3_000, "id-0", now).unwrap().taken.unwrap();
    assert_eq!((a.node, b.node, a.grant.epoch, b.grant.epoch), (0, 0, 1, 1));
    let key = engine.keys.node(0);
    assert!(engine.store.put_if(&key, None, kv::encode_node(&a.record)), "the first write lands");
    assert!(
        !engine.store.put_if(&key, None, kv::encode_node(&b.record)),
        "the second compared on a version that moved"
    );
    // b reads again: the node is held, so none is free.
    let err = engine.acquire("b", now + 3_000, "id-0", now + 1).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NoFreeNode);
    // A restart of the store (another identity): the floor rises above every fence from before,
    // a's renewal is refused, and the next acquire reports it in its plan.
    assert_eq!(
        engine
            .renew(0, 1, a.grant.start_ms, "a", now + 4_000, "id-1", now + 10)
            .unwrap_err()
            .code(),
        ErrorCode::LeaseLost
    );
    let (ns, _) = engine.namespace();
    let plan = kv::acquire(
        &ns,
        engine.records(1).iter().map(|(n, r)| (*n, r.as_ref().map(|(r, _)| r))),
        "c",
        now + 4_000,
        "id-1",
        now + 4_000,
    )
    .unwrap();
    assert!(plan.identity_changed());
    assert!(plan.taken.unwrap().grant.start_ms >= a.grant.fence_ms.max(now + 4_000 + 3_000 + 500));
}

#[test]
fn counters_round_trip_and_keys_stay_paths() {
    assert_eq!(kv::decode_counter(&kv::encode_counter(42)).unwrap(), 42);
    assert_eq!(kv::encode_counter(7), "idloom-counter 1\nmax_id=7\n");
    for bad in [
        "",
        "idloom-counter 1\nmax_id=\n",
        "idloom-counter 1\nmax_id=9223372036854775808\n",
        "idloom-counter 2\nmax_id=1\n",
    ] {
        assert_eq!(kv::decode_counter(bad).unwrap_err().code(), ErrorCode::StoreSchema, "{bad:?}");
    }
    // "." and ".." are tags, never a path component of their own.
    assert_eq!(kv::counter_key("..").unwrap(), "/idloom/counters:..");
    assert_eq!(kv::counter_key("a/b").unwrap_err().code(), ErrorCode::InvalidArgument);
}

#[test]
fn a_clock_key_silent_for_more_than_a_ttl_is_a_new_identity() {
    let ns = namespace(4, "gap/5");
    let ttl = ns.record.ttl_ms;
    assert_eq!(kv::gap_identity(&ns, Some(1_000), 1_000 + ttl), "gap/5");
    assert_eq!(kv::gap_identity(&ns, Some(1_000), 1_001 + ttl), format!("gap/{}", 1_001 + ttl));
    assert_eq!(kv::gap_identity(&ns, None, 9), "gap/9");
    // A clock that went back (a failover to a host behind) is no gap.
    assert_eq!(kv::gap_identity(&ns, Some(5_000), 4_000), "gap/5");
}
