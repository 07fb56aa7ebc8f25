//! UUIDs against RFC 9562's appendix examples and the `uuid` crate.

use idloom::uuid::{UuidFormat, V7Generator, Variant};
use idloom::{ErrorCode, ReplayBytes, SecureRng, Uuid};

#[path = "support/refused.rs"]
mod refused;
use refused::assert_refused;

#[test]
fn rfc9562_appendix_examples() {
    // A.6: v7 at 0x017F22E279B0 ms (2022-02-22T19:22:22Z).
    let random = [0x0C, 0xC3, 0x18, 0xC4, 0xDC, 0x0C, 0x0C, 0x07, 0x39, 0x8F];
    let v7 = Uuid::new_v7(0x017F_22E2_79B0, &random).unwrap();
    assert_eq!(v7.to_string(), "017f22e2-79b0-7cc3-98c4-dc0c0c07398f");
    assert_eq!(
        (v7.version(), v7.variant(), v7.timestamp_ms()),
        (7, Variant::Rfc9562, Some(1_645_557_742_000))
    );
    // A.3: v4.
    let v4 = Uuid::parse("919108f7-52d1-4320-9bac-f847db4148a8").unwrap();
    assert_eq!((v4.version(), v4.variant(), v4.timestamp_ms()), (4, Variant::Rfc9562, None));
    assert_eq!(Uuid::new_v4(*v4.as_bytes()), v4);
    // A.1 (v1) and A.5 (v6) carry the same instant.
    assert_eq!(
        Uuid::parse("C232AB00-9414-11EC-B3C8-9F6BDECED846").unwrap().timestamp_ms(),
        Some(1_645_557_742_000)
    );
    assert_eq!(
        Uuid::parse("1EC9414C-232A-6B00-B3C8-9F6BDECED846").unwrap().timestamp_ms(),
        Some(1_645_557_742_000)
    );
}

#[test]
fn pure_constructors_agree_with_the_uuid_crate() {
    let mut rng = SecureRng::from_seed([7; 32]);
    for i in 0..1000u64 {
        let mut b16 = [0u8; 16];
        let mut b10 = [0u8; 10];
        idloom::RandomSource::fill_bytes(&mut rng, &mut b16).unwrap();
        idloom::RandomSource::fill_bytes(&mut rng, &mut b10).unwrap();
        let ours = Uuid::new_v4(b16);
        let theirs = uuid::Builder::from_random_bytes(b16).into_uuid();
        assert_eq!(ours.as_bytes(), theirs.as_bytes());
        let ms = 1_700_000_000_000 + i * 7919;
        let ours = Uuid::new_v7(ms, &b10).unwrap();
        let theirs = uuid::Builder::from_unix_timestamp_millis(ms, &b10).into_uuid();
        assert_eq!(ours.as_bytes(), theirs.as_bytes());
        // Their parser reads our text and ours reads theirs, in every form.
        assert_eq!(uuid::Uuid::parse_str(&ours.to_string()).unwrap(), theirs);
        assert_eq!(Uuid::parse(&theirs.urn().to_string()).unwrap(), ours);
        assert_eq!(Uuid::parse(&theirs.braced().to_string()).unwrap(), ours);
        assert_eq!(Uuid::parse(&theirs.simple().to_string().to_uppercase()).unwrap(), ours);
    }
}

#[test]
fn formats() {
    let u = Uuid::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
    assert_eq!(&*u.format(UuidFormat::Simple), "67e5504410b1426f9247bb680e5fe0c8");
    assert_eq!(&*u.format(UuidFormat::Urn), "urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8");
    assert_eq!(&*u.format(UuidFormat::Braced), "{67e55044-10b1-426f-9247-bb680e5fe0c8}");
    assert_eq!(Uuid::NIL.to_string(), "00000000-0000-0000-0000-000000000000");
    assert_eq!(Uuid::MAX.to_string(), "ffffffff-ffff-ffff-ffff-ffffffffffff");
    assert!(Uuid::NIL.is_nil() && Uuid::MAX.is_max());
    assert_eq!((Uuid::NIL.variant(), Uuid::MAX.variant()), (Variant::Ncs, Variant::Future));
    assert_eq!(Uuid::from_u128(u.as_u128()), u);
}

#[test]
fn malformed_text_is_rejected_with_a_position() {
    let cases = [
        ("", "uuid length must be in 32..=45, got 0"),
        ("67e55044-10b1-426f-9247-bb680e5fe0c", "uuid length must be in 32..=45, got 35"),
        ("67e55044x10b1-426f-9247-bb680e5fe0c8", "uuid: expected '-' at position 8"),
        ("67e55044-10b1-426f-9247-bb680e5fe0cg", "uuid: expected a hex digit at position 35"),
        (
            "[67e55044-10b1-426f-9247-bb680e5fe0c8]",
            "uuid: a 38-character UUID must be braced at position 0",
        ),
        (
            "urn:uuix:67e55044-10b1-426f-9247-bb680e5fe0c8",
            "uuid: a 45-character UUID must start with urn:uuid: at position 0",
        ),
        (
            "{67e55044-10b1-426f-9247-bb680e5fe0cZ}",
            "uuid: expected a hex digit at position 36",
        ),
    ];
    for (text, msg) in cases {
        assert_refused(Uuid::parse(text), ErrorCode::InvalidUuid, msg);
    }
}

