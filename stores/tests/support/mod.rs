//! The scenarios every engine runs on its real server, generic over [`Store`].
//! A store test fails, never skips, when its server is unreachable.

#![allow(dead_code)]

use idloom::segment::{SegmentConfig, StepSize};
use idloom::{ErrorCode, Layout};
use idloom_stores::LeaseConfig;
use idloom_stores::{Kind, LeaseOptions, LeaseStatus, NodeLease, Segment, SegmentGroup, SegmentOptions, Store};
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

pub const LAYOUT: Layout = Layout::TWITTER;

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
pub async fn a_refused_renewal_stops_at_the_fence<S, F, Fut>(store: S, expire: F)
where
    S: Store,
    F: Fn(String) -> Fut,
    Fut: Future<Output = ()>,
{
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
    async fn init_namespace(
        &self,
        namespace: &str,
        layout: Layout,
        nodes: Option<u64>,
        config: LeaseConfig,
        fresh: bool,
    ) -> idloom::Result<idloom_stores::NamespaceRecord> {
        self.inner.init_namespace(namespace, layout, nodes, config, fresh).await
    }
    async fn namespace(&self, namespace: &str) -> idloom::Result<Option<idloom_stores::NamespaceRecord>> {
        self.inner.namespace(namespace).await
    }
    async fn acquire(&self, namespace: &str, holder: &str, proposed_fence_ms: u64) -> idloom::Result<idloom_stores::Grant> {
        self.inner.acquire(namespace, holder, proposed_fence_ms).await
    }
    async fn renew(
        &self,
        namespace: &str,
        node: u64,
        epoch: u64,
        holder: &str,
        proposed_fence_ms: u64,
    ) -> idloom::Result<Option<idloom_stores::Grant>> {
        self.check()?;
        self.inner.renew(namespace, node, epoch, holder, proposed_fence_ms).await
    }
    async fn release(&self, namespace: &str, node: u64, epoch: u64, holder: &str, high_water_ms: u64) -> idloom::Result<()> {
        self.inner.release(namespace, node, epoch, holder, high_water_ms).await
    }
    async fn nodes(&self, namespace: &str) -> idloom::Result<Vec<idloom_stores::NodeStatus>> {
        self.inner.nodes(namespace).await
    }
    async fn init_segment(&self, biz_tag: &str, floor: u64, step: u64) -> idloom::Result<()> {
        self.inner.init_segment(biz_tag, floor, step).await
    }
    async fn init_segment_guarded(&self, biz_tag: &str, floor: u64, step: u64) -> idloom::Result<()> {
        self.inner.init_segment_guarded(biz_tag, floor, step).await
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
pub async fn guarded_counters<S, F, Fut>(store: S, tamper: F)
where
    S: Store,
    F: Fn(String) -> Fut,
    Fut: Future<Output = ()>,
{
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
