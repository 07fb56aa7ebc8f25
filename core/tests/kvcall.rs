//! The ZooKeeper and etcd calls as the core's state machine
//! (`idloom::stores::kvcall`), driven on a simulated store of versioned keys
//! as the engines drive it: calls interleaved at every need (as concurrent
//! holders are) never grant one node twice or let intervals overlap; with
//! the compares removed the same schedules do; etcd's liveness keys decide
//! who holds a node; a missing clock key, endless contention and revisions
//! answered out of order each do what the protocol says.

#![cfg(feature = "alloc")]

use idloom::lease::LeaseConfig;
use idloom::stores::kvcall::{self, Answer, Flavor, Identity, KvCall, KvUrl, Need, Revisions, Versioned, Write};
use idloom::stores::Reading;
use idloom::ErrorCode;
use proptest::prelude::*;
use std::collections::BTreeMap;

const LAYOUT: &str = "41/10/12 epoch=0 tick=1ms";
const CONFIG: LeaseConfig = LeaseConfig {
    ttl_ms: 3_000,
    max_skew_ms: 500,
};

/// A store of versioned keys as ZooKeeper or etcd keeps it: a batch holds
/// only if every compare does (unless `ignore_compares`: the defence removed).
struct Sim {
    flavor: Flavor,
    keys: BTreeMap<String, (String, i64, u64)>, // text, version, written at
    live_until: BTreeMap<String, u64>,          // etcd: a liveness key's lease end
    revision: i64,
    now: u64,
    identity: String,
    ignore_compares: bool,
    commits: u32,
}

impl Sim {
    fn new(flavor: Flavor) -> Sim {
        Sim {
            flavor,
            keys: BTreeMap::new(),
            live_until: BTreeMap::new(),
            revision: 0,
            now: 1_700_000_000_000,
            identity: "etcd/0000000000000001".into(),
            ignore_compares: false,
            commits: 0,
        }
    }

    fn expire(&mut self) {
        let now = self.now;
        let gone: Vec<String> = self.live_until.iter().filter(|(_, &t)| t <= now).map(|(k, _)| k.clone()).collect();
        for k in gone {
            self.live_until.remove(&k);
            self.keys.remove(&k);
        }
    }

    fn put(&mut self, key: &str, text: String) {
        self.revision += 1;
        self.keys.insert(key.into(), (text, self.revision, self.now));
    }

    fn versioned(&self, key: &str) -> Option<Versioned> {
        self.keys.get(key).map(|(text, version, written)| Versioned {
            text: text.clone(),
            version: *version,
            written_ms: (self.flavor == Flavor::ZooKeeper).then_some(*written),
        })
    }

    fn serve(&mut self, need: Need) -> Result<Answer, Reading> {
        self.expire();
        Ok(match need {
            Need::Finished(r) => return Err(r),
            Need::Ensure(keys) => {
                for k in keys {
                    if !self.keys.contains_key(&k) {
                        self.put(&k, String::new());
                    }
                }
                Answer::Done
            }
            Need::Now(clock) => match self.flavor {
                Flavor::ZooKeeper if !self.keys.contains_key(&clock) => Answer::Now(None),
                Flavor::ZooKeeper => {
                    self.put(&clock, String::new());
                    Answer::Now(Some((self.now, Identity::Silence)))
                }
                Flavor::Etcd => Answer::Now(Some((self.now, Identity::Named(self.identity.clone())))),
            },
            Need::Get(key) => Answer::Got(self.versioned(&key)),
            Need::List(prefix) => Answer::Listed(
                self.keys
                    .keys()
                    .filter(|k| k.starts_with(&prefix))
                    .map(|k| (k.clone(), self.versioned(k).unwrap()))
                    .collect(),
            ),
            Need::Commit(writes) => {
                self.commits += 1;
                let version = |s: &Sim, k: &str| s.keys.get(k).map(|(_, v, _)| *v);
                let holds = self.ignore_compares
                    || writes.iter().all(|w| match w {
                        Write::Create { key, .. } => version(self, key).is_none(),
                        Write::Set { key, version: v, .. } | Write::Check { key, version: v } => version(self, key) == Some(*v),
                        Write::Live { .. } | Write::Delete { .. } => true,
                    });
                if holds {
                    for w in writes {
                        match w {
                            Write::Create { key, text } | Write::Set { key, text, .. } => self.put(&key, text),
                            Write::Check { .. } => {}
                            Write::Live { key, text, ttl_s } => {
                                self.put(&key, text);
                                self.live_until.insert(key, self.now + ttl_s as u64 * 1_000);
                            }
                            Write::Delete { key } => {
                                self.keys.remove(&key);
                                self.live_until.remove(&key);
                            }
                        }
                    }
                }
                Answer::Committed(holds)
            }
            Need::RollbackHandled | Need::Pause(_) => Answer::Done,
        })
    }