#[test]
fn v7_generator_is_monotonic_through_stalls_and_backwards_clocks() {
    let mut rng = SecureRng::from_seed([1; 32]);
    let mut g = V7Generator::new();
    let mut last = Uuid::NIL;
    let times = [1000u64, 1000, 1000, 999, 500, 1001, 1001, 2000, 1999];
    for (i, &t) in times.iter().cycle().take(100_000).enumerate() {
        let u = g.next(t + (i as u64 / 9) * 3, &mut rng).unwrap();
        assert!(u > last, "{u} after {last}");
        assert_eq!((u.version(), u.variant()), (7, Variant::Rfc9562));
        last = u;
    }
    assert_eq!(g.next(1 << 48, &mut rng).unwrap_err().code(), ErrorCode::TimestampOutOfRange);
}

#[test]
fn v7_counter_counts_up_within_a_millisecond() {
    let mut g = V7Generator::new();
    // A seed of all ones in the counter bytes: the counter starts at 2^41 - 1.
    let high = [0xFF; 10];
    let first = g.next_from(5000, &high).unwrap();
    assert_eq!(first.timestamp_ms(), Some(5000));
    let mut last = first;
    for _ in 0..(1u64 << 20) {
        last = g.next_from(5000, &high).unwrap();
    }
    assert_eq!(last.timestamp_ms(), Some(5000), "2^41 of headroom is not exhausted by 2^20 calls");
    let v = last.as_u128();
    let counter = ((v >> 64) & 0xFFF) << 30 | ((v >> 32) & 0x3FFF_FFFF);
    assert_eq!(counter, (1 << 41) - 1 + (1 << 20));
}

#[test]
fn replayed_bytes_run_out_with_a_typed_error() {
    let mut r = ReplayBytes::new(&[1, 2, 3]);
    assert_eq!(Uuid::v4(&mut r).unwrap_err().code(), ErrorCode::RandomUnavailable);
}

#[test]
fn standard_uuids_follow_npm_uuid_validate() {
    use idloom::Uuid;
    for ok in [
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398f",
        "0D8F23A0-697F-83AE-802E-48F3756DD581",
        "00000000-0000-1000-b000-000000000000",
    ] {
        assert!(Uuid::parse_standard(ok).unwrap().is_standard(), "{ok}");
    }
    for bad in [
        "00000000-0000-9000-8000-000000000000", // version 9
        "00000000-0000-0000-8000-000000000000", // version 0, not nil
        "00000000-0000-1000-c000-000000000000", // Microsoft variant
        "00000000000000000000000000000000",     // simple form
        "{017f22e2-79b0-7cc3-98c4-dc0c0c07398f}",
    ] {
        assert_eq!(
            Uuid::parse_standard(bad).unwrap_err().code(),
            idloom::ErrorCode::InvalidUuid,
            "{bad}"
        );
    }
}

#[test]
fn v7_counter_layout_matches_npm_uuid() {
    use idloom::Uuid;
    // RFC 9562's example v7, as npm uuid's own test builds it from msecs, seq and random.
    let random = [
        0x10, 0x91, 0x56, 0xbe, 0xc4, 0xfb, 0x0c, 0xc3, 0x18, 0xc4, 0x6c, 0x0c, 0x0c, 0x07, 0x39, 0x8f,
    ];
    let seq = (0x0cc3 << 20) | (0x98c4dc >> 2);
    let u = Uuid::new_v7_counter(0x17f22e279b0, Some(seq), &random).unwrap();
    assert_eq!(u.to_string(), "017f22e2-79b0-7cc3-98c4-dc0c0c07398f");
    assert_eq!(
        &Uuid::new_v7_counter(0x17f22e279b0, Some(0x12345), &random).unwrap().to_string()[..25],
        "017f22e2-79b0-7000-848d-1"
    );
    assert_eq!(
        &Uuid::new_v7_counter(0x17f22e279b0, Some(0x6fffffff), &random).unwrap().to_string()[..25],
        "017f22e2-79b0-76ff-bfff-f"
    );
    // Without a counter: drawn from random[6..10] as npm uuid 14 does (top bit of r[6] cleared).
    let mut random = random;
    random[6] = 0xcc;
    let drawn = Uuid::new_v7_counter(0, None, &random).unwrap();
    let expected = (0xccu32 & 0x7f) << 24 | 0xc3 << 16 | 0x18 << 8 | 0xc4;
    assert_eq!(drawn, Uuid::new_v7_counter(0, Some(expected), &random).unwrap());
    assert_eq!(
        Uuid::new_v7_counter(1 << 48, None, &random).unwrap_err().code(),
        idloom::ErrorCode::TimestampOutOfRange
    );
}

#[test]
fn v7_within_a_millisecond_draws_four_bytes_and_answers_what_next_from_does() {
    use idloom::ReplayBytes;
    // New ms: 10 bytes; then, within it (or behind it), 4 bytes each: the
    // same UUIDs as next_from fed any 6 bytes before those 4.
    let bytes: Vec<u8> = (0u8..=40).collect();
    let mut rng = ReplayBytes::new(&bytes);
    let mut fast = V7Generator::new();
    let mut slow = V7Generator::new();
    let t = 1_700_000_000_000;
    let a = fast.next(t, &mut rng).unwrap();
    assert_eq!(a, slow.next_from(t, bytes[0..10].try_into().unwrap()).unwrap());
    let mut at = 10;
    for now in [t, t, t - 5, t] {
        let u = fast.next(now, &mut rng).unwrap();
        let mut r = [0xEE; 10];
        r[6..].copy_from_slice(&bytes[at..at + 4]);
        assert_eq!(u, slow.next_from(now, &r).unwrap());
        at += 4;
    }
    // A later millisecond draws 10 again.
    let u = fast.next(t + 1, &mut rng).unwrap();
    assert_eq!(u, slow.next_from(t + 1, bytes[at..at + 10].try_into().unwrap()).unwrap());
}
