//! The scenarios every engine runs on its real server, generic over [`Store`].
//! A store test fails, never skips, when its server is unreachable.

#![allow(dead_code)]

use idloom::segment::{SegmentConfig, StepSize};
use idloom::{ErrorCode, Layout};
use idloom_stores::{Grant, LeaseConfig, Renewed};
use idloom_stores::{Kind, LeaseOptions, LeaseStatus, NodeLease, Segment, SegmentGroup, SegmentOptions, Store};
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

#[cfg(feature = "etcd")]
pub mod etcd;
#[cfg(feature = "zookeeper")]
pub mod zk;

pub const LAYOUT: Layout = Layout::TWITTER;

/// The scenarios every engine runs alike on its test file's `store()`: one
/// `#[tokio::test]` each, named as its function here.
#[allow(unused_macros)]
macro_rules! scenarios {
    ($($scenario:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $scenario() {
            support::$scenario(store().await).await;
        }
    )*};
}
#[allow(unused_imports)]
pub(crate) use scenarios;

/// A name unique to this run and this call: the process id, the clock, a counter.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    format!(
        "{prefix}_{}_{:x}_{}",
        std::process::id(),
        nanos & 0xff_ffff_ffff,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A TTL long enough for a loaded 2-core machine (renewals every second).
pub const CONFIG: LeaseConfig = LeaseConfig {
    ttl_ms: 3_000,
    max_skew_ms: 1_000,
};

fn holder(name: &str) -> LeaseOptions {
    LeaseOptions {
        holder: Some(name.to_string()),
        ..LeaseOptions::default()
    }
}

/// Wait (bounded) until `check` holds.
pub async fn eventually(what: &str, seconds: u64, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    while !check() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn time_of(id: u64) -> u64 {
    LAYOUT.decompose(id).unwrap().timestamp_ms
}

/// Lease, mint, see a renewal extend the fence, release with the high-water;
/// the next holder starts at it.
pub async fn lease_mint_renew_release<S: Store>(store: S) {
    let ns = unique("lease");
    let record = store.init_namespace(&ns, LAYOUT, Some(4), CONFIG, true).await.unwrap();
    assert_eq!((record.nodes, record.ttl_ms, record.floor_ms), (4, 3_000, 0));
    // init_namespace again: the same record; another node count is store_schema.
    assert_eq!(store.init_namespace(&ns, LAYOUT, Some(4), CONFIG, true).await.unwrap().nodes, 4);
    let e = store.init_namespace(&ns, LAYOUT, Some(5), CONFIG, true).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreSchema, "{e}");

    let lease = NodeLease::acquire_with(store.clone(), &ns, LAYOUT, holder("a")).await.unwrap();
    assert!(lease.status().is_active());
    let first_fence = lease.fence_ms();
    assert!(first_fence > lease.start_ms());
    let mut ids = Vec::new();
    for _ in 0..2_000 {
        ids.push(lease.next_id().unwrap());
    }
    for _ in 0..2_000 {
        ids.push(lease.next_id_async().await.unwrap());
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "increasing");
    assert!(ids.iter().all(|&id| LAYOUT.decompose(id).unwrap().node == lease.node()));
    eventually("a renewal", 20, || lease.renewals() >= 1).await;
    assert!(lease.fence_ms() > first_fence, "a renewal extends the fence");
    let LeaseStatus::Active { fence_ms, .. } = lease.status() else {
        panic!("{:?}", lease.status())
    };
    assert!(fence_ms > first_fence);
    let rows = store.nodes(&ns).await.unwrap();
    assert_eq!(rows.len(), 4);
    let row = rows.iter().find(|r| r.node == lease.node()).unwrap();
    assert_eq!((row.holder.as_str(), row.epoch), ("a", lease.epoch()));

    let high_water = lease.release().await.unwrap().expect("sent");
    assert!(high_water > time_of(*ids.last().unwrap()));
    assert!(matches!(lease.status(), LeaseStatus::Released { .. }));
    assert_eq!(lease.next_id().unwrap_err().code(), ErrorCode::LeaseLost, "nothing after a release");
    assert_eq!(lease.release().await.unwrap(), None, "a second release sends nothing");
    let stats = lease.stats();
    assert_eq!(stats.get(Kind::LeaseAcquired), 1);
    assert!(stats.get(Kind::LeaseRenewed) >= 1);
    assert_eq!(stats.get(Kind::LeaseReleased), 1);
    assert_eq!(stats.get(Kind::LeaseLost), 0);
    // The node is free at once and its next holder starts at the high-water.
    let again = NodeLease::acquire_with(store.clone(), &ns, LAYOUT, holder("a")).await.unwrap();
    assert_eq!(again.node(), lease.node(), "sticky: the holder's previous node first");
    assert_eq!(again.epoch(), lease.epoch() + 1);
    assert_eq!(again.start_ms(), high_water);
    let next = again.next_id().unwrap();
    assert!(time_of(next) >= high_water && !ids.contains(&next));
    again.release().await.unwrap();
}

