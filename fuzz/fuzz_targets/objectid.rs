//! ObjectId parsing: never a panic; what parses prints to hex that parses
//! to the same ObjectId.
#![no_main]
use idloom::objectid::ObjectId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(oid) = ObjectId::parse(text) {
        assert_eq!(ObjectId::parse(&oid.to_string()).unwrap(), oid);
    }
});
