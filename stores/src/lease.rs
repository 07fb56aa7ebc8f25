//! A node lease held by this process: the core's [`Holder`] driven by a
//! tokio renewal task over a [`Store`], fencing the core's [`SharedSnowflake`].

use crate::{default_holder, locked, ns_subject, Store};
use idloom::events::{Counters, Event, Kind};
use idloom::lease::{Holder, LeaseConfig, LeaseState};
use idloom::stores::answer::{refuse, Refusal};
use idloom::stores::renewal::Action;
use idloom::{Clock, Error, ErrorCode, Layout, Next, Policy, Result, SharedSnowflake, SystemClock};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// Where a lease stands, as its [`watch`] channel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseStatus {
    /// Held; the generator mints below `fence_ms` (extended by every renewal).
    Active {
        /// The node.
        node: u64,
        /// The epoch (fencing token).
        epoch: u64,
        /// The last confirmed fence (ID time).
        fence_ms: u64,
    },
    /// Renewals ended with this error: `lease_lost` (the store gave the node
    /// to another holder), `clock_skew`, or a refusal that retrying cannot
    /// cure. The generator stops at its last confirmed fence; lease again.
    Lost(Error),
    /// Released cleanly with this high-water.
    Released {
        /// The high-water sent: the end of the last tick minted (ID time),
        /// or the lease's start when nothing was minted.
        high_water_ms: u64,
    },
}

impl LeaseStatus {
    /// Whether the lease is still held.
    pub fn is_active(&self) -> bool {
        matches!(self, LeaseStatus::Active { .. })
    }
}

/// How to lease a node.
#[derive(Debug, Clone, Default)]
pub struct LeaseOptions {
    /// The holder string the store records (printable ASCII; default
    /// [`default_holder`]: host, pid and a random suffix). The same holder
    /// gets its previous node back first (sticky restarts).
    pub holder: Option<String>,
    /// The generator's policy (waits, lead; the core's default).
    pub policy: Policy,
}

struct Shared<S> {
    store: S,
    namespace: String,
    holder_name: String,
    holder: Mutex<Holder>,
    generator: Arc<SharedSnowflake<SystemClock>>,
    status: watch::Sender<LeaseStatus>,
    stop: Notify,
    renewals: AtomicU64,
    renewal_failures: AtomicU64,
    counters: Mutex<Counters>,
}

/// A node leased from a store and renewed by a tokio task every third of
/// the TTL, with the fenced generator minting under it.
///
/// The generator ([`generator`](Self::generator), [`next_id`](Self::next_id))
/// mints only ticks inside `[start_ms, fence_ms)`: each confirmed renewal
/// extends the fence; a renewal that gets no answer is retried (the fence
/// stands, so a lease that cannot be renewed stops minting at its fence by
/// itself); a refused renewal makes every later ID `lease_lost`.
/// [`release`](Self::release) stops the generator and gives the node back
/// with its high-water, so the next holder starts at once. Dropping the
/// lease without a release ends renewals: the node is free after its TTL.
pub struct NodeLease<S: Store> {
    shared: Arc<Shared<S>>,
    task: Mutex<Option<JoinHandle<()>>>,
    node: u64,
    epoch: u64,
    start_ms: u64,
    config: LeaseConfig,
}

impl<S: Store> std::fmt::Debug for NodeLease<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeLease")
            .field("namespace", &self.shared.namespace)
            .field("node", &self.node)
            .field("epoch", &self.epoch)
            .field("start_ms", &self.start_ms)
            .field("status", &*self.shared.status.borrow())
            .finish()
    }
}

impl<S: Store> NodeLease<S> {
    /// Lease a node of `namespace` (which must use `layout`) with the default options.
    pub async fn acquire(store: S, namespace: &str, layout: Layout) -> Result<Self> {
        Self::acquire_with(store, namespace, layout, LeaseOptions::default()).await
    }