/// Two holders never get the same node; a third finds none free.
pub async fn two_holders_two_nodes<S: Store>(store: S) {
    let ns = unique("two");
    store.init_namespace(&ns, LAYOUT, Some(2), CONFIG, true).await.unwrap();
    let (a, b) = tokio::join!(
        NodeLease::acquire_with(store.clone(), &ns, LAYOUT, holder("a")),
        NodeLease::acquire_with(store.clone(), &ns, LAYOUT, holder("b")),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_ne!(a.node(), b.node());
    let e = NodeLease::acquire_with(store.clone(), &ns, LAYOUT, holder("c")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NoFreeNode, "{e}");
    let ids: HashSet<u64> = (0..1_000).flat_map(|_| [a.next_id().unwrap(), b.next_id().unwrap()]).collect();
    assert_eq!(ids.len(), 2_000);
    // A namespace that is not there, and a layout that is not the namespace's.
    let e = NodeLease::acquire(store.clone(), &unique("none"), LAYOUT).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreStateLost, "{e}");
    let e = NodeLease::acquire(store.clone(), &ns, Layout::SONYFLAKE).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreSchema, "{e}");
    a.release().await.unwrap();
    b.release().await.unwrap();
}

/// The node is stolen (`expire` edits the store so that its lease has run
/// out; another holder takes it): the first holder's renewal is refused,
/// its status is `lease_lost`, and it never mints at or past the fence the
/// new holder starts at.
pub async fn a_refused_renewal_stops_at_the_fence<S: Store>(store: S, expire: impl AsyncFn(String)) {
    let ns = unique("steal");
    store.init_namespace(&ns, LAYOUT, Some(1), CONFIG, true).await.unwrap();
    let a = NodeLease::acquire_with(store.clone(), &ns, LAYOUT, holder("a")).await.unwrap();
    let mut lost = a.subscribe();
    let a_ids: Vec<u64> = (0..1_000).map(|_| a.next_id().unwrap()).collect();
    // a's renewal may land between the edit and b's acquire (it extends the
    // expiry again): then b finds no free node, and the edit is made again.
    let mut tries = 0;
    let b = loop {
        expire(ns.clone()).await;
        match NodeLease::acquire_with(store.clone(), &ns, LAYOUT, holder("b")).await {
            Ok(b) => break b,
            Err(e) if e.code() == ErrorCode::NoFreeNode && tries < 5 => tries += 1,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(b.node(), a.node());
    assert_eq!(b.epoch(), a.epoch() + 1);
    assert!(b.start_ms() >= a.fence_ms(), "b starts at a's last fence");
    // a's fence is up to a TTL ahead of the clock: b mints from its start on.
    let now = idloom::Clock::now_ms(&idloom_stores::SystemClock);
    tokio::time::sleep(Duration::from_millis(b.start_ms().saturating_sub(now) + 5)).await;
    let b_ids: Vec<u64> = (0..1_000).map(|_| b.next_id().unwrap()).collect();
    // a's next renewal is refused (within a third of the TTL, bounded here generously).
    let status = tokio::time::timeout(Duration::from_secs(20), lost.wait_for(|s| !s.is_active()))
        .await
        .expect("a's renewal ended")
        .unwrap()
        .clone();
    let LeaseStatus::Lost(e) = status else { panic!("{status:?}") };
    assert_eq!(e.code(), ErrorCode::LeaseLost, "{e}");
    assert_eq!(a.next_id().unwrap_err().code(), ErrorCode::LeaseLost);
    assert_eq!(a.stats().get(Kind::LeaseLost), 1);
    assert!(a_ids.iter().all(|&id| time_of(id) < b.start_ms()));
    assert!(b_ids.iter().all(|&id| time_of(id) >= b.start_ms()));
    let all: HashSet<u64> = a_ids.iter().chain(&b_ids).copied().collect();
    assert_eq!(all.len(), a_ids.len() + b_ids.len(), "no ID in common");
    assert_eq!(a.release().await.unwrap(), None, "a lost lease sends nothing");
    b.release().await.unwrap();
}

fn options(step: u64) -> SegmentOptions {
    SegmentOptions {
        config: SegmentConfig {
            step: StepSize::Fixed(step),
            ..SegmentConfig::default()
        },
        ..SegmentOptions::default()
    }
}

/// Two segments on one counter hand out unique increasing IDs; a missing
/// counter is `store_state_lost`; a group turns over its segments.
pub async fn segments_unique<S: Store>(store: S) {
    let tag = unique("seg");
    store.init_segment(&tag, 1_000, 100).await.unwrap();
    store.init_segment(&tag, 0, 100).await.unwrap(); // never lowered
    let one = Segment::open(store.clone(), &tag, options(100)).await.unwrap();
    let two = Segment::open(store.clone(), &tag, options(100)).await.unwrap();
    let (a, b) = tokio::join!(
        async {
            let mut v = Vec::new();
            for _ in 0..1_500 {
                v.push(one.next_id().await.unwrap());
            }
            v
        },
        async {
            let mut v = Vec::new();
            for _ in 0..1_500 {
                v.push(two.next_id().await.unwrap());
            }
            v
        }
    );
    for ids in [&a, &b] {
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "increasing in each segment");
        assert!(ids.iter().all(|&id| id >= 1_000), "from the floor on");
    }
    let all: HashSet<u64> = a.iter().chain(&b).copied().collect();
    assert_eq!(all.len(), 3_000, "unique across the two segments");
    // Batches (one lock for what memory holds, then each refill awaited)
    // are the same IDs as one at a time: increasing, across refills, unique.
    let three = Segment::open(store.clone(), &tag, options(100)).await.unwrap();
    let mut batch = vec![0]; // appended to, never overwritten
    for n in [1, 99, 250, 0, 650] {
        three.next_ids(n, &mut batch).await.unwrap();
    }
    assert_eq!(batch.len(), 1_001);
    assert!(batch[1..].windows(2).all(|w| w[0] < w[1]), "increasing across refills");
    assert!(batch[1..].iter().all(|id| !all.contains(id)), "none served by the others");
    let e = Segment::open(store.clone(), &unique("nope"), options(10)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreStateLost, "{e}");
    let range = store.fetch(&tag, 7).await.unwrap();
    assert_eq!(range.len(), 7);

    // A group over two counters interleaved by stride and offset.
    let (t0, t1) = (unique("grp"), unique("grp"));
    store.init_segment(&t0, 0, 50).await.unwrap();
    store.init_segment(&t1, 0, 50).await.unwrap();
    let mut segs = Vec::new();
    for (k, t) in [&t0, &t1].into_iter().enumerate() {
        let mut o = options(50);
        o.config.stride = 2;
        o.config.offset = k as u64;
        segs.push(Segment::open(store.clone(), t, o).await.unwrap());
    }
    let group = SegmentGroup::new(segs).unwrap();
    let mut ids = HashSet::new();
    for _ in 0..400 {
        assert!(ids.insert(group.next_id().await.unwrap()));
    }
    assert!(
        ids.iter().any(|i| i % 2 == 0) && ids.iter().any(|i| i % 2 == 1),
        "both segments served"
    );
}

/// What a store that cannot be reached answers: `store_unavailable`, from
/// every call (within the driver's connect timeout).
pub async fn refused<S: Store>(store: S) {
    let e = tokio::time::timeout(Duration::from_secs(30), store.init())
        .await
        .expect("bounded")
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreUnavailable, "{e}");
    let e = tokio::time::timeout(Duration::from_secs(30), store.init_namespace("refused", LAYOUT, None, CONFIG, true))
        .await
        .expect("bounded")
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreUnavailable, "{e}");
    let e = tokio::time::timeout(Duration::from_secs(30), NodeLease::acquire(store.clone(), "refused", LAYOUT))
        .await
        .expect("bounded")
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreUnavailable, "{e}");
    let e = tokio::time::timeout(Duration::from_secs(30), store.fetch("refused", 10))
        .await
        .expect("bounded")
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreUnavailable, "{e}");
}

