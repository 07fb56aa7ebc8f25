//! Restarts without a store (`docs/COORDINATION.md`, "Restarts without a store"): a state file per
//! (namespace, node), and host-local slots.
//!
//! **State file.** A lease with the local disk as its store: before minting
//! up to a fence, the fence is written ahead (temp file, fsync, rename, fsync
//! of the directory), so a restarted process — killed, crashed, or rebooted —
//! starts at the last fence written and never re-mints a tick the previous
//! run could have used, whatever the clock did in between.
//!
//! **Slots.** gunicorn/uWSGI workers, PM2 and cluster workers, Celery: each
//! claims slot *k* of *n* with an exclusive, non-blocking lock on
//! `DIR/NAMESPACE/slot-k.lock` (`flock`); the kernel frees it when the process
//! dies, however it dies. Node = `host_base + k`; the slot keeps its state
//! file beside the lock, so a restarted worker on the same slot starts above
//! its predecessor. A forked child shares its parent's lock (one open file
//! description): a child claims a slot of its own after the fork.

use crate::error::{Error, ErrorCode, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &str = "idloom-state 1";

pub use crate::stores::check_namespace;

fn io(what: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |_| Error::reason(ErrorCode::StoreUnavailable, "state_file", what)
}

/// The fence of one (namespace, node), kept on disk and written ahead of use.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    namespace: String,
    node: u64,
    fence_ms: u64,
}

impl StateFile {
    /// The state of `node` in `namespace` under `dir` (created if missing):
    /// returns the file and the `start_ms` to mint from — the fence the
    /// previous run wrote (0 on the first run). Nothing is minted until
    /// [`advance`](Self::advance) has written a fence ahead. A file that does
    /// not parse, or belongs to another namespace or node, is `store_schema`
    /// (never read as 0).
    pub fn open(dir: &Path, namespace: &str, node: u64) -> Result<(StateFile, u64)> {
        check_namespace(namespace)?;
        let path = dir.join(format!("{namespace}.node-{node}.state"));
        StateFile::at(path, namespace, node)
    }

    fn at(path: PathBuf, namespace: &str, node: u64) -> Result<(StateFile, u64)> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io("cannot create the state directory"))?;
        }
        let start = match std::fs::read_to_string(&path) {
            Ok(text) => parse(&text, namespace, node)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(io("cannot read the state file")(e)),
        };
        let file = StateFile {
            path,
            namespace: namespace.into(),
            node,
            fence_ms: start,
        };
        Ok((file, start))
    }

    /// The fence written (ID time): mint only ticks that end by it.
    pub const fn fence_ms(&self) -> u64 {
        self.fence_ms
    }

    /// Where the state lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write `fence_ms` ahead of use (temp file, fsync, rename, fsync of the
    /// directory); a fence never moves back. Only once this returns may the
    /// generator mint up to the new fence.
    pub fn advance(&mut self, fence_ms: u64) -> Result<()> {
        if fence_ms <= self.fence_ms {
            return Ok(());
        }
        let tmp = self.path.with_extension("state.tmp");
        {
            let mut f = File::create(&tmp).map_err(io("cannot create the temporary state file"))?;
            write!(
                f,
                "{MAGIC}\nnamespace={}\nnode={}\nfence_ms={fence_ms}\n",
                self.namespace, self.node
            )
            .map_err(io("cannot write the state file"))?;
            f.sync_all().map_err(io("cannot fsync the state file"))?;
        }
        std::fs::rename(&tmp, &self.path).map_err(io("cannot rename the state file into place"))?;
        if let Some(parent) = self.path.parent() {
            // The rename itself must survive a crash: fsync the directory.
            if let Ok(d) = File::open(parent) {
                d.sync_all().map_err(io("cannot fsync the state directory"))?;
            }
        }
        self.fence_ms = fence_ms;
        Ok(())
    }
}

fn parse(text: &str, namespace: &str, node: u64) -> Result<u64> {
    let bad = |reason| Error::reason(ErrorCode::StoreSchema, "state_file", reason);
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return Err(bad("not an idloom state file of schema version 1"));
    }
    let mut field = |key: &str| {
        lines
            .next()
            .and_then(|l| l.strip_prefix(key))
            .and_then(|l| l.strip_prefix('='))
            .map(str::to_owned)
    };
    if field("namespace").as_deref() != Some(namespace) {
        return Err(bad("the state file belongs to another namespace"));
    }
    if field("node").and_then(|n| n.parse::<u64>().ok()) != Some(node) {
        return Err(bad("the state file belongs to another node"));
    }
    field("fence_ms")
        .and_then(|f| f.parse::<u64>().ok())
        .ok_or(bad("the state file has no readable fence_ms"))
}

/// A host-local slot: an exclusive lock on `DIR/NAMESPACE/slot-k.lock`,
/// held as long as this value (and the process) lives.
#[derive(Debug)]
pub struct Slot {
    _lock: File,
    dir: PathBuf,
    namespace: String,
    index: u64,
    node: u64,
}

