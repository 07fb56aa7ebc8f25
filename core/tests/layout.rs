//! Layouts: presets, validation, capacity, compose/decompose, friendly form.

use idloom::{ErrorCode, FieldOrder, Layout};

#[test]
fn presets_match_their_origins() {
    // A real tweet ID (values cross-checked with Python's datetime).
    let p = Layout::TWITTER.decompose(1_585_841_080_431_321_088).unwrap();
    assert_eq!(idloom::civil::from_unix_ms(p.timestamp_ms).to_string(), "2022-10-28T03:49:11.734Z");
    assert_eq!((p.node, p.sequence), (330, 0));
    assert_eq!(Layout::TWITTER.capacity().ids_per_second_per_node, 4_096_000);
    assert_eq!(Layout::TWITTER.capacity().nodes, 1024);
    assert_eq!(Layout::SONYFLAKE.capacity().ids_per_second_per_node, 25_600);
    assert_eq!(Layout::SONYFLAKE.order(), FieldOrder::TimeSequenceNode);
    assert_eq!(Layout::BAIDU.capacity().ids_per_second_per_node, 8192);
    assert_eq!(Layout::BAIDU.capacity().nodes, 1 << 22);
    assert!(Layout::JS_SAFE.max_id() < (1u64 << 53));
    assert_eq!(Layout::JS_SAFE.capacity().leaves_js_safe_at_ms, None);
    for (name, l) in Layout::PRESETS {
        assert_eq!(Layout::preset_named(name).unwrap(), l);
        assert!(l.total_bits() <= 63);
    }
    assert_eq!(Layout::preset_named("nope").unwrap_err().code(), ErrorCode::InvalidLayout);
}

#[test]
fn capacity_dates() {
    let c = Layout::TWITTER.capacity();
    // 2^41 ms after the Twitter epoch (cross-checked with Python's datetime).
    assert_eq!(c.runs_out_at_ms, 3_487_858_230_209);
    assert_eq!(
        idloom::civil::from_unix_ms(c.runs_out_at_ms).to_string(),
        "2080-07-10T17:30:30.209Z"
    );
    // IDs pass 2^53 at tick 2^31: 2^31 ms after the epoch.
    assert_eq!(c.leaves_js_safe_at_ms, Some(1_288_834_974_657 + (1 << 31)));
    let text = c.to_string();
    assert!(text.contains("ids per second per node: 4096000"), "{text}");
    assert!(text.contains("leaves JS-safe range at: 2010-11-28T22:14:18.305Z"), "{text}");
}

#[test]
fn invalid_layouts_name_the_parameter() {
    let cases = [
        (Layout::new(0, 10, 12, 0, 1), "time_bits must be in 1..=63, got 0"),
        (Layout::new(41, 62, 12, 0, 1), "node_bits must be in 0..=61, got 62"),
        (Layout::new(41, 10, 0, 0, 1), "sequence_bits must be in 1..=62, got 0"),
        (
            Layout::new(42, 10, 12, 0, 1),
            "time_bits + node_bits + sequence_bits must be in 2..=63, got 64",
        ),
        (Layout::new(41, 10, 12, 0, 0), "tick_ms must be in 1..=86400000, got 0"),
    ];
    for (result, message) in cases {
        let e = result.unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidLayout);
        assert_eq!(e.to_string(), message);
    }
    // 2^62 ticks of a day overflow u64 milliseconds.
    let e = Layout::new(62, 0, 1, 0, 86_400_000).unwrap_err();
    assert_eq!(e.param(), Some("time_bits"));
}

#[test]
fn compose_checks_every_field() {
    let l = Layout::TWITTER;
    let e = l.compose(l.epoch_ms() - 1, 0, 0).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TimestampOutOfRange);
    assert_eq!(l.compose(l.epoch_ms(), 1024, 0).unwrap_err().code(), ErrorCode::NodeOutOfRange);
    assert_eq!(l.compose(l.epoch_ms(), 0, 4096).unwrap_err().code(), ErrorCode::SequenceOutOfRange);
    assert_eq!(l.compose(l.last_ms() + 1, 0, 0).unwrap_err().code(), ErrorCode::TimestampOutOfRange);
    assert_eq!(l.decompose(1 << 63).unwrap_err().code(), ErrorCode::IdOutOfRange);
    assert_eq!(l.compose(l.last_ms(), 1023, 4095).unwrap(), l.max_id());
}

#[test]
fn coarse_ticks_floor_the_timestamp() {
    let l = Layout::BAIDU;
    let id = l.compose(l.epoch_ms() + 2_500, 3, 4).unwrap();
    let p = l.decompose(id).unwrap();
    assert_eq!((p.tick, p.timestamp_ms, p.node, p.sequence), (2, l.epoch_ms() + 2000, 3, 4));
}

#[test]
fn friendly_form_round_trips_and_is_strict() {
    let l = Layout::TWITTER;
    let id = l.compose(1_700_000_000_123, 3, 42).unwrap();
    let text = l.friendly(id).unwrap().to_string();
    assert_eq!(text, "20231114221320123-3-42");
    assert_eq!(l.parse_friendly(&text).unwrap(), id);
    for bad in [
        "",
        "20231114221320123-3",
        "20231114221320123-3-42-1",
        "2023111422132012-3-42",
        "20231314221320123-3-42",
        "20231114221320123-x-42",
        "20231114221320123-1024-0",
        // Found by fuzzing (fuzz/ friendly): a multi-byte character in the
        // time field put a byte offset inside it, and slicing panicked.
        "2020091\u{37f}26144000-0-0",
        "\u{e9}0231114221320123-3-42",
    ] {
        let e = l.parse_friendly(bad).unwrap_err();
        assert!(
            matches!(e.code(), ErrorCode::InvalidEncoding | ErrorCode::NodeOutOfRange),
            "{bad}: {e}"
        );
    }
    // Sonyflake ticks are 10 ms: a time off the tick boundary is refused.
    let s = Layout::SONYFLAKE;
    let id = s.compose(1_700_000_000_120, 9, 1).unwrap();
    assert_eq!(s.parse_friendly(&s.friendly(id).unwrap().to_string()).unwrap(), id);
    assert_eq!(
        s.parse_friendly("20231114221320123-9-1").unwrap_err().code(),
        ErrorCode::InvalidEncoding
    );
}