/// Arguments are checked by the core before anything is sent.
pub async fn arguments<S: Store>(store: S) {
    let e = store.init_namespace("bad name", LAYOUT, None, CONFIG, true).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    let bad = LeaseConfig {
        ttl_ms: 1_000,
        max_skew_ms: 1_000,
    };
    assert_eq!(
        store.init_namespace("ok", LAYOUT, None, bad, true).await.unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(store.fetch("t{x}", 1).await.unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(store.fetch("t", 0).await.unwrap_err().code(), ErrorCode::InvalidArgument);
    let e = NodeLease::acquire_with(store.clone(), "ok", LAYOUT, holder("tab\there"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
}

/// A store whose renewals and fetches fail with `store_unavailable` while
/// `down` is set (an outage the driver reports as no answer).
#[derive(Clone)]
pub struct Flaky<S> {
    pub inner: S,
    pub down: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl<S> Flaky<S> {
    pub fn new(inner: S) -> Self {
        Flaky {
            inner,
            down: Default::default(),
        }
    }
    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }
    fn check(&self) -> idloom::Result<()> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(idloom::Error::store(ErrorCode::StoreUnavailable, "test: the store is down".into()));
        }
        Ok(())
    }
}

impl<S: Store> Store for Flaky<S> {
    fn engine(&self) -> &'static str {
        self.inner.engine()
    }
    async fn init(&self) -> idloom::Result<()> {
        self.inner.init().await
    }
    async fn create_namespace(&self, init: &idloom_stores::NamespaceInit<'_>) -> idloom::Result<idloom_stores::NamespaceRecord> {
        self.inner.create_namespace(init).await
    }
    async fn namespace(&self, namespace: &str) -> idloom::Result<Option<idloom_stores::NamespaceRecord>> {
        self.inner.namespace(namespace).await
    }
    async fn acquire_noting(&self, namespace: &str, holder: &str, proposed_fence_ms: u64) -> idloom::Result<(idloom_stores::Grant, bool)> {
        self.inner.acquire_noting(namespace, holder, proposed_fence_ms).await
    }
    async fn renew_noting(
        &self,
        namespace: &str,
        node: u64,
        epoch: u64,
        start_ms: u64,
        holder: &str,
        proposed_fence_ms: u64,
    ) -> idloom::Result<Renewed> {
        self.check()?;
        self.inner
            .renew_noting(namespace, node, epoch, start_ms, holder, proposed_fence_ms)
            .await
    }
    async fn release(&self, namespace: &str, node: u64, epoch: u64, start_ms: u64, holder: &str, high_water_ms: u64) -> idloom::Result<()> {
        self.inner.release(namespace, node, epoch, start_ms, holder, high_water_ms).await
    }
    async fn nodes(&self, namespace: &str) -> idloom::Result<Vec<idloom_stores::NodeStatus>> {
        self.inner.nodes(namespace).await
    }
    async fn create_counter(&self, biz_tag: &str, floor: u64, step: u64, guard: bool) -> idloom::Result<()> {
        self.inner.create_counter(biz_tag, floor, step, guard).await
    }
    async fn fetch(&self, biz_tag: &str, step: u64) -> idloom::Result<idloom_stores::Range> {
        self.check()?;
        self.inner.fetch(biz_tag, step).await
    }
}

/// Renewals that get no answer are retried (the core's `Renewal::Retry`):
/// the lease stays active, the fence stands, and the generator stops at it
/// (`lease_expired`), never past; once the store answers again a renewal
/// extends the fence and minting goes on.
pub async fn an_outage_stops_minting_at_the_fence<S: Store>(store: S) {
    let config = LeaseConfig {
        ttl_ms: 1_500,
        max_skew_ms: 500,
    };
    let store = Flaky::new(store);
    let ns = unique("outage");
    store.init_namespace(&ns, LAYOUT, Some(1), config, true).await.unwrap();
    let lease = NodeLease::acquire_with(store.clone(), &ns, LAYOUT, holder("a")).await.unwrap();
    let mut ids: Vec<u64> = (0..100).map(|_| lease.next_id().unwrap()).collect();
    store.set_down(true);
    let fence = lease.fence_ms();
    // Mint until the fence stops the generator (bounded: the fence is at most TTL + skew ahead).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let stopped = loop {
        assert!(std::time::Instant::now() < deadline, "the generator never stopped");
        match lease.next_id() {
            Ok(id) => ids.push(id),
            Err(e) => break e,
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    assert_eq!(stopped.code(), ErrorCode::LeaseExpired, "{stopped}");
    let fence = fence.max(lease.fence_ms()); // a renewal may have landed just before the outage
    assert!(ids.iter().all(|&id| time_of(id) < fence), "nothing at or past the fence");
    assert!(lease.status().is_active(), "no answer is no refusal: {:?}", lease.status());
    eventually("retried renewals", 20, || lease.renewal_failures() >= 2).await;
    assert!(lease.stats().get(Kind::LeaseRenewalFailed) >= 2);
    // The store is back: the node was not taken, so the next renewal extends the fence.
    let renewed = lease.renewals();
    store.set_down(false);
    eventually("a renewal after the outage", 20, || lease.renewals() > renewed).await;
    assert!(lease.fence_ms() > fence);
    let next = lease.next_id().unwrap();
    assert!(next > *ids.last().unwrap());
    lease.release().await.unwrap();
}

/// A refill that fails is the error of a `next_id` that found memory dry
/// (never a hang); once the store answers, IDs go on, unique and increasing.
pub async fn a_failed_refill_is_reported_then_recovers<S: Store>(store: S) {
    let store = Flaky::new(store);
    let tag = unique("refill");
    store.init_segment(&tag, 0, 10).await.unwrap();
    let mut o = options(10);
    o.wait_ms = 5_000;
    let seg = Segment::open(store.clone(), &tag, o).await.unwrap();
    let mut ids = vec![seg.next_id().await.unwrap()];
    // Let the prefetch land, then take the store down and drain memory.
    eventually("the prefetched range", 20, || seg.remaining() > 10).await;
    store.set_down(true);
    let e = loop {
        match seg.next_id().await {
            Ok(id) => ids.push(id),
            Err(e) => break e,
        }
    };
    assert_eq!(e.code(), ErrorCode::StoreUnavailable, "{e}");
    assert_eq!(ids.len(), 20, "exactly what was in memory");
    let stats = seg.stats();
    assert!(
        stats.get(Kind::SegmentFetched) >= 2 && stats.get(Kind::SegmentFetchFailed) >= 1,
        "{stats:?}"
    );
    assert_eq!(stats.get(Kind::SegmentRanDry), 1);
    store.set_down(false);
    // A refill that started while the store was down may still end after
    // this: it fails a call or two, then the store's answers come through.
    let mut late = 0;
    while ids.len() < 50 {
        match seg.next_id().await {
            Ok(id) => ids.push(id),
            Err(e) if late < 2 && e.code() == ErrorCode::StoreUnavailable => late += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

/// A guarded counter: fetches work under the identity it recorded; once the
/// recorded identity is another (`tamper` edits it, as a restore or a
/// failover would leave it) every fetch is `store_state_lost`, until
/// `init_segment_guarded` again raises it to `max(counter, floor)`.
pub async fn guarded_counters<S: Store>(store: S, tamper: impl AsyncFn(String)) {
    let tag = unique("guard");
    store.init_segment_guarded(&tag, 100, 10).await.unwrap();
    assert_eq!(store.fetch(&tag, 10).await.unwrap().start, 100);
    tamper(tag.clone()).await;
    let e = store.fetch(&tag, 10).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreStateLost, "{e}");
    assert!(e.to_string().contains("store identity changed"), "{e}");
    let e = Segment::open(store.clone(), &tag, options(10)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreStateLost, "{e}");
    store.init_segment_guarded(&tag, 5_000, 10).await.unwrap();
    assert_eq!(store.fetch(&tag, 10).await.unwrap().start, 5_000, "raised to the floor");
    store.init_segment_guarded(&tag, 0, 10).await.unwrap(); // same identity: nothing moves
    assert_eq!(store.fetch(&tag, 10).await.unwrap().start, 5_010, "never lowered");
}

// ---- the lease calls one by one (moved from the core's tests/support/race.rs) ----

/// Short leases for the scenarios that call the store directly (no renewal task).
pub const SHORT: LeaseConfig = LeaseConfig {
    ttl_ms: 300,
    max_skew_ms: 100,
};

pub fn now_ms() -> u64 {
    idloom::Clock::now_ms(&idloom_stores::SystemClock)
}

/// The pick every store makes, on a namespace of free nodes 0 and 1 (and
/// maybe more): a and b get 0 and 1; released, b's node is the one that
/// expired first; a's own node comes back to a (sticky).
pub async fn expired_first_then_sticky<S: Store>(db: &S, ns: &str) {
    let a = db.acquire(ns, "a", 0).await.unwrap();
    let b = db.acquire(ns, "b", 0).await.unwrap();
    assert_eq!((a.node, b.node), (0, 1));
    db.release(ns, b.node, b.epoch, b.start_ms, "b", b.start_ms).await.unwrap();
    assert_eq!(db.acquire(ns, "c", 0).await.unwrap().node, 1, "released: expired first");
    db.release(ns, a.node, a.epoch, a.start_ms, "a", a.start_ms).await.unwrap();
    assert_eq!(db.acquire(ns, "a", 0).await.unwrap().node, 0, "sticky");
}

/// Every store clamps a proposed fence to one lease ahead of its own clock,
/// on a one-node namespace made here with [`SHORT`]: holder a proposes a
/// fence ten years ahead when it acquires and `renew_proposal` when it
/// renews, and gets `store now + ttl + max_skew` both times; once its lease
/// runs out, b takes the node at a's last fence — usable, not years away.
/// `after_renew` runs with a's renewed grant (an engine's own checks while a
/// still holds the node). Answers (a, a renewed, b).
pub async fn proposed_fences_are_clamped<S, F, Fut>(db: &S, renew_proposal: u64, after_renew: F) -> (String, Grant, Grant, Grant)
where
    S: Store,
    F: FnOnce(String, Grant) -> Fut,
    Fut: Future<Output = ()>,
{
    let (ns, config) = (unique("clamp"), SHORT);
    db.init_namespace(&ns, LAYOUT, Some(1), config, true).await.unwrap();
    let years = now_ms() + 10 * 365 * 86_400_000;
    let a = db.acquire(&ns, "a", years).await.unwrap();
    let bound = |g: &Grant| g.store_now_ms + config.ttl_ms + config.max_skew_ms;
    assert_eq!(a.fence_ms, bound(&a), "acquire: clamped to store now + ttl + max_skew");
    let r = db
        .renew(&ns, a.node, a.epoch, a.start_ms, "a", renew_proposal)
        .await
        .unwrap()
        .expect("renewed");
    assert_eq!(r.fence_ms, bound(&r), "renew: clamped too");
    after_renew(ns.clone(), r).await;
    tokio::time::sleep(Duration::from_millis(config.ttl_ms + 50)).await;
    let b = db.acquire(&ns, "b", 0).await.unwrap();
    assert_eq!(
        b.start_ms, r.fence_ms,
        "the node stays usable: the next start is the last reachable fence"
    );
    assert!(b.start_ms < years);
    (ns, a, r, b)
}

/// Expiry on the store's clock: a holds the only node (its skew estimate
/// near 0 on this machine), b finds none free; a's renewals move the fence
/// on (clamped), never back, also when they change nothing; once a's lease
/// ran out b takes the node at a's last fence; a's renewal is refused and
/// its release `lease_lost`; b's release (a high-water past its start is
/// clamped into its interval) frees the node at once for a sticky b.
pub async fn expiry_on_the_stores_clock<S: Store>(db: &S) {
    use idloom::lease::Lease;
    let ns = unique("expiry");
    db.init_namespace(&ns, LAYOUT, Some(1), SHORT, true).await.unwrap();
    let p = Lease::propose(&SHORT, now_ms());
    let a = db.acquire(&ns, "a", p.fence_ms).await.unwrap();
    // The skew estimate (a roomy bound: a loaded CI machine can answer slowly).
    let roomy = LeaseConfig {
        ttl_ms: 60_000,
        max_skew_ms: 5_000,
    };
    let lease = Lease::from_grant(roomy, &p, &a, now_ms()).unwrap();
    assert!(lease.skew_ms().unsigned_abs() < 1_000, "same machine: skew {}", lease.skew_ms());
    assert!(a.store_now_ms.abs_diff(now_ms()) < 1_000, "the store's clock");
    assert_eq!(db.acquire(&ns, "b", 0).await.unwrap_err().code(), ErrorCode::NoFreeNode);
    let r = db
        .renew(&ns, a.node, a.epoch, a.start_ms, "a", a.fence_ms + 50)
        .await
        .unwrap()
        .expect("renewed");
    assert_eq!(
        (r.epoch, r.fence_ms),
        (
            a.epoch,
            (a.fence_ms + 50)
                .min(r.store_now_ms + SHORT.ttl_ms + SHORT.max_skew_ms)
                .max(a.fence_ms)
        )
    );
    // Renewals that change nothing (a lower fence, the same millisecond) still hold; the fence never goes back.
    let mut last = r;
    for _ in 0..20 {
        last = db.renew(&ns, a.node, a.epoch, a.start_ms, "a", 5).await.unwrap().expect("renewed");
        assert!(last.fence_ms >= r.fence_ms);
    }
    tokio::time::sleep(Duration::from_millis(SHORT.ttl_ms + 50)).await;
    let b = db.acquire(&ns, "b", 0).await.unwrap();
    assert_eq!((b.node, b.epoch), (a.node, a.epoch + 1));
    assert_eq!(b.start_ms, last.fence_ms, "b starts at a's last fence");
    assert_eq!(
        db.renew(&ns, a.node, a.epoch, a.start_ms, "a", 1 << 40).await.unwrap(),
        None,
        "refused"
    );
    let e = db.release(&ns, a.node, a.epoch, a.start_ms, "a", 0).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::LeaseLost, "{e}");
    // b releases with a high-water past its start: clamped into b's interval, free at once.
    db.release(&ns, b.node, b.epoch, b.start_ms, "b", b.start_ms + 7).await.unwrap();
    let c = db.acquire(&ns, "b", 0).await.unwrap();
    assert_eq!((c.epoch, c.start_ms), (b.epoch + 1, b.start_ms), "sticky and immediate");
}

/// A namespace created not fresh (a store that lost it): acquire before is
/// `store_state_lost`; the floor is about now + ttl + max_skew; another
/// layout is `store_schema`; the first grant starts at the floor. Answers
/// the namespace.
pub async fn a_namespace_created_not_fresh_starts_at_its_floor<S: Store>(db: &S) -> String {
    let ns = unique("floor");
    let e = db.acquire(&ns, "a", 0).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreStateLost, "a missing namespace: {e}");
    let before = now_ms();
    let floor = db.init_namespace(&ns, LAYOUT, Some(2), SHORT, false).await.unwrap().floor_ms;
    let after = now_ms();
    assert!(
        floor + 5 >= before + 400 && floor <= after + 400 + 5,
        "floor {floor} ~ now + ttl + skew"
    );
    let e = db.init_namespace(&ns, Layout::SONYFLAKE, Some(2), SHORT, false).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreSchema, "one layout per namespace: {e}");
    assert_eq!(db.acquire(&ns, "a", now_ms() + 300).await.unwrap().start_ms, floor);
    ns
}

/// Sixteen holders race for eight nodes with short TTLs, some releasing at
/// once: no (node, epoch) is handed out twice, and every epoch starts at or
/// above the fence the previous one ended with. Answers the grants made.
pub async fn sixteen_holders_on_eight_nodes<S: Store>(db: &S) -> usize {
    let ns = unique("race");
    db.init_namespace(&ns, LAYOUT, Some(8), SHORT, true).await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|t| {
            let (db, ns) = (db.clone(), ns.clone());
            tokio::spawn(async move {
                let holder = format!("h{t}");
                let mut mine = Vec::new();
                for round in 0..24 {
                    match db.acquire(&ns, &holder, now_ms() + SHORT.ttl_ms).await {
                        Ok(g) if round % 3 == 0 => {
                            db.release(&ns, g.node, g.epoch, g.start_ms, &holder, g.start_ms).await.unwrap(); // nothing minted
                            mine.push((g, g.start_ms));
                        }
                        Ok(g) => mine.push((g, g.fence_ms)),
                        Err(e) => assert_eq!(e.code(), ErrorCode::NoFreeNode, "{e}"),
                    }
                    tokio::time::sleep(Duration::from_millis(30)).await;
                }
                mine
            })
        })
        .collect();
    // (grant, the fence it ended with: its start if released with nothing minted).
    let mut grants: Vec<(Grant, u64)> = Vec::new();
    for t in tasks {
        grants.extend(t.await.unwrap());
    }
    let mut seen = HashSet::new();
    let mut by_node: Vec<Vec<(Grant, u64)>> = vec![Vec::new(); 8];
    for (g, end) in &grants {
        assert!(
            seen.insert((g.node, g.epoch)),
            "(node {}, epoch {}) handed out twice",
            g.node,
            g.epoch
        );
        by_node[g.node as usize].push((*g, *end));
    }
    for list in &mut by_node {
        list.sort_by_key(|(g, _)| g.epoch);
        for w in list.windows(2) {
            assert!(
                w[1].0.start_ms >= w[0].1,
                "epoch {} starts below epoch {}'s last fence",
                w[1].0.epoch,
                w[0].0.epoch
            );
        }
    }
    assert!(grants.len() > 16, "only {} grants", grants.len());
    grants.len()
}