impl Slot {
    /// Claim the first free slot of `count` (node = `host_base + k`, at most
    /// `max_node`); `no_free_node` when every slot is held by a live process.
    pub fn claim(dir: &Path, namespace: &str, count: u64, host_base: u64, max_node: u64) -> Result<Slot> {
        check_namespace(namespace)?;
        if count == 0 || host_base.checked_add(count - 1).is_none_or(|last| last > max_node) {
            let most = max_node.saturating_sub(host_base).saturating_add(1).max(1);
            return Err(Error::range(ErrorCode::InvalidArgument, "slots", count, 1, most));
        }
        let dir = dir.join(namespace);
        std::fs::create_dir_all(&dir).map_err(io("cannot create the slot directory"))?;
        for k in 0..count {
            let path = dir.join(format!("slot-{k}.lock"));
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(io("cannot open a slot lock file"))?;
            match file.try_lock() {
                Ok(()) => {
                    return Ok(Slot {
                        _lock: file,
                        dir,
                        namespace: namespace.into(),
                        index: k,
                        node: host_base + k,
                    })
                }
                Err(TryLockError::WouldBlock) => continue,
                Err(TryLockError::Error(e)) => return Err(io("cannot lock a slot file")(e)),
            }
        }
        Err(Error::reason(
            ErrorCode::NoFreeNode,
            "slots",
            "every slot of this host is held by a live process: raise the slot count",
        ))
    }

    /// The slot index `k`.
    pub const fn index(&self) -> u64 {
        self.index
    }
    /// The node: `host_base + k`.
    pub const fn node(&self) -> u64 {
        self.node
    }

    /// The slot's state file (`slot-k.state`, beside its lock) and where to start.
    pub fn state_file(&self) -> Result<(StateFile, u64)> {
        StateFile::at(self.dir.join(format!("slot-{}.state", self.index)), &self.namespace, self.node)
    }
}

/// The longest hostname read for a StatefulSet ordinal (a DNS name's 253).
pub const MAX_HOSTNAME: usize = 253;

/// The node base of a Kubernetes StatefulSet pod: `base + ordinal × slots`,
/// the ordinal being the decimal number after the hostname's last `-`
/// (`web-3` → 3; Kubernetes names pod *k* of a StatefulSet `NAME-k`, and the
/// pod's hostname is its name). `hostname` `None` reads `$HOSTNAME`, which
/// the container runtime sets to it. The pod's slots are
/// `base + ordinal × slots + k` for `k < slots` (one per worker process; 1
/// when the pod runs one minting process), every one at most `max_node`.
///
/// `invalid_argument` naming `hostname` when it is missing, longer than
/// [`MAX_HOSTNAME`], or does not end in `-ORDINAL` (digits, no leading zero
/// but `0` itself); `slots` outside `1..=max_node + 1`; `node_out_of_range`
/// naming `base` past `max_node`, or `node` (the pod's last node, with the
/// range) when `base + ordinal × slots + slots - 1` passes `max_node`.
pub fn statefulset_base(hostname: Option<&str>, base: u64, slots: u64, max_node: u64) -> Result<u64> {
    let env;
    let hostname = match hostname {
        Some(h) => h,
        None => {
            env = std::env::var("HOSTNAME").map_err(|_| {
                Error::reason(
                    ErrorCode::InvalidArgument,
                    "hostname",
                    "not given and $HOSTNAME is not set: pass the pod's name (NAME-ORDINAL)",
                )
            })?;
            &env
        }
    };
    if hostname.len() > MAX_HOSTNAME {
        return Err(Error::range(
            ErrorCode::InvalidArgument,
            "hostname",
            hostname.len() as u64,
            1,
            MAX_HOSTNAME as u64,
        ));
    }
    let ordinal = match hostname.rsplit_once('-') {
        Some((name, d))
            if !name.is_empty() && !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) && (d == "0" || !d.starts_with('0')) =>
        {
            d.parse::<u64>().ok()
        }
        _ => None,
    }
    .ok_or(Error::reason(
        ErrorCode::InvalidArgument,
        "hostname",
        "must end in -ORDINAL, a StatefulSet pod's name (e.g. web-3)",
    ))?;
    if base > max_node {
        return Err(Error::range(ErrorCode::NodeOutOfRange, "base", base, 0, max_node));
    }
    if slots == 0 || slots > max_node.saturating_add(1) {
        return Err(Error::range(
            ErrorCode::InvalidArgument,
            "slots",
            slots,
            1,
            max_node.saturating_add(1),
        ));
    }
    let first = ordinal.checked_mul(slots).and_then(|o| o.checked_add(base));
    match first.and_then(|f| f.checked_add(slots - 1)) {
        Some(last) if last <= max_node => Ok(last - (slots - 1)),
        last => Err(Error::range(
            ErrorCode::NodeOutOfRange,
            "node",
            last.unwrap_or(u64::MAX),
            0,
            max_node,
        )),
    }
}