    /// One call run to its end alone.
    fn run(&mut self, call: idloom::Result<KvCall>) -> idloom::Result<Reading> {
        let mut call = call?;
        let mut need = call.start()?;
        loop {
            match self.serve(need) {
                Err(reading) => return Ok(reading),
                Ok(answer) => need = call.answer(answer)?,
            }
        }
    }

    fn init(&mut self, nodes: u64) {
        let call = KvCall::create_namespace(self.flavor, "orders", LAYOUT, nodes, CONFIG, true);
        assert!(matches!(self.run(call).unwrap(), Reading::Namespace(r) if r.nodes == nodes && r.floor_ms == 0));
    }
}

fn grant(r: Reading) -> idloom::lease::Grant {
    match r {
        Reading::Grant { grant, .. } => grant,
        other => panic!("not a grant: {other:?}"),
    }
}

#[test]
fn a_namespace_is_created_once_and_read_back_on_both_flavors() {
    for flavor in [Flavor::ZooKeeper, Flavor::Etcd] {
        let mut sim = Sim::new(flavor);
        assert_eq!(sim.run(KvCall::namespace(flavor, "orders")).unwrap(), Reading::Missing);
        assert_eq!(
            sim.run(KvCall::acquire(flavor, "orders", "a", sim.now)).unwrap_err().code(),
            ErrorCode::StoreStateLost
        );
        let not_fresh = KvCall::create_namespace(flavor, "orders", LAYOUT, 4, CONFIG, false);
        let Reading::Namespace(r) = sim.run(not_fresh).unwrap() else {
            panic!()
        };
        assert_eq!(r.floor_ms, sim.now + 3_500, "{flavor:?}: above every fence from before");
        // A second init answers what is there (the caller compares layout and nodes).
        let again = KvCall::create_namespace(flavor, "orders", "other", 8, CONFIG, true);
        assert_eq!(sim.run(again).unwrap(), Reading::Namespace(r.clone()));
        assert_eq!(sim.run(KvCall::namespace(flavor, "orders")).unwrap(), Reading::Namespace(r));
        // ZooKeeper's parents exist before anything is written under them.
        if flavor == Flavor::ZooKeeper {
            for k in ["/idloom", "/idloom/orders/clock", "/idloom/orders/nodes"] {
                assert!(sim.keys.contains_key(k), "{k}");
            }
        }
    }
}

