//! The simulated world: a discrete-event queue in simulated milliseconds,
//! the store (the core's [`MemoryStore`]), the holders (the core's
//! [`Holder`] and a fenced [`Generator`] each, driven the way
//! `idloom_stores::lease::NodeLease` and its `renew_loop` drive them), the
//! network between them, the faults, and the checks.

use crate::report::{Checks, FaultReport, Load, Report};
use crate::rng::SplitMix64;
use crate::scenario::{Broken, Config, Fault};
use idloom::lease::{Holder, LeaseState, MemoryStore, NodeRecord, Renewal};
use idloom::{ErrorCode, Generator, Layout, Next, Policy};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, HashSet};

/// True time at the start of a run (Unix ms, in 2027): every clock is near it.
pub const T0_MS: u64 = 1_800_000_000_000;
/// How long a holder waits for the answer to an acquire before it tries again.
pub const ACQUIRE_TIMEOUT_MS: u64 = 5_000;

/// A message to the store.
#[derive(Debug, Clone, Copy)]
enum Msg {
    Acquire {
        proposed: u64,
    },
    Renew {
        node: u64,
        epoch: u64,
        start: u64,
        proposed: u64,
    },
    Release {
        node: u64,
        epoch: u64,
        start: u64,
        high_water: u64,
    },
}

/// The store's answer.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Granted(idloom::lease::Grant),
    Refused(ErrorCode),
    Released,
}

#[derive(Debug, Clone, Copy)]
enum Ev {
    /// The holder (re)starts: mints on its schedule, leases a node.
    Boot { h: u32, life: u32 },
    /// Lease a node now.
    Acquire { h: u32, life: u32 },
    /// The renewal timer of lease `lease`.
    Timer { h: u32, life: u32, lease: u32 },
    /// A sampled mint, on the holder's schedule.
    Mint { h: u32, life: u32 },
    /// A mint at an exact moment (just below the fence, at it, at the start);
    /// `relet`: lease again if renewals ended and the fence has come.
    Probe { h: u32, life: u32, lease: u32, relet: bool },
    /// A message reaches the store; its name is the holder string.
    AtStore { h: u32, life: u32, req: u64, name: u32, msg: Msg },
    /// An answer reaches the holder.
    AtHolder { h: u32, life: u32, req: u64, reply: Reply },
    /// No answer in time.
    Timeout { h: u32, life: u32, req: u64 },
    /// A fault starts (phase 0), ends (1), steps (2: drift) or snapshots (3).
    Fault { ix: u16, phase: u8 },
}

impl Ev {
    /// The holder an event is for (it waits out that holder's pause).
    fn holder(&self) -> Option<u32> {
        match *self {
            Ev::Boot { h, .. }
            | Ev::Acquire { h, .. }
            | Ev::Timer { h, .. }
            | Ev::Mint { h, .. }
            | Ev::Probe { h, .. }
            | Ev::AtHolder { h, .. }
            | Ev::Timeout { h, .. } => Some(h),
            Ev::AtStore { .. } | Ev::Fault { .. } => None,
        }
    }
}

struct Entry {
    at: u64,
    seq: u64,
    ev: Ev,
}
impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    // Earliest first (BinaryHeap is a max-heap), ties in scheduling order.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

/// One lease as the checker sees it.
#[derive(Debug, Clone)]
struct Claim {
    node: u64,
    start: u64,
    /// The highest fence the store granted this lease and the holder accepted.
    granted: u64,
    /// The highest fence the holder's generator was set or extended to (cut
    /// at the high-water on a clean release): what the holder claims.
    end: u64,
    /// Its generator refused a mint at the fence.
    stopped: bool,
}