/// The record of a namespace (none before it is made) and the status of
/// its 3 nodes after one acquisition by `h`: the held node shows its
/// holder, epoch and fence; the others were never held.
pub async fn lookup_and_status<S: Store>(db: &S) {
    let ns = unique("status");
    assert_eq!(db.namespace(&ns).await.unwrap(), None, "no record: the caller's store_state_lost");
    db.init_namespace(&ns, LAYOUT, Some(3), SHORT, true).await.unwrap();
    let r = db.namespace(&ns).await.unwrap().expect("the record");
    assert_eq!(r.layout, idloom::stores::layout_record(&LAYOUT));
    assert_eq!(
        (r.nodes, r.ttl_ms, r.max_skew_ms, r.floor_ms),
        (3, SHORT.ttl_ms, SHORT.max_skew_ms, 0)
    );
    let g = db.acquire(&ns, "h", 1_000).await.unwrap();
    let rows = db.nodes(&ns).await.unwrap();
    assert_eq!(rows.len(), 3);
    let held = &rows[g.node as usize];
    assert_eq!((held.holder.as_str(), held.epoch, held.fence_ms), ("h", g.epoch, g.fence_ms));
    assert!(rows
        .iter()
        .filter(|r| r.node != g.node)
        .all(|r| r.holder.is_empty() && r.epoch == 0));
}