    /// Lease a node of `namespace`: `store_state_lost` if the namespace is
    /// missing, `store_schema` if it uses another layout, `no_free_node`,
    /// `clock_skew` (the node is given back at once). Spawns the renewal
    /// task on the current tokio runtime. Returns once the lease's start
    /// has come on this clock: a node whose last holder's lease ran out
    /// starts at that holder's fence, and a namespace created not fresh at
    /// its floor, each up to TTL + max_skew ahead.
    pub async fn acquire_with(store: S, namespace: &str, layout: Layout, options: LeaseOptions) -> Result<Self> {
        idloom::inputs::namespace(namespace)?;
        let holder_name = options.holder.unwrap_or_else(default_holder);
        idloom::inputs::holder(&holder_name)?;
        let record = store
            .namespace(namespace)
            .await?
            .ok_or_else(|| refuse(Refusal::NamespaceMissing, &ns_subject(namespace)))?;
        let wanted = idloom::stores::layout_record(&layout);
        if record.layout != wanted {
            return Err(Error::store(
                ErrorCode::StoreSchema,
                format!("namespace {namespace} uses layout {:?}, not {wanted:?}", record.layout),
            ));
        }
        let config = LeaseConfig {
            ttl_ms: record.ttl_ms,
            max_skew_ms: record.max_skew_ms,
        };
        let mut holder = Holder::new(config)?;
        let clock = SystemClock;
        let generator = SharedSnowflake::new(layout, 0, options.policy, clock)?.with_observer(crate::events::log);
        let proposed = holder.begin_acquire(clock.now_ms());
        let (grant, identity_changed) = store.acquire_noting(namespace, &holder_name, proposed).await?;
        if let Err(e) = holder.granted(&grant, clock.now_ms()).and_then(|()| generator.set_node(grant.node)) {
            // Clock skew past the bound (or a node the layout cannot hold): give it back untouched.
            let r = grant.release_unused();
            let _ = store
                .release(namespace, r.node, r.epoch, r.start_ms, &holder_name, r.high_water_ms)
                .await;
            return Err(e);
        }
        generator.set_lease(grant.start_ms, grant.fence_ms, grant.epoch);
        let acquired = holder.take_event(); // lease_acquired, as the core names it
        let (status, _) = watch::channel(LeaseStatus::Active {
            node: grant.node,
            epoch: grant.epoch,
            fence_ms: grant.fence_ms,
        });
        let shared = Arc::new(Shared {
            store,
            namespace: namespace.to_string(),
            holder_name,
            holder: Mutex::new(holder),
            generator: Arc::new(generator),
            status,
            stop: Notify::new(),
            renewals: AtomicU64::new(0),
            renewal_failures: AtomicU64::new(0),
            counters: Mutex::new(Counters::new()),
        });
        if identity_changed {
            // The floor rose first: the grant starts at or above it.
            let changed = Event::new(Kind::StoreIdentityChanged)
                .lease(grant.node, grant.epoch)
                .fence(grant.start_ms);
            crate::events::emit(&shared.counters, &changed);
        }
        if let Some(acquired) = acquired {
            crate::events::emit(&shared.counters, &acquired);
        }
        let task = tokio::spawn(renew_loop(shared.clone()));
        let lease = NodeLease {
            shared,
            task: Mutex::new(Some(task)),
            node: grant.node,
            epoch: grant.epoch,
            start_ms: grant.start_ms,
            config,
        };
        // The start can be ahead of this clock (the fence of a holder whose
        // lease ran out, the floor of a namespace created not fresh: at most
        // TTL + max_skew): the generator would call that a clock gone
        // backwards, so the lease is handed over once it has come, renewed meanwhile.
        let ahead = grant.start_ms.saturating_sub(clock.now_ms());
        if ahead > 0 {
            tokio::time::sleep(Duration::from_millis(ahead.saturating_add(1))).await;
        }
        Ok(lease)
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.shared.namespace
    }
    /// The holder string the store records.
    pub fn holder(&self) -> &str {
        &self.shared.holder_name
    }
    /// The node leased.
    pub fn node(&self) -> u64 {
        self.node
    }
    /// The fencing token: it grows on every acquisition of the node.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
    /// ID time from which this holder mints.
    pub fn start_ms(&self) -> u64 {
        self.start_ms
    }
    /// ID time before which every tick minted ends (the last confirmed fence).
    pub fn fence_ms(&self) -> u64 {
        locked(&self.shared.holder).lease().map_or(self.start_ms, |l| l.fence_ms())
    }
    /// The namespace's TTL and skew bound.
    pub fn config(&self) -> LeaseConfig {
        self.config
    }
    /// The store's clock minus this holder's, as last estimated.
    pub fn skew_ms(&self) -> i64 {
        locked(&self.shared.holder).lease().map_or(0, |l| l.skew_ms())
    }
    /// The core's state of the lease (active, lost, released).
    pub fn state(&self) -> LeaseState {
        locked(&self.shared.holder).lease().map_or(LeaseState::Lost, |l| l.state())
    }
    /// Where the lease stands now.
    pub fn status(&self) -> LeaseStatus {
        self.shared.status.borrow().clone()
    }
    /// A channel that reports every change: a renewal's new fence, the loss, the release.
    pub fn subscribe(&self) -> watch::Receiver<LeaseStatus> {
        self.shared.status.subscribe()
    }
    /// Wait until the lease is no longer active (lost or released); its last status.
    pub async fn ended(&self) -> LeaseStatus {
        let mut rx = self.subscribe();
        let status = match rx.wait_for(|s| !s.is_active()).await {
            Ok(s) => s.clone(),
            Err(_) => self.status(),
        };
        status
    }
    /// Renewals confirmed so far.
    pub fn renewals(&self) -> u64 {
        self.shared.renewals.load(Ordering::Relaxed)
    }
    /// Renewals that got no usable answer (retried) so far.
    pub fn renewal_failures(&self) -> u64 {
        self.shared.renewal_failures.load(Ordering::Relaxed)
    }
    /// The core's events this lease and its generator saw, by kind
    /// (`lease_acquired`, `lease_renewed`, `lease_renewal_failed`,
    /// `lease_lost`, `lease_expired`, `lease_released`,
    /// `store_identity_changed`; the generator's `clock_stepped_back`,
    /// `borrowing_started`, `borrowing_ended`); each is also a `tracing`
    /// event, target `idloom`, with the core's message.
    pub fn stats(&self) -> Counters {
        crate::events::snapshot(&self.shared.counters, Some(&self.shared.generator.stats().counters()))
    }