/// One holder: a process leasing one node at a time.
struct Hs {
    region: u8,
    /// Its clock minus true time.
    off: i64,
    life: u32,
    up: bool,
    paused_until: u64,
    /// Holder strings used so far (a new one per lease, as `default_holder`).
    names: u32,
    holder: Option<Holder>,
    generator: Option<Generator>,
    claim: Option<usize>,
    lease: u32,
    inflight: Option<u64>,
    acquiring: bool,
    /// Renewals ended (`lease_lost`, `clock_skew`): lease again at the fence.
    ended: bool,
    /// Since when it cannot mint, and the fault that had last touched it then
    /// (the outage is that fault's, even if another touches it meanwhile).
    blocked_since: Option<(u64, Option<u16>)>,
    hit_by: Option<u16>,
}

struct FaultState {
    fault: Fault,
    chosen: Vec<u32>,
    hit: u64,
    outages: Vec<u64>,
    recovered_ms: u64,
}

/// A run in progress.
pub struct World {
    cfg: Config,
    layout: Layout,
    rng: SplitMix64,
    now: u64,
    seq: u64,
    queue: BinaryHeap<Entry>,
    store: MemoryStore,
    identity: String,
    identities: u32,
    store_down_until: u64,
    snapshot: Option<(u64, String, Vec<NodeRecord>)>,
    partitioned: Vec<bool>,
    hs: Vec<Hs>,
    claims: Vec<Claim>,
    ids: HashSet<u64>,
    faults: Vec<FaultState>,
    next_req: u64,
    // counters
    per_second: Vec<[u32; 3]>,
    leases: u64,
    renewed: u64,
    retries: u64,
    lost: u64,
    skew_stops: u64,
    acquire_skew: u64,
    acquire_too_late: u64,
    no_free_node: u64,
    minted: u64,
    failed: BTreeMap<String, u64>,
    duplicates: u64,
    outside: u64,
    unfaulted_outages: Vec<u64>,
}

impl World {
    /// A world for `cfg`, holders not started yet.
    pub fn new(cfg: Config) -> World {
        let layout = Layout::new(41, cfg.node_bits, 63 - 41 - cfg.node_bits, Layout::TWITTER.epoch_ms(), 1)
            .expect("41 time bits, node bits below 22");
        let mut rng = SplitMix64::new(cfg.seed);
        let store = MemoryStore::new(cfg.lease, cfg.nodes, "store-1", true, T0_MS).expect("a valid namespace");
        let regions = cfg.regions.max(1);
        let hs = (0..cfg.holders)
            .map(|i| Hs {
                region: (i % u32::from(regions)) as u8,
                off: rng.spread(cfg.clock_spread_ms),
                life: 0,
                up: false,
                paused_until: 0,
                names: 0,
                holder: None,
                generator: None,
                claim: None,
                lease: 0,
                inflight: None,
                acquiring: false,
                ended: false,
                blocked_since: None,
                hit_by: None,
            })
            .collect();
        let faults = cfg
            .faults
            .iter()
            .map(|f| FaultState {
                fault: f.clone(),
                chosen: Vec::new(),
                hit: 0,
                outages: Vec::new(),
                recovered_ms: 0,
            })
            .collect();
        let seconds = (cfg.duration_ms / 1000 + 1) as usize;
        World {
            layout,
            rng,
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            store,
            identity: "store-1".into(),
            identities: 1,
            store_down_until: 0,
            snapshot: None,
            partitioned: vec![false; usize::from(regions)],
            hs,
            claims: Vec::new(),
            ids: HashSet::new(),
            faults,
            next_req: 0,
            per_second: vec![[0; 3]; seconds],
            leases: 0,
            renewed: 0,
            retries: 0,
            lost: 0,
            skew_stops: 0,
            acquire_skew: 0,
            acquire_too_late: 0,
            no_free_node: 0,
            minted: 0,
            failed: BTreeMap::new(),
            duplicates: 0,
            outside: 0,
            unfaulted_outages: Vec::new(),
            cfg,
        }
    }

