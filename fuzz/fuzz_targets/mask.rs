//! Masked IDs: either version, any width, key and value — never a panic; unmask inverts mask
//! on every value in range, and out-of-range values are typed errors.
#![no_main]
use idloom::mask::{Mask, MaskVersion};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 25 {
        return;
    }
    let bits = u32::from(data[0] & 0x7f);
    let version = if data[0] & 0x80 == 0 { MaskVersion::V2 } else { MaskVersion::V1 };
    let key: [u8; 16] = data[1..17].try_into().unwrap();
    let value = u64::from_le_bytes(data[17..25].try_into().unwrap());
    let Ok(m) = Mask::with_version(version, bits, key) else { return };
    match m.mask(value) {
        Ok(masked) => assert_eq!(m.unmask(masked).unwrap(), value),
        Err(e) => assert!(value > m.max_value(), "{e}"),
    }
    let _ = m.unmask(value); // untrusted input: a result, never a panic
});