/// Eight fetchers take 40 ranges of 100 each from one counter made at
/// `floor` (a fresh one: nobody else draws from it): the ranges are
/// contiguous from the floor, never overlapping. A compare-and-set fetch
/// that lost every round of the core's loop is retried (and counted).
pub async fn eight_fetchers_on_one_counter<S: Store>(db: &S, floor: u64) {
    let tag = unique("eight");
    db.init_segment(&tag, floor, 1_000).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (db, tag) = (db.clone(), tag.clone());
            tokio::spawn(async move {
                let (mut v, mut retries) = (Vec::new(), 0u32);
                while v.len() < 40 {
                    match db.fetch(&tag, 100).await {
                        Ok(r) => v.push(r),
                        // Compare-and-set that lost the core's 16 rounds to the other
                        // seven is store_unavailable: the caller retries (as a Segment's refill does).
                        Err(e)
                            if e.code() == ErrorCode::StoreUnavailable && e.to_string().contains("compare-and-set") && retries < 1_000 =>
                        {
                            retries += 1
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
                (v, retries)
            })
        })
        .collect();
    let (mut ranges, mut retries) = (Vec::new(), 0);
    for t in tasks {
        let (v, r) = t.await.unwrap();
        ranges.extend(v.into_iter().map(|r| (r.start, r.end)));
        retries += r;
    }
    eprintln!("{}: 320 fetches by 8 fetchers, {retries} fetches retried", db.engine());
    ranges.sort_unstable();
    assert_eq!(ranges.len(), 320);
    assert_eq!(ranges[0].0, floor);
    for w in ranges.windows(2) {
        assert_eq!(w[0].1, w[1].0, "contiguous, no overlap: {:?} {:?}", w[0], w[1]);
    }
    assert!(ranges.iter().all(|r| r.1 - r.0 == 100));
}

/// An SQL store on a table that does not exist yet: a fetch is
/// `store_schema`; once a counter made it, another counter is `store_state_lost`.
pub async fn a_missing_table_and_a_missing_counter<S: Store>(db: &S) {
    let e = db.fetch("order", 10).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreSchema, "a missing table: {e}");
    db.init_segment("order", 1, 10).await.unwrap();
    let e = db.fetch("nope", 10).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreStateLost, "a missing counter: {e}");
}

