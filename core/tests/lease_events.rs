//! The holder names each step's event itself (`Holder::take_event`), so
//! every binding reports the same event for the same step: acquired, a
//! renewal's outcome while the lease is active, released — each once.

use idloom::events::Kind;
use idloom::lease::{Grant, Holder, LeaseConfig};
use idloom::ErrorCode;

const T0: u64 = 1_700_000_000_000;

fn holder_on_node_3() -> (Holder, u64) {
    let mut h = Holder::new(LeaseConfig {
        ttl_ms: 10_000,
        max_skew_ms: 1_000,
    })
    .unwrap();
    assert!(h.take_event().is_none(), "nothing happened yet");
    let fence = h.begin_acquire(T0);
    let grant = Grant {
        node: 3,
        epoch: 7,
        start_ms: T0 - 50,
        fence_ms: fence,
        store_now_ms: T0 + 5,
    };
    h.granted(&grant, T0 + 10).unwrap();
    (h, fence)
}

fn renew(h: &mut Holder, now: u64, store_now: u64, received: u64) -> idloom::lease::Renewal {
    let p = h.begin_renew(now).unwrap();
    let g = Grant {
        node: 3,
        epoch: 7,
        start_ms: T0 - 50,
        fence_ms: p,
        store_now_ms: store_now,
    };
    h.renewed(&g, received)
}

#[test]
fn each_step_of_a_lease_is_one_event_taken_once() {
    let (mut h, fence) = holder_on_node_3();
    let e = h.take_event().unwrap();
    assert_eq!(
        (e.kind, e.node, e.epoch, e.fence_ms),
        (Kind::LeaseAcquired, Some(3), Some(7), Some(fence))
    );
    assert!(h.take_event().is_none(), "taken once");

    renew(&mut h, T0 + 3_400, T0 + 3_405, T0 + 3_410);
    let e = h.take_event().unwrap();
    assert_eq!((e.kind, e.fence_ms), (Kind::LeaseRenewed, Some(T0 + 13_400)));

    // Answered too late to judge the clocks: a failed renewal, retried, the fence standing.
    renew(&mut h, T0 + 7_000, T0 + 8_250, T0 + 9_500);
    let e = h.take_event().unwrap();
    assert_eq!(
        (e.kind, e.fence_ms, e.code, e.in_ms),
        (Kind::LeaseRenewalFailed, Some(T0 + 13_400), Some("store_unavailable"), Some(833))
    );

    h.begin_renew(T0 + 7_100).unwrap();
    h.renew_failed(None);
    assert_eq!(h.take_event().unwrap().kind, Kind::LeaseRenewalFailed);

    let (r, f) = (h.release(Some(T0 + 5_000)).unwrap(), T0 + 5_000);
    let e = h.take_event().unwrap();
    assert_eq!(
        (e.kind, e.node, e.epoch, e.fence_ms),
        (Kind::LeaseReleased, Some(r.node), Some(r.epoch), Some(f))
    );
    // A released lease ends quietly: a late renewal outcome is no event.
    h.renew_failed(Some(ErrorCode::StoreSchema));
    assert!(h.take_event().is_none());
}

#[test]
fn a_refusal_is_lost_and_another_stop_is_expired() {
    let (mut h, fence) = holder_on_node_3();
    h.begin_renew(T0 + 3_400).unwrap();
    h.refused();
    let e = h.take_event().unwrap();
    assert_eq!((e.kind, e.fence_ms, e.code), (Kind::LeaseLost, Some(fence), Some("lease_lost")));
    h.refused();
    assert!(h.take_event().is_none(), "lost already: no second event");

    let (mut h, _) = holder_on_node_3();
    h.begin_renew(T0 + 3_400).unwrap();
    h.renew_failed(Some(ErrorCode::StoreSchema));
    let e = h.take_event().unwrap();
    assert_eq!((e.kind, e.code), (Kind::LeaseExpired, Some("store_schema")));
    // A skewed answer ends renewals too: expired with clock_skew.
    let (mut h, _) = holder_on_node_3();
    h.take_event();
    renew(&mut h, T0 + 3_400, T0 + 9_400, T0 + 3_401);
    let e = h.take_event().unwrap();
    assert_eq!((e.kind, e.code), (Kind::LeaseExpired, Some("clock_skew")));
}
