//! Property tests: uniqueness, monotonicity, round trips, order preservation.

use idloom::encoding::Encoding;
use idloom::mask::Mask;
use idloom::snowflake::Next;
use idloom::{Generator, Layout, OnBackwards, OnExhausted, Policy, SequenceStart, Uuid};
use proptest::prelude::*;

fn any_layout() -> impl Strategy<Value = Layout> {
    (
        1u32..=41,
        0u32..=10,
        1u32..=12,
        0u64..=1_600_000_000_000,
        prop::sample::select(vec![1u64, 10, 1000]),
    )
        .prop_filter_map("bits within 63", |(t, n, s, e, tick)| Layout::new(t, n, s, e, tick).ok())
}

fn any_policy() -> impl Strategy<Value = Policy> {
    let back = prop_oneof![
        Just(OnBackwards::Fail),
        (0u64..50).prop_map(|max_ms| OnBackwards::Wait { max_ms }),
        (0u64..50).prop_map(|max_lead_ms| OnBackwards::Logical { max_lead_ms }),
    ];
    let exhausted = prop_oneof![
        Just(OnExhausted::Wait),
        Just(OnExhausted::Fail),
        (0u64..50).prop_map(|max_lead_ms| OnExhausted::Borrow { max_lead_ms })
    ];
    let start = prop_oneof![
        Just(SequenceStart::Reset),
        Just(SequenceStart::Continuous),
        any::<u64>().prop_map(|seed| SequenceStart::Random { seed })
    ];
    (back, exhausted, start).prop_map(|(on_backwards, on_exhausted, sequence_start)| Policy {
        on_backwards,
        on_exhausted,
        sequence_start,
    })
}

proptest! {
    #[test]
    fn compose_then_decompose_is_identity(layout in any_layout(), t in any::<u64>(), n in any::<u64>(), s in any::<u64>()) {
        let tick = t % (layout.max_tick() + 1);
        let node = n % (layout.max_node() + 1);
        let seq = s % (layout.max_sequence() + 1);
        let id = layout.compose_tick(tick, node, seq).unwrap();
        let p = layout.decompose(id).unwrap();
        prop_assert_eq!((p.tick, p.node, p.sequence), (tick, node, seq));
        prop_assert_eq!(layout.compose(p.timestamp_ms, p.node, p.sequence).unwrap(), id);
        prop_assert_eq!(layout.parse_friendly(&layout.friendly(id).unwrap().to_string()).unwrap(), id);
    }

    /// Whatever the clock does (stalls, jumps back, leaps ahead) and whatever
    /// the policy, every issued ID is larger than the one before it.
    #[test]
    fn generator_ids_strictly_increase_under_any_clock(
        policy in any_policy(),
        steps in prop::collection::vec(-30i64..=30, 1..400),
    ) {
        let layout = Layout::new(30, 2, 3, 0, 1).unwrap();
        let mut g = Generator::new(layout, 1, policy).unwrap();
        let mut now: i64 = 1_000;
        let mut last: Option<u64> = None;
        for d in steps {
            now = (now + d).max(0);
            if let Ok(Next::Id(id)) = g.next_at(now as u64) {
                if let Some(l) = last { prop_assert!(id > l, "{} after {}", id, l); }
                prop_assert_eq!(layout.decompose(id).unwrap().node, 1);
                last = Some(id);
            }
        }
    }

    #[test]
    fn encodings_round_trip_and_preserve_order(a in any::<u64>(), b in any::<u64>(), x in any::<u128>(), y in any::<u128>()) {
        for (_, e) in Encoding::ALL {
            let (ea, eb) = (e.encode_u64(a), e.encode_u64(b));
            prop_assert_eq!(e.decode_u64(&ea).unwrap(), a);
            prop_assert_eq!(ea.len(), e.width_u64());
            prop_assert_eq!(a.cmp(&b), ea.as_str().cmp(eb.as_str()));
            let (ex, ey) = (e.encode_u128(x), e.encode_u128(y));
            prop_assert_eq!(e.decode_u128(&ex).unwrap(), x);
            prop_assert_eq!(x.cmp(&y), ex.as_str().cmp(ey.as_str()));
        }
    }

    #[test]
    fn mask_unmask_is_identity(v1 in any::<bool>(), bits in 1u32..=64, key in any::<[u8; 16]>(), v in any::<u64>()) {
        use idloom::mask::{MaskVersion, MIN_BITS_V2};
        let (version, bits) = if v1 { (MaskVersion::V1, bits) } else { (MaskVersion::V2, bits.max(MIN_BITS_V2)) };
        let m = Mask::with_version(version, bits, key).unwrap();
        let v = if bits == 64 { v } else { v & ((1u64 << bits) - 1) };
        let x = m.mask(v).unwrap();
        prop_assert!(bits == 64 || x < (1u64 << bits));
        prop_assert_eq!(m.unmask(x).unwrap(), v);
    }

    #[test]
    fn uuid_text_round_trips(v in any::<u128>()) {
        let u = Uuid::from_u128(v);
        for f in [idloom::uuid::UuidFormat::Hyphenated, idloom::uuid::UuidFormat::Simple, idloom::uuid::UuidFormat::Urn, idloom::uuid::UuidFormat::Braced] {
            prop_assert_eq!(Uuid::parse(&u.format(f)).unwrap(), u);
        }
    }
}

proptest! {
    /// Two generators with different nodes never produce the same ID, whatever
    /// their clocks do and whatever policy each uses.
    #[test]
    fn different_nodes_never_collide(
        pa in any_policy(),
        pb in any_policy(),
        steps in prop::collection::vec((-20i64..=20, -20i64..=20), 1..300),
    ) {
        let layout = Layout::new(30, 2, 3, 0, 1).unwrap();
        let mut a = Generator::new(layout, 1, pa).unwrap();
        let mut b = Generator::new(layout, 2, pb).unwrap();
        let (mut ta, mut tb) = (1_000i64, 1_000i64);
        let mut seen = std::collections::HashSet::new();
        for (da, db) in steps {
            ta = (ta + da).max(0);
            tb = (tb + db).max(0);
            for (g, t) in [(&mut a, ta), (&mut b, tb)] {
                if let Ok(Next::Id(id)) = g.next_at(t as u64) {
                    prop_assert!(seen.insert(id), "duplicate {}", id);
                }
            }
        }
    }
}