/// A store that no longer is the one the namespace recorded (a restore, a
/// promotion, a restart with its data reloaded): `forget` makes the record
/// name another identity. The next acquire raises the namespace floor and
/// reports `store_identity_changed` once, the lease starting at or above the
/// floor; `changes` false: an engine without an identity (MariaDB) never does.
pub async fn store_identity_changed<S, F, Fut>(db: S, changes: bool, forget: F)
where
    S: Store,
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use idloom_stores::Kind::StoreIdentityChanged as CHANGED;
    let ns = unique("ident");
    db.init_namespace(&ns, LAYOUT, Some(4), CONFIG, true).await.unwrap();
    let first = NodeLease::acquire(db.clone(), &ns, LAYOUT).await.unwrap();
    assert_eq!(first.stats().get(CHANGED), 0, "the identity init recorded");
    first.release().await.unwrap();
    forget(ns.clone()).await;
    let lease = NodeLease::acquire(db.clone(), &ns, LAYOUT).await.unwrap();
    let floor = db.namespace(&ns).await.unwrap().unwrap().floor_ms;
    assert_eq!(lease.stats().get(CHANGED), u64::from(changes));
    assert_eq!(floor > 0, changes, "the floor rises with the identity (fresh: 0)");
    assert!(lease.start_ms() >= floor);
    lease.release().await.unwrap();
    let again = NodeLease::acquire(db.clone(), &ns, LAYOUT).await.unwrap();
    assert_eq!(again.stats().get(CHANGED), 0, "reported once");
    again.release().await.unwrap();
}