#[test]
fn lease_renew_release_on_both_flavors_and_the_next_holder_starts_at_the_high_water() {
    for flavor in [Flavor::ZooKeeper, Flavor::Etcd] {
        let mut sim = Sim::new(flavor);
        sim.init(1);
        let now = sim.now;
        let g = grant(sim.run(KvCall::acquire(flavor, "orders", "a", now + 3_000)).unwrap());
        assert_eq!((g.node, g.epoch, g.fence_ms), (0, 1, now + 3_000));
        let err = sim.run(KvCall::acquire(flavor, "orders", "b", now + 3_000)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::NoFreeNode, "{flavor:?}");
        sim.now += 1_000;
        let r = grant(
            sim.run(KvCall::renew(flavor, "orders", 0, 1, g.start_ms, "a", sim.now + 3_000))
                .unwrap(),
        );
        assert_eq!((r.epoch, r.fence_ms), (1, sim.now + 3_000));
        // A renewal of another epoch, or a start that is not the lease's, is refused.
        let wrong = KvCall::renew(flavor, "orders", 0, 2, g.start_ms, "a", sim.now + 3_000);
        assert_eq!(sim.run(wrong).unwrap(), Reading::Refused);
        let hw = g.start_ms + 700;
        assert_eq!(
            sim.run(KvCall::release(flavor, "orders", 0, 1, g.start_ms, "a", hw)).unwrap(),
            Reading::Done
        );
        if flavor == Flavor::Etcd {
            assert!(
                !sim.keys.contains_key("/idloom/orders/live/0000000000"),
                "the liveness key went with the release"
            );
        }
        let b = grant(sim.run(KvCall::acquire(flavor, "orders", "b", sim.now + 3_000)).unwrap());
        assert_eq!(
            (b.node, b.epoch, b.start_ms),
            (0, 2, hw),
            "{flavor:?}: from the released high-water"
        );
        let again = KvCall::release(flavor, "orders", 0, 1, g.start_ms, "a", hw);
        assert_eq!(sim.run(again).unwrap_err().code(), ErrorCode::LeaseLost);
        let Reading::Nodes(rows) = sim.run(KvCall::nodes(flavor, "orders")).unwrap() else {
            panic!()
        };
        assert_eq!((rows.len(), rows[0].holder.as_str(), rows[0].epoch), (1, "b", 2));
    }
}

#[test]
fn on_etcd_a_node_is_held_while_its_liveness_key_lives_whatever_the_callers_clock() {
    let mut sim = Sim::new(Flavor::Etcd);
    sim.init(1);
    let g = grant(sim.run(KvCall::acquire(Flavor::Etcd, "orders", "a", sim.now + 3_000)).unwrap());
    let live = kvcall::live_key(&idloom::stores::kv::Keys::new("orders").unwrap(), 0);
    assert!(sim.live_until.contains_key(&live));
    // A caller whose clock runs far ahead still finds the node held: the store's lease decides.
    let (before, ahead) = (sim.now, sim.now + 60_000);
    sim.now = ahead;
    sim.live_until.insert(live.clone(), u64::MAX);
    assert_eq!(
        sim.run(KvCall::acquire(Flavor::Etcd, "orders", "b", ahead + 3_000))
            .unwrap_err()
            .code(),
        ErrorCode::NoFreeNode
    );
    // The liveness key's lease ends (the holder stopped renewing): free, above the fence.
    sim.now = before + 3_001;
    sim.live_until.insert(live, before + 3_000);
    let b = grant(sim.run(KvCall::acquire(Flavor::Etcd, "orders", "b", sim.now + 3_000)).unwrap());
    assert_eq!(b.epoch, 2);
    assert!(b.start_ms >= g.fence_ms);
    assert_eq!(kvcall::lease_ttl_s(3_000), 3);
    assert_eq!(kvcall::lease_ttl_s(1), 1);
    assert_eq!(kvcall::lease_ttl_s(1_500), 2);
}

#[test]
fn zookeepers_clock_key_missing_is_recreated_once_then_store_unavailable() {
    let mut sim = Sim::new(Flavor::ZooKeeper);
    sim.init(1);
    sim.keys.remove("/idloom/orders/clock");
    grant(sim.run(KvCall::acquire(Flavor::ZooKeeper, "orders", "a", sim.now + 3_000)).unwrap());
    // A clock key that vanishes every time.
    let mut call = KvCall::acquire(Flavor::ZooKeeper, "orders", "b", sim.now).unwrap();
    let mut need = call.start().unwrap();
    let err = loop {
        let answer = match &need {
            Need::Now(_) => Answer::Now(None),
            _ => sim.serve(need.clone()).unwrap(),
        };
        match call.answer(answer) {
            Ok(n) => need = n,
            Err(e) => break e,
        }
    };
    assert_eq!(err.code(), ErrorCode::StoreUnavailable);
}

