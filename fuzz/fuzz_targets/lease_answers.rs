//! Store answers fed to the lease state machine: a holder (`Holder`) takes
//! arbitrary grants, renewals, refusals and failures at arbitrary times, and
//! the store model (`MemoryStore`) arbitrary calls. Never a panic; while a
//! lease is active its fence never moves back, and nothing but a clean
//! release or a refusal ends it.
#![no_main]
use idloom::lease::{Grant, Holder, LeaseConfig, LeaseState, MemoryStore, Renewal};
use idloom::ErrorCode;
use libfuzzer_sys::fuzz_target;

struct Bytes<'a>(&'a [u8]);
impl Bytes<'_> {
    fn u64(&mut self) -> u64 {
        let (head, rest) = self.0.split_at(self.0.len().min(8));
        self.0 = rest;
        let mut b = [0u8; 8];
        b[..head.len()].copy_from_slice(head);
        u64::from_le_bytes(b)
    }
    fn small(&mut self, n: u64) -> u64 {
        self.u64() % n
    }
    /// A store's answer, arbitrary.
    fn grant(&mut self) -> Grant {
        Grant {
            node: self.small(16),
            epoch: self.u64(),
            start_ms: self.small(1 << 50),
            fence_ms: self.small(1 << 50),
            store_now_ms: self.small(1 << 50),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let ttl = 1 + b.small(86_400_000);
    let config = LeaseConfig {
        ttl_ms: ttl,
        max_skew_ms: b.small(ttl),
    };
    let mut h = Holder::new(config).unwrap();
    let mut store = MemoryStore::new(config, 1 + b.small(8), "s", b.small(2) == 0, b.small(1 << 50)).unwrap();
    let mut last: Option<(u64, u64, u64)> = None; // (node, epoch, fence) of the lease seen last
    while !b.0.is_empty() {
        let t = b.small(1 << 50);
        match b.small(8) {
            0 => {
                h.begin_acquire(t);
            }
            1 => {
                let _ = h.granted(&b.grant(), t);
                last = None; // a new grant: another lease
            }
            2 => {
                let _ = h.begin_renew(t);
            }
            3 => {
                let _ = h.renewed(&b.grant(), t);
            }
            4 => {
                let code = ErrorCode::ALL.get(b.small(40) as usize).copied();
                assert!(matches!(h.renew_failed(code), Renewal::Retry { .. } | Renewal::Stop(_)));
            }
            5 => {
                let _ = h.refused();
            }
            6 => {
                let _ = store.acquire(if b.small(2) == 0 { "a" } else { "b" }, b.small(1 << 50), "s", t);
            }
            _ => {
                let (node, epoch, hw, start) = (b.small(8), b.small(4), b.small(1 << 50), b.small(1 << 50));
                let _ = store.renew(node, epoch, start, "a", hw, if b.small(2) == 0 { "s" } else { "t" }, t);
                let _ = store.release(node, epoch, start, "b", hw);
            }
        }
        let _ = h.next_renewal_in_ms(t);
        if let Some(l) = h.lease() {
            if l.state() == LeaseState::Active {
                if let Some((node, epoch, fence)) = last {
                    if (node, epoch) == (l.node(), l.epoch()) {
                        assert!(l.fence_ms() >= fence, "the fence moved back: {fence} -> {}", l.fence_ms());
                    }
                }
                last = Some((l.node(), l.epoch(), l.fence_ms()));
            }
        }
    }
});
