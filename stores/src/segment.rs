//! Leaf segments served from memory with a tokio refill task: the core's
//! [`SegmentBuffer`] says when and how much to fetch, the task fetches ahead.

use crate::{locked, Store};
use idloom::events::{Counters, Event, Kind};
use idloom::segment::{SegmentBuffer, SegmentConfig};
use idloom::stores::group::Turn;
use idloom::{Clock, Error, ErrorCode, Result, SystemClock};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// How a [`Segment`] buffers.
#[derive(Debug, Clone, Copy)]
pub struct SegmentOptions {
    /// The core's buffer settings (step, prefetch threshold, ranges held,
    /// stride and offset); Leaf's defaults.
    pub config: SegmentConfig,
    /// How long [`Segment::next_id`] waits for a refill when every range in
    /// memory is used, and how long one fetch may take (then
    /// `store_unavailable`); default 10 s.
    pub wait_ms: u64,
}

impl Default for SegmentOptions {
    fn default() -> Self {
        SegmentOptions {
            config: SegmentConfig::default(),
            wait_ms: 10_000,
        }
    }
}

struct State {
    buf: SegmentBuffer,
    /// The last fetch's failure and the fetch count it happened at.
    error: Option<(u64, Error)>,
}

struct Shared<S> {
    store: S,
    biz_tag: String,
    state: Mutex<State>,
    refill: Notify,
    /// Fetches finished (succeeded or failed).
    fetched: watch::Sender<u64>,
    /// How long a fetch may take, and a dry `next_id` wait.
    wait: Duration,
    counters: Mutex<Counters>,
}

/// IDs from a Leaf counter, served from memory; a tokio task fetches the
/// next range once the current one is past its threshold (Leaf's double
/// buffer). Two `Segment`s on one counter, in one process or many, never
/// hand out the same ID: each range is the store's alone.
pub struct Segment<S: Store> {
    shared: Arc<Shared<S>>,
    task: JoinHandle<()>,
    wait: Duration,
}

impl<S: Store> std::fmt::Debug for Segment<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("biz_tag", &self.shared.biz_tag)
            .field("remaining", &self.remaining())
            .finish()
    }
}

impl<S: Store> Segment<S> {
    /// A segment on counter `biz_tag` (created with [`Store::init_segment`]).
    /// The first range is fetched now, so a missing counter
    /// (`store_state_lost`) or an unreachable store (`store_unavailable`)
    /// shows here. Spawns the refill task on the current tokio runtime.
    pub async fn open(store: S, biz_tag: &str, options: SegmentOptions) -> Result<Self> {
        idloom::inputs::biz_tag(biz_tag)?;
        idloom::stores::args::check("timeout_ms", options.wait_ms.into())?;
        let mut buf = SegmentBuffer::new(options.config)?;
        let mut first = None;
        if let Some(request) = buf.begin_fetch(SystemClock.now_ms()) {
            let range = store.fetch(biz_tag, request.step).await?;
            buf.supply(range)?;
            first = Some(range.len());
        }
        let (fetched, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            store,
            biz_tag: biz_tag.to_string(),
            state: Mutex::new(State { buf, error: None }),
            refill: Notify::new(),
            fetched,
            wait: Duration::from_millis(options.wait_ms),
            counters: Mutex::new(Counters::new()),
        });
        if let Some(len) = first {
            crate::events::emit(&shared.counters, &Event::new(Kind::SegmentFetched).amount(len));
        }
        let task = tokio::spawn(refill_loop(shared.clone()));
        shared.refill.notify_one(); // a threshold of 0 prefetches at once
        Ok(Segment {
            shared,
            task,
            wait: Duration::from_millis(options.wait_ms),
        })
    }

    /// The counter.
    pub fn biz_tag(&self) -> &str {
        &self.shared.biz_tag
    }

    /// IDs left in memory.
    pub fn remaining(&self) -> u64 {
        locked(&self.shared.state).buf.remaining()
    }

    /// The core's events this segment saw, by kind (`segment_fetched`,
    /// `segment_fetch_failed`, `segment_ran_dry`); each is also a `tracing`
    /// event, target `idloom`, with the core's message.
    pub fn stats(&self) -> Counters {
        crate::events::snapshot(&self.shared.counters, None)
    }

    fn ran_dry(&self, e: Error) -> Error {
        let code = e.code().as_str();
        crate::events::emit(&self.shared.counters, &Event::new(Kind::SegmentRanDry).code(code));
        e
    }

    /// The next ID from memory without waiting: `segment_exhausted` when
    /// every range is used (a refill is then under way).
    pub fn try_next_id(&self) -> Result<u64> {
        let mut st = locked(&self.shared.state);
        let id = st.buf.next_id();
        if st.buf.wants_fetch() || id.is_err() {
            self.shared.refill.notify_one();
        }
        id
    }

    /// `count` more IDs appended to `out`, in order: as many as memory holds
    /// under one lock, then as [`next_id`](Self::next_id) waits for each
    /// refill. On an error the IDs already appended are kept (and spent):
    /// the caller answers them or drops them, never hands them out twice.
    pub async fn next_ids(&self, count: usize, out: &mut Vec<u64>) -> Result<()> {
        let target = out.len().saturating_add(count);
        out.reserve(count);
        while out.len() < target {
            {
                let mut st = locked(&self.shared.state);
                while out.len() < target {
                    match st.buf.next_id() {
                        Ok(id) => out.push(id),
                        Err(_) => break, // next_id below answers it, or waits
                    }
                }
                if st.buf.wants_fetch() || out.len() < target {
                    self.shared.refill.notify_one();
                }
            }
            if out.len() < target {
                out.push(self.next_id().await?);
            }
        }
        Ok(())
    }

    /// The next ID: from memory, or after the refill when every range is
    /// used. A refill that fails after this call started is its error
    /// (`store_unavailable`, `store_state_lost`, …); none within the
    /// segment's `wait_ms` is `store_unavailable`.
    pub async fn next_id(&self) -> Result<u64> {
        let deadline = tokio::time::Instant::now() + self.wait;
        let mut rx = self.shared.fetched.subscribe();
        let began = *rx.borrow_and_update();
        loop {
            match self.try_next_id() {
                Ok(id) => return Ok(id),
                Err(e) if e.code() != ErrorCode::SegmentExhausted => return Err(e),
                Err(_) => {}
            }
            let failed = match &locked(&self.shared.state).error {
                Some((at, e)) if *at > began => Some(e.clone()),
                _ => None,
            };
            if let Some(e) = failed {
                return Err(self.ran_dry(e));
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => {
                    return Err(self.ran_dry(Error::store(
                        ErrorCode::StoreUnavailable,
                        format!(
                            "biz_tag {}: no range from the store within {} ms",
                            self.shared.biz_tag,
                            self.wait.as_millis()
                        ),
                    )))
                }
            }
        }
    }
}