    fn at(&mut self, at: u64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Entry { at, seq: self.seq, ev });
    }

    /// Holder `h`'s clock now (Unix ms).
    fn clock(&self, h: u32) -> u64 {
        (T0_MS + self.now).saturating_add_signed(self.hs[h as usize].off)
    }

    /// The simulated time at which `h`'s clock reads `ms` (not before now).
    fn when_clock_reads(&self, h: u32, ms: u64) -> u64 {
        let now_h = self.clock(h);
        self.now + ms.saturating_sub(now_h)
    }

    fn store_now(&self) -> u64 {
        T0_MS + self.now
    }

    fn broken(&self, b: Broken) -> bool {
        self.cfg.broken == Some(b)
    }

    /// Run to the end; the report.
    pub fn run(mut self) -> Report {
        for h in 0..self.cfg.holders {
            let at = self.rng.range(0, self.cfg.start_spread_ms);
            self.at(at, Ev::Boot { h, life: 0 });
        }
        for ix in 0..self.faults.len() {
            let f = self.faults[ix].fault.clone();
            self.at(f.at_ms(), Ev::Fault { ix: ix as u16, phase: 0 });
            if let Fault::StoreRestore { snapshot_at_ms, .. } = f {
                self.at(snapshot_at_ms, Ev::Fault { ix: ix as u16, phase: 3 });
            }
        }
        while let Some(e) = self.queue.pop() {
            if e.at > self.cfg.duration_ms {
                break;
            }
            self.now = e.at;
            if let Some(h) = e.ev.holder() {
                let until = self.hs[h as usize].paused_until;
                if until > self.now {
                    self.at(until, e.ev);
                    continue;
                }
            }
            self.dispatch(e.ev);
        }
        self.now = self.cfg.duration_ms;
        self.report()
    }

    fn dispatch(&mut self, ev: Ev) {
        match ev {
            Ev::Boot { h, life } => {
                if self.hs[h as usize].life != life {
                    return;
                }
                self.hs[h as usize].up = true;
                self.schedule_mint(h);
                self.acquire(h);
            }
            Ev::Acquire { h, life } => {
                let s = &self.hs[h as usize];
                if s.life == life && s.up && s.generator.is_none() && !s.acquiring {
                    self.acquire(h);
                }
            }
            Ev::Timer { h, life, lease } => {
                let s = &self.hs[h as usize];
                if s.life == life && s.lease == lease && s.up {
                    self.timer(h);
                }
            }
            Ev::Mint { h, life } => {
                if self.hs[h as usize].life == life && self.hs[h as usize].up {
                    self.mint(h);
                    self.schedule_mint(h);
                }
            }
            Ev::Probe { h, life, lease, relet } => {
                let s = &self.hs[h as usize];
                if s.life == life && s.lease == lease && s.up {
                    self.probe(h, relet);
                }
            }
            Ev::AtStore { h, life, req, name, msg } => self.at_store(h, life, req, name, msg),
            Ev::AtHolder { h, life, req, reply } => {
                let s = &self.hs[h as usize];
                if s.life == life && s.up && s.inflight == Some(req) {
                    self.hs[h as usize].inflight = None;
                    self.answer(h, Some(reply));
                }
            }
            Ev::Timeout { h, life, req } => {
                let s = &self.hs[h as usize];
                if s.life == life && s.up && s.inflight == Some(req) {
                    self.hs[h as usize].inflight = None;
                    self.answer(h, None);
                }
            }
            Ev::Fault { ix, phase } => self.fault(ix, phase),
        }
    }

    // --- the network ---

    fn one_way(&mut self, region: u8) -> u64 {
        let (lo, hi) = self.cfg.rtt_ms[usize::from(region) % self.cfg.rtt_ms.len()];
        self.rng.range(lo, hi) / 2
    }

    /// Send `msg` from `h` to the store; `timeout_ms`: when to stop waiting
    /// (`None`: nothing awaited, a release).
    fn send(&mut self, h: u32, msg: Msg, timeout_ms: Option<u64>) {
        self.next_req += 1;
        let req = self.next_req;
        let s = &self.hs[h as usize];
        let (life, region, name) = (s.life, s.region, s.names);
        if let Some(t) = timeout_ms {
            self.hs[h as usize].inflight = Some(req);
            self.at(self.now + t, Ev::Timeout { h, life, req });
        }
        if self.partitioned[usize::from(region)] {
            return;
        }
        let d = self.one_way(region);
        self.at(self.now + d, Ev::AtStore { h, life, req, name, msg });
    }

    fn at_store(&mut self, h: u32, life: u32, req: u64, name: u32, msg: Msg) {
        let region = self.hs[h as usize].region;
        if self.now < self.store_down_until || self.partitioned[usize::from(region)] {
            return;
        }
        let second = (self.now / 1000) as usize;
        let holder = format!("h{h}.{name}");
        let (id, now) = (self.identity.clone(), self.store_now());
        let (kind, reply) = match msg {
            Msg::Acquire { proposed } => (0, self.store.acquire(&holder, proposed, &id, now).map(Reply::Granted)),
            Msg::Renew {
                node,
                epoch,
                start,
                proposed,
            } => (
                1,
                self.store
                    .renew(node, epoch, start, &holder, proposed, &id, now)
                    .map(Reply::Granted),
            ),
            Msg::Release {
                node,
                epoch,
                start,
                high_water,
            } => (
                2,
                self.store
                    .release(node, epoch, start, &holder, high_water)
                    .map(|()| Reply::Released),
            ),
        };
        if let Some(c) = self.per_second.get_mut(second) {
            c[kind] += 1;
        }
        let reply = reply.unwrap_or_else(|e| Reply::Refused(e.code()));
        let d = self.one_way(region);
        self.at(self.now + d, Ev::AtHolder { h, life, req, reply });
    }

    // --- the holder, as NodeLease and renew_loop drive the core ---

    fn acquire(&mut self, h: u32) {
        let cfg = self.cfg.lease;
        let now_h = self.clock(h);
        let s = &mut self.hs[h as usize];
        s.names += 1;
        s.acquiring = true;
        s.ended = false;
        let mut holder = Holder::new(cfg).expect("valid lease config");
        let proposed = holder.begin_acquire(now_h);
        s.holder = Some(holder);
        self.send(h, Msg::Acquire { proposed }, Some(ACQUIRE_TIMEOUT_MS));
    }

    fn schedule_mint(&mut self, h: u32) {
        let every = self.cfg.mint_every_ms;
        let now_h = self.clock(h);
        let next = self.now + (every - now_h % every);
        let life = self.hs[h as usize].life;
        self.at(next, Ev::Mint { h, life });
    }

    fn probe_at(&mut self, h: u32, clock_ms: u64, relet: bool) {
        let at = self.when_clock_reads(h, clock_ms);
        let s = &self.hs[h as usize];
        let (life, lease) = (s.life, s.lease);
        self.at(at, Ev::Probe { h, life, lease, relet });
    }

    /// An answer (or `None`: none in time) to the request in flight.
    fn answer(&mut self, h: u32, reply: Option<Reply>) {
        let now_h = self.clock(h);
        let life = self.hs[h as usize].life;
        let every = self.cfg.lease.renew_every_ms();
        if self.hs[h as usize].acquiring {
            self.hs[h as usize].acquiring = false;
            match reply {
                Some(Reply::Granted(g)) => {
                    let holder = self.hs[h as usize].holder.as_mut().expect("acquiring");
                    if let Err(e) = holder.granted(&g, now_h) {
                        // clock_skew (or too late to judge): give the node back untouched.
                        if e.code() == ErrorCode::ClockSkew {
                            self.acquire_skew += 1;
                        } else {
                            self.acquire_too_late += 1;
                        }
                        let r = g.release_unused();
                        let msg = Msg::Release {
                            node: r.node,
                            epoch: r.epoch,
                            start: r.start_ms,
                            high_water: r.high_water_ms,
                        };
                        self.send(h, msg, None);
                        self.hs[h as usize].holder = None;
                        self.at(self.now + every, Ev::Acquire { h, life });
                        return;
                    }
                    self.leases += 1;
                    let mut generator = Generator::new(self.layout, g.node, Policy::default()).expect("node fits");
                    generator.set_lease(g.start_ms, g.fence_ms, g.epoch);
                    self.claims.push(Claim {
                        node: g.node,
                        start: g.start_ms,
                        granted: g.fence_ms,
                        end: generator.fence_ms().unwrap_or(g.start_ms),
                        stopped: false,
                    });
                    let s = &mut self.hs[h as usize];
                    s.generator = Some(generator);
                    s.claim = Some(self.claims.len() - 1);
                    s.lease += 1;
                    let lease = s.lease;
                    let wait = s.holder.as_ref().expect("granted").next_renewal_in_ms(now_h);
                    self.at(self.now + wait, Ev::Timer { h, life, lease });
                    // The start can be ahead of this clock (a fence or a floor): mint once it has come.
                    self.probe_at(h, g.start_ms.max(now_h), false);
                }
                Some(Reply::Refused(code)) => {
                    if code == ErrorCode::NoFreeNode {
                        self.no_free_node += 1;
                    }
                    self.hs[h as usize].holder = None;
                    self.at(self.now + every, Ev::Acquire { h, life });
                }
                Some(Reply::Released) | None => {
                    self.hs[h as usize].holder = None;
                    self.at(self.now + 1_000, Ev::Acquire { h, life });
                }
            }
            return;
        }
        let Some(holder) = self.hs[h as usize].holder.as_mut() else {
            return;
        };
        let r = match reply {
            Some(Reply::Granted(g)) => holder.renewed(&g, now_h),
            Some(Reply::Refused(ErrorCode::LeaseLost)) => holder.refused(),
            Some(Reply::Refused(code)) => holder.renew_failed(Some(code)),
            Some(Reply::Released) => return,
            None => holder.renew_failed(Some(ErrorCode::StoreUnavailable)),
        };
        self.renewal(h, r);
    }

    fn renewal(&mut self, h: u32, r: Renewal) {
        let self_extend = self.broken(Broken::SelfExtend);
        let now_h = self.clock(h);
        let ttl = self.cfg.lease.ttl_ms;
        let s = &mut self.hs[h as usize];
        let (life, lease) = (s.life, s.lease);
        let claim = s.claim.expect("a lease");
        let generator = s.generator.as_mut().expect("a lease");
        let fence = generator.fence_ms().unwrap_or(0);
        match r {
            Renewal::Renewed { fence_ms } => {
                self.renewed += 1;
                generator.extend_fence(fence_ms);
                let c = &mut self.claims[claim];
                c.granted = c.granted.max(fence_ms);
                c.end = c.end.max(generator.fence_ms().unwrap_or(0));
                let wait = s.holder.as_ref().expect("a lease").next_renewal_in_ms(now_h);
                let blocked = s.blocked_since.is_some();
                self.at(self.now + wait, Ev::Timer { h, life, lease });
                if blocked {
                    // It stood at its fence: it mints again now (the outage ends here, not at the next sample).
                    self.probe_at(h, now_h, false);
                }
            }
            Renewal::Retry { in_ms } => {
                self.retries += 1;
                self.at(self.now + in_ms, Ev::Timer { h, life, lease });
                if self_extend {
                    self.extend_own(h, now_h + ttl);
                }
                self.probe_at(h, fence.saturating_sub(1), false);
                self.probe_at(h, fence, false);
            }
            Renewal::Stop(e) => {
                if e.code() == ErrorCode::LeaseLost {
                    self.lost += 1;
                    if !self_extend {
                        generator.lose_lease();
                    }
                } else if e.code() == ErrorCode::ClockSkew {
                    self.skew_stops += 1;
                }
                if self_extend {
                    // The broken holder carries on on its own say-so.
                    let every = self.cfg.lease.renew_every_ms();
                    self.at(self.now + every, Ev::Timer { h, life, lease });
                    self.extend_own(h, now_h + ttl);
                    return;
                }
                s.ended = true;
                self.probe_at(h, fence.saturating_sub(1), false);
                self.probe_at(h, fence, true);
            }
        }
    }

    fn timer(&mut self, h: u32) {
        let now_h = self.clock(h);
        let s = &mut self.hs[h as usize];
        let (life, lease) = (s.life, s.lease);
        let Some(holder) = s.holder.as_mut() else { return };
        if s.inflight.is_some() {
            return;
        }
        match (holder.begin_renew(now_h), holder.lease()) {
            (Some(proposed), Some(l)) => {
                let (node, epoch, start) = (l.node(), l.epoch(), l.start_ms());
                let bound = holder.config().renew_every_ms().max(100);
                self.send(
                    h,
                    Msg::Renew {
                        node,
                        epoch,
                        start,
                        proposed,
                    },
                    Some(bound),
                );
            }
            (None, Some(l)) if l.state() == LeaseState::Active => {
                let wait = holder.next_renewal_in_ms(now_h).max(1);
                self.at(self.now + wait, Ev::Timer { h, life, lease });
            }
            _ if self.cfg.broken == Some(Broken::SelfExtend) => {
                // Renewals ended; the broken holder extends its fence itself, on.
                let every = self.cfg.lease.renew_every_ms();
                self.at(self.now + every, Ev::Timer { h, life, lease });
                self.extend_own(h, now_h + self.cfg.lease.ttl_ms);
            }
            _ => {}
        }
    }

    /// [`Broken::SelfExtend`]: the holder moves its generator's fence to
    /// `fence_ms` without the store (what the checks must catch).
    fn extend_own(&mut self, h: u32, fence_ms: u64) {
        let s = &mut self.hs[h as usize];
        if let (Some(g), Some(c)) = (s.generator.as_mut(), s.claim) {
            g.extend_fence(fence_ms);
            let c = &mut self.claims[c];
            c.end = c.end.max(g.fence_ms().unwrap_or(0));
        }
    }

    /// One sampled mint through the real generator, checked.
    fn mint(&mut self, h: u32) {
        let now_h = self.clock(h);
        let s = &mut self.hs[h as usize];
        let outcome = match s.generator.as_mut() {
            Some(g) => g.next_at(now_h),
            None => {
                *self.failed.entry("no_lease".into()).or_default() += 1;
                s.blocked_since.get_or_insert((self.now, s.hit_by));
                return;
            }
        };
        match outcome {
            Ok(Next::Id(id)) => {
                self.minted += 1;
                if !self.ids.insert(id) {
                    self.duplicates += 1;
                }
                let claim = &self.claims[s.claim.expect("minting under a lease")];
                let parts = self.layout.decompose(id).expect("an ID of the layout");
                let tick_end = parts.timestamp_ms + self.layout.tick_ms();
                if parts.node != claim.node || parts.timestamp_ms < claim.start || tick_end > claim.granted {
                    self.outside += 1;
                }
                if let Some((since, cause)) = s.blocked_since.take() {
                    let outage = self.now - since;
                    match cause {
                        Some(ix) => {
                            let f = &mut self.faults[usize::from(ix)];
                            f.outages.push(outage);
                            f.recovered_ms = f.recovered_ms.max(self.now - f.fault.at_ms());
                        }
                        None => self.unfaulted_outages.push(outage),
                    }
                }
            }
            Ok(Next::RetryAt(_)) => {
                *self.failed.entry("retry_at".into()).or_default() += 1;
                s.blocked_since.get_or_insert((self.now, s.hit_by));
            }
            Err(e) => {
                let code = e.code();
                *self.failed.entry(code.as_str().into()).or_default() += 1;
                if matches!(code, ErrorCode::LeaseExpired | ErrorCode::LeaseLost) {
                    if let Some(c) = s.claim {
                        self.claims[c].stopped = true;
                    }
                }
                s.blocked_since.get_or_insert((self.now, s.hit_by));
            }
        }
    }

    fn probe(&mut self, h: u32, relet: bool) {
        self.mint(h);
        let s = &self.hs[h as usize];
        if !(relet && s.ended) {
            return;
        }
        let fence = s.generator.as_ref().and_then(|g| g.fence_ms()).unwrap_or(0);
        let now_h = self.clock(h);
        if now_h < fence {
            self.probe_at(h, fence, true); // the clock went back meanwhile
            return;
        }
        let s = &mut self.hs[h as usize];
        s.generator = None;
        s.claim = None;
        s.lease += 1;
        self.acquire(h);
    }

    // --- faults ---

    fn choose(&mut self, count: u32) -> Vec<u32> {
        let n = self.cfg.holders;
        let mut chosen = Vec::new();
        let mut seen = HashSet::new();
        let mut tries = 0;
        while chosen.len() < count.min(n) as usize && tries < 20 * n {
            tries += 1;
            let h = self.rng.range(0, u64::from(n) - 1) as u32;
            if self.hs[h as usize].up && seen.insert(h) {
                chosen.push(h);
            }
        }
        chosen
    }

    fn hit(&mut self, ix: u16, h: u32) {
        self.hs[h as usize].hit_by = Some(ix);
        self.faults[usize::from(ix)].hit += 1;
    }

    fn fault(&mut self, ix: u16, phase: u8) {
        let f = self.faults[usize::from(ix)].fault.clone();
        match (f, phase) {
            (Fault::Partition { region, for_ms, .. }, 0) => {
                self.partitioned[usize::from(region)] = true;
                for h in 0..self.cfg.holders {
                    if self.hs[h as usize].region == region {
                        self.hit(ix, h);
                    }
                }
                self.at(self.now + for_ms, Ev::Fault { ix, phase: 1 });
            }
            (Fault::Partition { region, .. }, 1) => self.partitioned[usize::from(region)] = false,
            (Fault::Pause { count, for_ms, .. }, 0) => {
                for h in self.choose(count) {
                    self.hit(ix, h);
                    self.hs[h as usize].paused_until = self.now + for_ms;
                }
            }
            (Fault::Drift { count, .. }, 0) => {
                let chosen = self.choose(count);
                for &h in &chosen {
                    self.hit(ix, h);
                }
                self.faults[usize::from(ix)].chosen = chosen;
                self.at(self.now + 1_000, Ev::Fault { ix, phase: 2 });
            }
            (Fault::Drift { ms_per_s, to_ms, .. }, 2) => {
                let mut moving = false;
                for h in self.faults[usize::from(ix)].chosen.clone() {
                    let off = &mut self.hs[h as usize].off;
                    let step = ms_per_s as i64;
                    if *off < to_ms {
                        *off = (*off + step).min(to_ms);
                        moving = true;
                    } else if *off > to_ms {
                        *off = (*off - step).max(to_ms);
                        moving = true;
                    }
                }
                if moving {
                    self.at(self.now + 1_000, Ev::Fault { ix, phase: 2 });
                }
            }
            (
                Fault::Crash {
                    count, down_ms, graceful, ..
                },
                0,
            ) => {
                for h in self.choose(count) {
                    self.hit(ix, h);
                    self.stop_holder(h, graceful);
                    let life = self.hs[h as usize].life;
                    self.at(self.now + down_ms, Ev::Boot { h, life });
                }
            }
            (Fault::StoreRestart { down_ms, .. } | Fault::StoreRestore { down_ms, .. }, 0) => {
                self.store_down_until = self.now + down_ms;
                for h in 0..self.cfg.holders {
                    self.hit(ix, h);
                }
                self.at(self.now + down_ms, Ev::Fault { ix, phase: 1 });
            }
            (Fault::StoreRestart { .. }, 1) => {
                self.identities += 1;
                self.identity = format!("store-{}", self.identities);
                let now = self.store_now();
                // Recreated not fresh: its floor above every fence from before (unless broken).
                let fresh = self.broken(Broken::RestartFresh);
                self.store = MemoryStore::new(self.cfg.lease, self.cfg.nodes, &self.identity, fresh, now).expect("valid namespace");
            }
            (Fault::StoreRestore { .. }, 3) => {
                self.snapshot = Some((self.store.floor_ms(), self.identity.clone(), self.store.nodes().to_vec()));
            }
            (Fault::StoreRestore { .. }, 1) => {
                let (floor, recorded, nodes) = self.snapshot.clone().expect("the snapshot comes first");
                self.store = MemoryStore::restore(self.cfg.lease, floor, &recorded, nodes).expect("valid namespace");
                if !self.broken(Broken::RestoreKeepsIdentity) {
                    self.identities += 1;
                    self.identity = format!("store-{}", self.identities);
                } else {
                    self.identity = recorded;
                }
            }
            _ => {}
        }
    }

    /// A crash (the generator and its lease vanish) or a clean stop (the
    /// generator stops, the node is released with its high-water).
    fn stop_holder(&mut self, h: u32, graceful: bool) {
        let s = &mut self.hs[h as usize];
        s.life += 1;
        s.up = false;
        s.inflight = None;
        s.acquiring = false;
        s.blocked_since.get_or_insert((self.now, s.hit_by));
        let generator = s.generator.take();
        let claim = s.claim.take();
        let holder = s.holder.take();
        if !graceful {
            return;
        }
        let (Some(generator), Some(claim), Some(mut holder)) = (generator, claim, holder) else {
            return;
        };
        if holder.lease().map(|l| l.state()) != Some(LeaseState::Active) {
            return;
        }
        let Ok(r) = holder.release(generator.high_water_ms()) else { return };
        let c = &mut self.claims[claim];
        c.end = c.end.min(r.high_water_ms);
        // The release goes out under the holder string of the lease (send
        // uses the current one: the name counter is bumped at the next acquire).
        let msg = Msg::Release {
            node: r.node,
            epoch: r.epoch,
            start: r.start_ms,
            high_water: r.high_water_ms,
        };
        self.send(h, msg, None);
    }

    // --- the report ---

    fn report(self) -> Report {
        // No two leases' claimed intervals on one node overlap.
        let mut by_node: Vec<&Claim> = self.claims.iter().filter(|c| c.end > c.start).collect();
        by_node.sort_by_key(|c| (c.node, c.start));
        let mut overlaps = 0;
        let mut prev: Option<(u64, u64)> = None;
        for c in &by_node {
            match prev {
                Some((node, end)) if node == c.node => {
                    if c.start < end {
                        overlaps += 1;
                    }
                    prev = Some((node, end.max(c.end)));
                }
                _ => prev = Some((c.node, c.end)),
            }
        }
        let stopped_at_fence = self.claims.iter().filter(|c| c.stopped).count() as u64;
        let still_blocked = self.hs.iter().filter(|s| s.blocked_since.is_some()).count() as u64;
        let load = Load::from_seconds(&self.per_second, &self.cfg);
        let faults = self
            .faults
            .into_iter()
            .map(|f| FaultReport::new(&f.fault, f.hit, f.outages, f.recovered_ms))
            .collect();
        Report {
            scenario: self.cfg.name.clone(),
            seed: self.cfg.seed,
            holders: self.cfg.holders,
            regions: self.cfg.regions,
            nodes: self.cfg.nodes,
            ttl_ms: self.cfg.lease.ttl_ms,
            max_skew_ms: self.cfg.lease.max_skew_ms,
            duration_ms: self.cfg.duration_ms,
            mint_every_ms: self.cfg.mint_every_ms,
            broken: self.cfg.broken.map(|b| format!("{b:?}")),
            load,
            leases_granted: self.leases,
            renewals_confirmed: self.renewed,
            renewal_retries: self.retries,
            lease_lost: self.lost,
            clock_skew_stops: self.skew_stops,
            clock_skew_refusals: self.acquire_skew,
            too_late_to_judge: self.acquire_too_late,
            no_free_node: self.no_free_node,
            stopped_at_fence,
            still_blocked_at_end: still_blocked,
            ids_minted: self.minted,
            mint_failures: self.failed,
            faults,
            unfaulted_outages: self.unfaulted_outages.len() as u64,
            checks: Checks {
                claims: self.claims.len() as u64,
                overlaps,
                duplicates: self.duplicates,
                outside_claim: self.outside,
            },
        }
    }
}
