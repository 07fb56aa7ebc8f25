//! The friendly form (`yyyyMMddHHmmssSSS-node-sequence`) on every preset
//! layout: never a panic; what parses is an ID whose friendly form parses
//! back to it.
#![no_main]
use idloom::Layout;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for (_, layout) in Layout::PRESETS {
        if let Ok(id) = layout.parse_friendly(text) {
            let again = layout.friendly(id).unwrap().to_string();
            assert_eq!(layout.parse_friendly(&again).unwrap(), id, "{text:?} -> {again:?}");
        }
    }
});