impl<S: Store> Drop for Segment<S> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn refill_loop<S: Store>(shared: Arc<Shared<S>>) {
    loop {
        shared.refill.notified().await;
        loop {
            let Some(request) = locked(&shared.state).buf.begin_fetch(SystemClock.now_ms()) else {
                break;
            };
            // A fetch that hangs must not hold the buffer's one fetch in flight for good.
            let result = match tokio::time::timeout(shared.wait, shared.store.fetch(&shared.biz_tag, request.step)).await {
                Ok(result) => result,
                Err(_) => Err(Error::store(
                    ErrorCode::StoreUnavailable,
                    format!(
                        "biz_tag {}: no answer to a fetch within {} ms",
                        shared.biz_tag,
                        shared.wait.as_millis()
                    ),
                )),
            };
            let count = *shared.fetched.borrow() + 1;
            let event = {
                let mut st = locked(&shared.state);
                match result.and_then(|range| st.buf.supply(range).map(|()| range.len())) {
                    Ok(len) => {
                        st.error = None;
                        Event::new(Kind::SegmentFetched).amount(len)
                    }
                    Err(e) => {
                        st.buf.fetch_failed();
                        let code = e.code().as_str();
                        st.error = Some((count, e));
                        Event::new(Kind::SegmentFetchFailed).code(code)
                    }
                }
            };
            let failed = event.kind == Kind::SegmentFetchFailed;
            crate::events::emit(&shared.counters, &event);
            shared.fetched.send_replace(count);
            if failed {
                break; // the next use that wants a range asks again
            }
        }
    }
}

/// Several segments in round robin (Leaf's several databases, Tinyid's
/// several sources), one whose store is down passed over: the core's
/// [`Turn`]. The segments must never meet: different counters interleaved
/// by `stride`/`offset` ([`SegmentConfig`]), or ranges that cannot overlap.
pub struct SegmentGroup<S: Store> {
    segments: Vec<Segment<S>>,
    turn: Mutex<Turn>,
}

impl<S: Store> std::fmt::Debug for SegmentGroup<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentGroup").field("segments", &self.segments).finish()
    }
}

impl<S: Store> SegmentGroup<S> {
    /// A group of at least one segment (`invalid_argument` otherwise).
    pub fn new(segments: Vec<Segment<S>>) -> Result<Self> {
        if segments.is_empty() {
            return Err(Error::reason(ErrorCode::InvalidArgument, "segments", "a group needs at least one"));
        }
        let turn = Mutex::new(Turn::new(segments.len()));
        Ok(SegmentGroup { segments, turn })
    }

    /// The segments.
    pub fn segments(&self) -> &[Segment<S>] {
        &self.segments
    }

    /// Segments passed over because they failed, so far.
    pub fn skipped(&self) -> u64 {
        locked(&self.turn).skipped()
    }

    /// The next ID: each call starts one segment further; segments with IDs
    /// in memory first, then each in turn; the last failure only when none answered.
    pub async fn next_id(&self) -> Result<u64> {
        let order: Vec<usize> = {
            let mut turn = locked(&self.turn);
            let start = turn.start();
            turn.order(start).collect()
        };
        for &i in &order {
            if let Ok(id) = self.segments[i].try_next_id() {
                return Ok(id);
            }
        }
        let mut last = None;
        for &i in &order {
            match self.segments[i].next_id().await {
                Ok(id) => return Ok(id),
                Err(e) => {
                    locked(&self.turn).skip();
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| Error::reason(ErrorCode::InvalidArgument, "segments", "a group needs at least one")))
    }
}