/// The same change met first by a live lease's renewal (every third of the
/// TTL): the renewal is refused — the lease is from before the store
/// changed, `lease_lost` — and leaves the namespace as it is; the next
/// acquire raises the floor, reports the change once and starts above every
/// fence from before. `changes` false (MariaDB, no identity): the lease
/// renews on.
pub async fn store_identity_changed_on_renewal<S, F, Fut>(db: S, changes: bool, forget: F)
where
    S: Store,
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use idloom_stores::Kind::{LeaseLost as LOST, LeaseRenewed as RENEWED, StoreIdentityChanged as CHANGED};
    let ns = unique("identr");
    db.init_namespace(&ns, LAYOUT, Some(4), CONFIG, true).await.unwrap();
    let lease = NodeLease::acquire(db.clone(), &ns, LAYOUT).await.unwrap();
    forget(ns.clone()).await;
    let before = lease.stats().get(RENEWED);
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(3 * CONFIG.ttl_ms);
    let over = |l: &NodeLease<S>| {
        if changes {
            l.stats().get(LOST) == 1
        } else {
            l.stats().get(RENEWED) >= before + 2
        }
    };
    while !over(&lease) {
        assert!(std::time::Instant::now() < deadline, "the renewal's outcome within three TTLs");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(lease.stats().get(CHANGED), 0, "a refused renewal reports nothing but lease_lost");
    assert_eq!(
        db.namespace(&ns).await.unwrap().unwrap().floor_ms,
        0,
        "the floor is left to the next acquire"
    );
    if changes {
        assert_eq!(lease.state(), idloom::lease::LeaseState::Lost);
        let fence = lease.fence_ms(); // the generator mints below it, then lease_lost
        let next = NodeLease::acquire(db.clone(), &ns, LAYOUT).await.unwrap();
        assert_eq!(next.stats().get(CHANGED), 1, "the acquire that meets the change reports it");
        let floor = db.namespace(&ns).await.unwrap().unwrap().floor_ms;
        assert!(floor > fence && next.start_ms() >= floor, "above every fence from before");
        next.release().await.unwrap();
    }
    lease.release().await.unwrap();
}