    /// The fenced generator on the leased node, lock-free and shareable
    /// across threads. Its errors: `lease_expired` at the fence (renewals
    /// did not get through in time), `lease_lost` once a renewal was refused
    /// or the lease released. A clone that outlives a lease dropped without
    /// a release mints up to the last confirmed fence, never past it.
    pub fn generator(&self) -> &Arc<SharedSnowflake<SystemClock>> {
        &self.shared.generator
    }

    /// The next ID from the fenced generator. It may sleep the thread for
    /// the policy's bounded waits (a tick whose sequence ran out, a clock
    /// step back within the tolerance): in async code prefer
    /// [`next_id_async`](Self::next_id_async).
    pub fn next_id(&self) -> Result<u64> {
        self.shared.generator.next_id()
    }

    /// The next ID, waiting on the tokio timer (never the thread) where the
    /// policy says to wait; `would_block` if it kept asking for 10 s.
    pub async fn next_id_async(&self) -> Result<u64> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match self.shared.generator.try_next_id()? {
                Next::Id(id) => return Ok(id),
                Next::RetryAt(at_ms) => {
                    let wait = Duration::from_millis(at_ms.saturating_sub(SystemClock.now_ms()).max(1));
                    if tokio::time::Instant::now() + wait > deadline {
                        return Err(Error::reason(
                            ErrorCode::WouldBlock,
                            "next_id",
                            "the generator's policy kept asking to wait for 10 s",
                        ));
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Stop the generator, end renewals, and give the node back with the end
    /// of the last tick minted (the lease's start when nothing was minted):
    /// the next holder starts there at once. The high-water sent; `Ok(None)`
    /// when nothing was sent (the lease was lost or already released). A
    /// store failure is returned after the generator stopped (the node is
    /// then free after its TTL).
    pub async fn release(&self) -> Result<Option<u64>> {
        self.shared.stop.notify_one();
        let task = locked(&self.task).take();
        if let Some(mut task) = task {
            // A renewal in flight finishes first: it must not land after the release.
            let bound = Duration::from_millis(self.config.ttl_ms.max(1_000));
            if tokio::time::timeout(bound, &mut task).await.is_err() {
                task.abort();
            }
        }
        let high_water = self.shared.generator.stop_lease();
        let (release, released) = {
            let mut holder = locked(&self.shared.holder);
            if holder.lease().map(|l| l.state()) != Some(LeaseState::Active) {
                return Ok(None);
            }
            let release = holder.release(high_water)?;
            (release, holder.take_event()) // lease_released, as the core names it
        };
        self.shared.status.send_replace(LeaseStatus::Released {
            high_water_ms: release.high_water_ms,
        });
        self.shared
            .store
            .release(
                &self.shared.namespace,
                release.node,
                release.epoch,
                release.start_ms,
                &self.shared.holder_name,
                release.high_water_ms,
            )
            .await?;
        if let Some(released) = released {
            crate::events::emit(&self.shared.counters, &released); // once the store has it
        }
        Ok(Some(release.high_water_ms))
    }
}

impl<S: Store> Drop for NodeLease<S> {
    fn drop(&mut self) {
        if let Some(task) = self.task.get_mut().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }
}

async fn renew_loop<S: Store>(shared: Arc<Shared<S>>) {
    let clock = SystemClock;
    let mut wait_ms = locked(&shared.holder).next_renewal_in_ms(clock.now_ms());
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(wait_ms)) => {}
            () = shared.stop.notified() => return,
        }
        let due = {
            let mut holder = locked(&shared.holder);
            let now = clock.now_ms();
            match (holder.begin_renew(now), holder.lease()) {
                (Some(fence), Some(l)) => Some((fence, l.node(), l.epoch(), l.start_ms())),
                (None, Some(l)) if l.state() == LeaseState::Active => {
                    wait_ms = holder.next_renewal_in_ms(now).max(1);
                    None
                }
                _ => return,
            }
        };
        let Some((proposed, node, epoch, start)) = due else { continue };
        // An answer that takes longer than a renewal period is no answer (a
        // hung connection must not stall renewals); if it lands later it only
        // extends the store's record past what this holder uses.
        let bound = Duration::from_millis(locked(&shared.holder).config().renew_every_ms().max(100));
        let renewal = shared
            .store
            .renew_noting(&shared.namespace, node, epoch, start, &shared.holder_name, proposed);
        let result = match tokio::time::timeout(bound, renewal).await {
            Ok(result) => result,
            Err(_) => Err(Error::store(
                ErrorCode::StoreUnavailable,
                format!("{}: no answer to a renewal within {} ms", shared.namespace, bound.as_millis()),
            )),
        };
        // The floor rose first (the store forgot or was restored): the renewal met it.
        if let Ok(Some((grant, true))) = &result {
            let changed = Event::new(Kind::StoreIdentityChanged)
                .lease(grant.node, grant.epoch)
                .fence(grant.fence_ms);
            crate::events::emit(&shared.counters, &changed);
        }
        let (action, event): (Action, _) = {
            let mut holder = locked(&shared.holder);
            let now = clock.now_ms();
            let action = match result {
                Ok(Some((grant, _))) => holder.renewed(&grant, now),
                Ok(None) => holder.refused(),
                // Every failure of ours carries its code: store_unavailable retries, others end renewals.
                Err(e) => holder.renew_failed(Some(e.code())),
            };
            (action, holder.take_event()) // the core names the step's event
        };
        // The generator stops before anyone hears of the loss (an event's
        // observer may mint at once: it gets lease_lost, never an ID).
        if let Action::Stop(e) = &action {
            if e.code() == ErrorCode::LeaseLost {
                shared.generator.lose_lease();
            }
        }
        if let Some(event) = event {
            crate::events::emit(&shared.counters, &event);
        }
        match action {
            Action::Renewed { fence_ms } => {
                shared.generator.extend_fence(fence_ms);
                shared.renewals.fetch_add(1, Ordering::Relaxed);
                shared.status.send_replace(LeaseStatus::Active { node, epoch, fence_ms });
                wait_ms = locked(&shared.holder).next_renewal_in_ms(clock.now_ms());
            }
            Action::Retry { in_ms } => {
                shared.renewal_failures.fetch_add(1, Ordering::Relaxed);
                wait_ms = in_ms;
            }
            Action::Stop(e) => {
                shared.status.send_replace(LeaseStatus::Lost(e));
                return;
            }
        }
    }
}