#[test]
fn contention_that_never_settles_ends_in_store_unavailable_after_the_bound() {
    let mut sim = Sim::new(Flavor::Etcd);
    sim.init(2);
    let mut call = KvCall::acquire(Flavor::Etcd, "orders", "a", sim.now).unwrap();
    let mut need = call.start().unwrap();
    let mut commits = 0;
    let err = loop {
        let answer = match &need {
            Need::Commit(_) => {
                commits += 1;
                Answer::Committed(false) // another caller always got there first
            }
            _ => sim.serve(need.clone()).unwrap(),
        };
        match call.answer(answer) {
            Ok(n) => need = n,
            Err(e) => break e,
        }
    };
    assert_eq!((err.code(), commits), (ErrorCode::StoreUnavailable, kvcall::TRIES));
    // And a finished call takes no more answers.
    assert_eq!(call.answer(Answer::Done).unwrap_err().code(), ErrorCode::InvalidArgument);
}

#[test]
fn an_answer_that_does_not_fit_the_need_is_refused_not_guessed() {
    let mut call = KvCall::namespace(Flavor::ZooKeeper, "orders").unwrap();
    assert!(matches!(call.start().unwrap(), Need::Get(k) if k == "/idloom/orders"));
    assert_eq!(call.answer(Answer::Committed(true)).unwrap_err().code(), ErrorCode::InvalidArgument);
    let bad = Answer::Got(Some(Versioned {
        text: "not a record".into(),
        version: 1,
        written_ms: None,
    }));
    let mut call = KvCall::namespace(Flavor::Etcd, "orders").unwrap();
    call.start().unwrap();
    assert_eq!(call.answer(bad).unwrap_err().code(), ErrorCode::StoreSchema);
    for bad in ["../x", ""] {
        assert_eq!(KvCall::namespace(Flavor::Etcd, bad).unwrap_err().code(), ErrorCode::InvalidArgument);
    }
    assert_eq!(
        KvCall::acquire(Flavor::Etcd, "orders", "", 0).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        KvCall::create_counter(Flavor::Etcd, "t", 1, 10, true).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(Flavor::of("redis").unwrap_err().code(), ErrorCode::InvalidArgument);
}

#[test]
fn revisions_answered_out_of_order_are_not_a_rollback_a_lower_one_than_seen_before_is() {
    let mut r = Revisions::new();
    // Two calls in flight: both sent having seen 10; they answer 14 then 12.
    let before = r.seen();
    assert!(matches!(r.identity(1, before, 10), Identity::Named(_)));
    let (a, b) = (r.seen(), r.seen());
    assert!(!r.observe(a, 14));
    assert!(!r.observe(b, 12), "12 was sent before 14 was seen");
    // A call sent after 14 was seen answers 9: the store went back (a restore).
    let c = r.seen();
    assert_eq!(c, 14);
    assert!(matches!(r.identity(1, c, 9), Identity::RolledBack(n) if n == "etcd/0000000000000001"));
    assert!(r.observe(r.seen(), 9), "reported until the floor rose");
    r.handled();
    assert!(!r.observe(r.seen(), 10));
}

#[test]
fn after_a_rollback_an_acquire_raises_the_floor_first_and_renewals_and_releases_are_refused() {
    let mut sim = Sim::new(Flavor::Etcd);
    sim.init(2);
    let g = grant(sim.run(KvCall::acquire(Flavor::Etcd, "orders", "a", sim.now + 3_000)).unwrap());
    // The engine reports a rollback from here on, until the floor rose.
    let rolled = |sim: &mut Sim, call: KvCall| -> idloom::Result<Reading> {
        let mut call = call;
        let mut need = call.start()?;
        loop {
            let answer = match &need {
                Need::Now(_) => Answer::Now(Some((sim.now, Identity::RolledBack(sim.identity.clone())))),
                Need::Finished(r) => return Ok(r.clone()),
                _ => sim.serve(need.clone()).unwrap(),
            };
            need = call.answer(answer)?;
        }
    };
    let renew = KvCall::renew(Flavor::Etcd, "orders", 0, 1, g.start_ms, "a", sim.now + 3_000).unwrap();
    assert_eq!(rolled(&mut sim, renew).unwrap(), Reading::Refused);
    let release = KvCall::release(Flavor::Etcd, "orders", 0, 1, g.start_ms, "a", g.start_ms).unwrap();
    assert_eq!(rolled(&mut sim, release).unwrap_err().code(), ErrorCode::LeaseLost);
    // An acquire: the floor first (its own commit, then RollbackHandled), then as usual above it.
    let mut call = KvCall::acquire(Flavor::Etcd, "orders", "b", sim.now + 3_000).unwrap();
    let mut need = call.start().unwrap();
    let mut handled = false;
    let got = loop {
        let answer = match &need {
            Need::Now(_) if !handled => Answer::Now(Some((sim.now, Identity::RolledBack(sim.identity.clone())))),
            Need::RollbackHandled => {
                handled = true;
                Answer::Done
            }
            Need::Finished(r) => break r.clone(),
            _ => sim.serve(need.clone()).unwrap(),
        };
        need = call.answer(answer).unwrap();
    };
    assert!(handled);
    let Reading::Grant {
        grant: b,
        identity_changed,
    } = got
    else {
        panic!()
    };
    assert!(identity_changed, "the event store_identity_changed");
    assert!(
        b.start_ms >= sim.now + 3_500,
        "above every fence a holder from before could still use"
    );
}

#[test]
fn counters_hand_out_disjoint_ranges_on_both_flavors() {
    for flavor in [Flavor::ZooKeeper, Flavor::Etcd] {
        let mut sim = Sim::new(flavor);
        assert_eq!(
            sim.run(KvCall::create_counter(flavor, "order", 100, 10, false)).unwrap(),
            Reading::Done
        );
        assert_eq!(
            sim.run(KvCall::create_counter(flavor, "order", 1, 10, false)).unwrap(),
            Reading::Done,
            "never lowered"
        );
        assert_eq!(
            sim.run(KvCall::fetch(flavor, "order", 10, 1)).unwrap(),
            Reading::Range { start: 100, end: 110 }
        );
        // Two fetches interleaved: both read 110, one swap wins, the other pauses and reads again.
        let mut a = KvCall::fetch(flavor, "order", 5, 2).unwrap();
        let mut b = KvCall::fetch(flavor, "order", 7, 3).unwrap();
        let (na, nb) = (a.start().unwrap(), b.start().unwrap());
        let (ra, rb) = (sim.serve(na).unwrap(), sim.serve(nb).unwrap());
        let (ca, cb) = (a.answer(ra).unwrap(), b.answer(rb).unwrap());
        let won = a.answer(sim.serve(ca).unwrap()).unwrap();
        assert_eq!(won, Need::Finished(Reading::Range { start: 110, end: 115 }));
        let lost = b.answer(sim.serve(cb).unwrap()).unwrap();
        assert!(matches!(lost, Need::Pause(us) if us > 0), "{lost:?}");
        let mut need = b.answer(Answer::Done).unwrap();
        let range = loop {
            match sim.serve(need) {
                Err(r) => break r,
                Ok(answer) => need = b.answer(answer).unwrap(),
            }
        };
        assert_eq!(range, Reading::Range { start: 115, end: 122 });
        assert_eq!(
            sim.run(KvCall::fetch(flavor, "missing", 5, 4)).unwrap_err().code(),
            ErrorCode::StoreStateLost
        );
    }
}

#[test]
fn urls_are_read_once_for_every_binding() {
    let u = KvUrl::parse("zookeeper://a:1,b:2/app?session_timeout_ms=4000&call_timeout_ms=2000").unwrap();
    assert_eq!((u.flavor, u.hosts.len(), u.chroot.as_deref()), (Flavor::ZooKeeper, 2, Some("/app")));
    assert_eq!(
        (u.session_timeout_ms, u.call_timeout_ms, u.connect_string()),
        (4_000, 2_000, "a:1,b:2/app".to_string())
    );
    let e = KvUrl::parse("etcd://127.0.0.1:2379/").unwrap();
    assert_eq!(
        (e.flavor, e.hosts.clone(), e.call_timeout_ms),
        (Flavor::Etcd, vec!["127.0.0.1:2379".to_string()], 5_000)
    );
    for bad in [
        "redis://a:1",
        "zookeeper://",
        "zookeeper://a",
        "zookeeper://a:x",
        "zookeeper://:1",
        "etcd://a:1/chroot",
        "etcd://a:1?session_timeout_ms=100",
        "zookeeper://a:1?call_timeout_ms=5",
        "etcd://a:1?call_timeout_ms=0",
        "zookeeper://a:1?x",
    ] {
        let err = KvUrl::parse(bad).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{bad}");
    }
    let err = KvUrl::parse("zookeeper://a:1?call_timeout_ms=5").unwrap_err();
    assert_eq!(err.param(), Some("call_timeout_ms"));
}

/// What a holder does next in the interleaving test.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Plan {
    Acquire,
    Renew,
    Release,
}