/// SPIN's `no_start_check` schedule on a real server: holder a's first
/// lease (node 0) is snapshotted (`save`), runs out, and a's restart leases
/// node 0 again (sticky: epoch 2, starting at the first lease's fence); then
/// the store is restored (`restore`: node 0's record as saved, and the
/// namespace's recorded identity no longer the server's). The first lease,
/// revived on the store, is refused — while the identity differs, and after
/// another holder's acquire raised the floor, because its start is below
/// it — so it can never mint over the second lease's ticks. With the texts
/// before the start check, its renewal passed.
pub async fn a_lease_revived_by_a_restore_never_renews<S, Fs, Fr, Fut1, Fut2>(db: S, save: Fs, restore: Fr)
where
    S: Store,
    Fs: FnOnce(String) -> Fut1,
    Fr: FnOnce(String) -> Fut2,
    Fut1: Future<Output = ()>,
    Fut2: Future<Output = ()>,
{
    let ns = unique("revive");
    db.init_namespace(&ns, LAYOUT, Some(2), SHORT, true).await.unwrap();
    let first = db.acquire(&ns, "a", now_ms() + SHORT.ttl_ms).await.unwrap();
    assert_eq!((first.node, first.epoch), (0, 1));
    save(ns.clone()).await;
    tokio::time::sleep(Duration::from_millis(SHORT.ttl_ms + 50)).await;
    let second = db.acquire(&ns, "a", now_ms() + SHORT.ttl_ms).await.unwrap();
    assert_eq!((second.node, second.epoch, second.start_ms), (0, 2, first.fence_ms));
    restore(ns.clone()).await;
    let renew_first = || db.renew(&ns, first.node, first.epoch, first.start_ms, "a", now_ms() + SHORT.ttl_ms);
    assert_eq!(renew_first().await.unwrap(), None, "another identity: refused");
    assert_eq!(db.namespace(&ns).await.unwrap().unwrap().floor_ms, 0, "left to the next acquire");
    let c = db.acquire(&ns, "c", now_ms() + SHORT.ttl_ms).await.unwrap();
    let floor = db.namespace(&ns).await.unwrap().unwrap().floor_ms;
    assert_eq!(c.node, 1);
    assert!(floor > second.fence_ms, "the floor rose above every fence from before");
    assert_eq!(renew_first().await.unwrap(), None, "its start is below the floor: refused");
    let e = db
        .release(&ns, first.node, first.epoch, first.start_ms, "a", first.fence_ms)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::LeaseLost);
    tokio::time::sleep(Duration::from_millis(SHORT.ttl_ms + 50)).await;
    let d = db.acquire(&ns, "d", now_ms() + SHORT.ttl_ms).await.unwrap();
    assert!(d.start_ms >= floor, "node {} starts at {} >= floor {floor}", d.node, d.start_ms);
}
