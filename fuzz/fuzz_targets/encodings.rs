//! Every encoding's decoders (64 and 128 bits): never a panic; a decoded
//! value encodes to text that decodes to the same value.
#![no_main]
use idloom::encoding::Encoding;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for (_, enc) in Encoding::ALL {
        if let Ok(v) = enc.decode_u64(text) {
            assert_eq!(enc.decode_u64(enc.encode_u64(v).as_str()).unwrap(), v);
        }
        if let Ok(v) = enc.decode_u128(text) {
            assert_eq!(enc.decode_u128(enc.encode_u128(v).as_str()).unwrap(), v);
        }
    }
});
