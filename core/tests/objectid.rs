//! MongoDB ObjectIds: layout, hex form, strict parsing, counter wrap.

use idloom::objectid::{ObjectId, ObjectIdGenerator, COUNTER_MASK};
use idloom::ErrorCode;

#[test]
fn layout_and_hex_round_trip() {
    // MongoDB's documented example: 507f1f77bcf86cd799439011.
    let id = ObjectId::parse("507f1f77bcf86cd799439011").unwrap();
    assert_eq!(id.seconds(), 0x507f1f77);
    assert_eq!(id.process(), [0xbc, 0xf8, 0x6c, 0xd7, 0x99]);
    assert_eq!(id.counter(), 0x439011);
    assert_eq!(id.to_string(), "507f1f77bcf86cd799439011");
    assert_eq!(ObjectId::from_parts(0x507f1f77, [0xbc, 0xf8, 0x6c, 0xd7, 0x99], 0x439011), id);
    assert_eq!(ObjectId::parse("507F1F77BCF86CD799439011").unwrap(), id, "either case");
    assert_eq!(id.timestamp_ms(), 0x507f1f77 * 1000);
}

#[test]
fn parsing_is_strict() {
    let e = ObjectId::parse("507f1f77bcf86cd79943901").unwrap_err();
    assert_eq!(
        (e.code(), e.to_string().as_str()),
        (ErrorCode::InvalidEncoding, "object_id length must be in 24..=24, got 23")
    );
    let e = ObjectId::parse("507f1f77bcf86cd79943901g").unwrap_err();
    assert_eq!(e.to_string(), "object_id: expected a hex digit at position 23");
}

#[test]
fn the_counter_wraps_and_ids_sort_by_second() {
    let mut g = ObjectIdGenerator::new([1, 2, 3, 4, 5], COUNTER_MASK);
    let a = g.next_at(1_000).unwrap();
    let b = g.next_at(1_999).unwrap();
    assert_eq!((a.counter(), b.counter()), (COUNTER_MASK, 0), "wraps at 2^24");
    let c = g.next_at(2_000).unwrap();
    assert!(c > a && c > b, "a later second sorts after");
    assert_eq!(
        g.next_at(u64::from(u32::MAX) * 1000 + 1000).unwrap_err().code(),
        ErrorCode::TimestampOutOfRange
    );
}

#[test]
fn a_binding_argument_names_itself_in_errors() {
    use idloom::objectid::ObjectId;
    let e = ObjectId::parse_param("507f", "hex", "hex length").unwrap_err();
    assert_eq!(
        (e.code(), e.to_string().as_str()),
        (idloom::ErrorCode::InvalidEncoding, "hex length must be in 24..=24, got 4")
    );
    let e = ObjectId::parse_param("507f1f77bcf86cd79943901g", "hex", "hex length").unwrap_err();
    assert_eq!((e.code(), e.param()), (idloom::ErrorCode::InvalidEncoding, Some("hex")));
    let e = ObjectId::from_slice(&[0; 11], "data length").unwrap_err();
    assert_eq!((e.code(), e.param()), (idloom::ErrorCode::InvalidEncoding, Some("data length")));
    assert_eq!(
        ObjectId::from_slice(&[7; 12], "data length").unwrap(),
        ObjectId::from_bytes([7; 12])
    );
}
