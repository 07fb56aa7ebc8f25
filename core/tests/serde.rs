//! Serde round trips of the plain data types (run with `--features serde`).
#![cfg(feature = "serde")]

use idloom::segment::{Range, SegmentConfig};
use idloom::{Layout, Policy, Uuid};

#[test]
fn data_types_round_trip_and_layouts_revalidate() {
    let l: Layout = serde_json::from_str(&serde_json::to_string(&Layout::SONYFLAKE).unwrap()).unwrap();
    assert_eq!(l, Layout::SONYFLAKE);
    let bad = r#"{"time_bits":60,"node_bits":10,"sequence_bits":12,"epoch_ms":0,"tick_ms":1,"order":"time_node_sequence"}"#;
    let err = serde_json::from_str::<Layout>(bad).unwrap_err().to_string();
    assert!(err.contains("time_bits + node_bits + sequence_bits must be in 2..=63"), "{err}");
    let u = Uuid::parse("017f22e2-79b0-7cc3-98c4-dc0c0c07398f").unwrap();
    assert_eq!(serde_json::to_string(&u).unwrap(), "\"017f22e2-79b0-7cc3-98c4-dc0c0c07398f\"");
    assert_eq!(serde_json::from_str::<Uuid>("\"017F22E279B07CC398C4DC0C0C07398F\"").unwrap(), u);
    let p: Policy = serde_json::from_str(&serde_json::to_string(&Policy::default()).unwrap()).unwrap();
    assert_eq!(p, Policy::default());
    let c: SegmentConfig = serde_json::from_str(&serde_json::to_string(&SegmentConfig::default()).unwrap()).unwrap();
    assert_eq!(c, SegmentConfig::default());
    let r: Range = serde_json::from_str(r#"{"start":1,"end":5}"#).unwrap();
    assert_eq!(r.len(), 4);
}