impl Slot {
    /// Claim a slot of a StatefulSet pod ([`statefulset_base`]): one of
    /// `slots` under `dir/namespace` (the pod's volume, so that a restarted
    /// pod starts above the fence its predecessor wrote), node
    /// `base + ordinal × slots + k`. The lock keeps a second process in the
    /// pod off the node (`no_free_node` once all `slots` are held).
    pub fn statefulset(dir: &Path, namespace: &str, hostname: Option<&str>, base: u64, slots: u64, max_node: u64) -> Result<Slot> {
        let host_base = statefulset_base(hostname, base, slots, max_node)?;
        Slot::claim(dir, namespace, slots, host_base, max_node)
    }
}

/// A generator's fence kept in a state file, as the bindings use it: one
/// [`StateFile`] per path in the process (every generator of the node shares
/// it, so the fence on disk never goes back), written `lead_ms` ahead of the
/// clock. A generator at its fence (`lease_expired`) calls
/// [`advance`](Self::advance) and tries again.
#[derive(Debug)]
pub struct FileFence {
    file: std::sync::Mutex<StateFile>,
    start_ms: u64,
    path: PathBuf,
    /// A slot's lock, held as long as a generator mints on the slot's node
    /// (a copy of the slot's descriptor: the `flock` lives while either does),
    /// so dropping the `Slot` while its generator lives never frees the node.
    _slot_lock: Option<File>,
}

impl FileFence {
    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where this process's interval starts: the fence the last run wrote.
    pub const fn start_ms(&self) -> u64 {
        self.start_ms
    }

    /// Write the fence `lead_ms` past `gen`'s clock, then let `gen` mint up to
    /// it: the first call sets the interval (`[start, fence)`), later ones
    /// extend it. Returns whether the fence moved (false: the clock has not
    /// moved on since, so minting again would meet the same fence). Takes the
    /// file's lock: call it where no other lock the host needs is held (in
    /// Python, without the GIL).
    pub fn advance<C: crate::Clock>(&self, gen: &crate::SharedSnowflake<C>, lead_ms: u64, first: bool) -> Result<bool> {
        let mut file = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = file.fence_ms();
        let now = gen.clock().now_ms().max(self.start_ms);
        file.advance(now.saturating_add(lead_ms))?;
        if first {
            gen.set_lease(self.start_ms, file.fence_ms(), 0);
        } else {
            gen.extend_fence(file.fence_ms());
        }
        Ok(file.fence_ms() > before)
    }
}

type Fences = std::collections::HashMap<PathBuf, std::sync::Weak<FileFence>>;
type Owners = std::collections::HashMap<(String, u64), (PathBuf, std::sync::Weak<FileFence>)>;

fn fences() -> std::sync::MutexGuard<'static, (Fences, Owners)> {
    static FENCES: std::sync::OnceLock<std::sync::Mutex<(Fences, Owners)>> = std::sync::OnceLock::new();
    FENCES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn file_fence(
    layout: &crate::Layout,
    node: u64,
    path: PathBuf,
    slot_lock: Option<&File>,
    open: impl FnOnce() -> Result<(StateFile, u64)>,
) -> Result<std::sync::Arc<FileFence>> {
    let mut guard = fences();
    let (files, owners) = &mut *guard;
    files.retain(|_, w| w.strong_count() > 0);
    owners.retain(|_, (_, w)| w.strong_count() > 0);
    // One file per (layout, node) in the process: its generator is the process
    // registry's, and two files would each let it mint up to their own fence.
    let key = (alloc::format!("{layout}"), node);
    if let Some((other, _)) = owners.get(&key) {
        if *other != path {
            return Err(Error::reason(
                ErrorCode::NodeInUse,
                "state_dir",
                "this process already keeps the node's fence in another state file: one state file per node",
            ));
        }
    }
    let fence = match files.get(&path).and_then(std::sync::Weak::upgrade) {
        Some(f) => f,
        None => {
            let (file, start_ms) = open()?;
            let slot_lock = match slot_lock {
                Some(lock) => Some(lock.try_clone().map_err(io("cannot keep the slot's lock"))?),
                None => None,
            };
            let f = std::sync::Arc::new(FileFence {
                file: std::sync::Mutex::new(file),
                start_ms,
                path: path.clone(),
                _slot_lock: slot_lock,
            });
            files.insert(path.clone(), std::sync::Arc::downgrade(&f));
            f
        }
    };
    owners.insert(key, (path, std::sync::Arc::downgrade(&fence)));
    Ok(fence)
}

/// The process-wide fence file of a manual node (`DIR/NAMESPACE.node-N.state`).
pub fn node_fence(dir: &Path, namespace: &str, layout: &crate::Layout, node: u64) -> Result<std::sync::Arc<FileFence>> {
    check_namespace(namespace)?;
    let path = dir.join(format!("{namespace}.node-{node}.state"));
    file_fence(layout, node, path, None, || StateFile::open(dir, namespace, node))
}

impl Slot {
    /// The process-wide fence file of this slot (`slot-k.state`, beside its
    /// lock). It holds the slot's lock too: the node stays this process's as
    /// long as a generator mints on it, even once this `Slot` is dropped.
    pub fn fence(&self, layout: &crate::Layout) -> Result<std::sync::Arc<FileFence>> {
        let path = self.dir.join(format!("slot-{}.state", self.index));
        file_fence(layout, self.node, path, Some(&self._lock), || self.state_file())
    }
}