/// `holders` holders on `nodes` nodes, each acquiring, renewing and
/// releasing in a loop, their calls advanced one need at a time in the
/// order `schedule` picks (and the clock moved by it): every grant, and
/// whether two leases of one node ever overlapped.
fn interleaved(flavor: Flavor, ignore_compares: bool, schedule: &[(u8, u16)]) -> Result<usize, String> {
    let (holders, nodes) = (4usize, 2u64);
    let mut sim = Sim::new(flavor);
    sim.init(nodes);
    sim.ignore_compares = ignore_compares;
    struct H {
        call: Option<(KvCall, Need)>,
        lease: Option<(u64, u64, u64)>, // node, epoch, start
        plan: Plan,
    }
    let mut hs: Vec<H> = (0..holders)
        .map(|_| H {
            call: None,
            lease: None,
            plan: Plan::Acquire,
        })
        .collect();
    // (node, epoch) → (start, the highest fence granted or the high-water released).
    let mut intervals: BTreeMap<(u64, u64), (u64, u64)> = BTreeMap::new();
    let mut grants = 0;
    for &(pick, advance) in schedule {
        sim.now += u64::from(advance % 700);
        let i = pick as usize % holders;
        let holder = format!("h{i}");
        let h = &mut hs[i];
        if h.call.is_none() {
            let now = sim.now;
            if let (Plan::Release, Some((node, epoch, start))) = (h.plan, h.lease) {
                // The holder stops minting when it decides to release: from
                // here its epoch is used up to the high-water it passes (its
                // start: nothing minted). The release may commit in the store
                // before the holder hears of it, or the schedule may end first.
                if let Some(e) = intervals.get_mut(&(node, epoch)) {
                    e.1 = start.clamp(e.0, e.1);
                }
            }
            let call = match (h.plan, h.lease) {
                (Plan::Renew, Some((node, epoch, start))) => KvCall::renew(flavor, "orders", node, epoch, start, &holder, now + 3_000),
                (Plan::Release, Some((node, epoch, start))) => KvCall::release(flavor, "orders", node, epoch, start, &holder, start),
                _ => KvCall::acquire(flavor, "orders", &holder, now + 3_000),
            };
            let mut call = call.unwrap();
            let need = call.start().unwrap();
            h.call = Some((call, need));
            continue;
        }
        let (mut call, need) = h.call.take().unwrap();
        let next = match sim.serve(need) {
            Err(reading) => Err(Ok(reading)),
            Ok(answer) => call.answer(answer).map_err(Err),
        };
        match next {
            Ok(need) => h.call = Some((call, need)),
            Err(done) => {
                match (h.plan, done) {
                    (Plan::Acquire, Ok(Reading::Grant { grant: g, .. })) => {
                        grants += 1;
                        if intervals.insert((g.node, g.epoch), (g.start_ms, g.fence_ms)).is_some() {
                            return Err(format!("node {} epoch {} granted twice", g.node, g.epoch));
                        }
                        h.lease = Some((g.node, g.epoch, g.start_ms));
                        h.plan = Plan::Renew;
                    }
                    (Plan::Renew, Ok(Reading::Grant { grant: g, .. })) => {
                        let e = intervals.get_mut(&(g.node, g.epoch)).ok_or("a renewal of no grant")?;
                        e.1 = e.1.max(g.fence_ms);
                        h.plan = Plan::Release;
                    }
                    (Plan::Release, Ok(Reading::Done)) => {
                        h.lease = None; // its interval ended when the release was sent
                        h.plan = Plan::Acquire;
                    }
                    _ => {
                        // Refused, lost, no free node, contention: start over.
                        h.lease = None;
                        h.plan = Plan::Acquire;
                    }
                }
            }
        }
    }
    // Per node, the epochs' intervals in order never overlap.
    for n in 0..nodes {
        let epochs: Vec<_> = intervals.range((n, 0)..(n + 1, 0)).collect();
        for pair in epochs.windows(2) {
            let ((_, e0), (s0, f0)) = pair[0];
            let ((_, e1), (s1, _)) = pair[1];
            if !(e0 < e1 && f0 <= s1 && s0 <= f0) {
                return Err(format!("node {n}: epoch {e0} [{s0}, {f0}] overlaps epoch {e1} from {s1}"));
            }
        }
    }
    Ok(grants)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Holders whose calls interleave at every read and write never get one
    /// node twice, and each epoch starts at or above the last one's fence.
    #[test]
    fn interleaved_holders_never_overlap_on_a_node(schedule in prop::collection::vec((any::<u8>(), any::<u16>()), 50..600), etcd in any::<bool>()) {
        let flavor = if etcd { Flavor::Etcd } else { Flavor::ZooKeeper };
        let r = interleaved(flavor, false, &schedule);
        prop_assert!(r.is_ok(), "{:?}", r);
    }
}

#[test]
fn with_the_compares_removed_the_same_interleavings_grant_a_node_twice() {
    // The defence is the compare on the versions read: without it, some
    // schedule of the same kind lets two holders write one node.
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for flavor in [Flavor::ZooKeeper, Flavor::Etcd] {
        let broken = (0..200).any(|_| {
            let schedule: Vec<(u8, u16)> = (0..400).map(|_| (next() as u8, next() as u16)).collect();
            assert!(interleaved(flavor, false, &schedule).is_ok());
            interleaved(flavor, true, &schedule).is_err()
        });
        assert!(broken, "{flavor:?}: no schedule broke without the compares");
    }
}

#[test]
fn the_interleavings_do_lease_and_release_nodes_again_and_again() {
    // The property above is about something: a long schedule re-leases the nodes many times.
    let schedule: Vec<(u8, u16)> = (0..2_000u32).map(|i| ((i * 7 % 11) as u8, (i * 131 % 900) as u16)).collect();
    for flavor in [Flavor::ZooKeeper, Flavor::Etcd] {
        let grants = interleaved(flavor, false, &schedule).unwrap();
        assert!(grants > 20, "{flavor:?}: {grants} grants");
    }
}
