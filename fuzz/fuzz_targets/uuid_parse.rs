//! UUID parsing in every accepted form: never a panic; what parses formats
//! back to text that parses to the same UUID, in every form.
#![no_main]
use idloom::uuid::UuidFormat;
use idloom::Uuid;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let strict = Uuid::parse_standard(text);
    let Ok(u) = Uuid::parse(text) else {
        assert!(strict.is_err(), "the standard form parsed where the lenient one did not: {text:?}");
        return;
    };
    for form in [UuidFormat::Hyphenated, UuidFormat::Simple, UuidFormat::Urn, UuidFormat::Braced] {
        let again = u.format(form);
        assert_eq!(Uuid::parse(again.as_str()).unwrap(), u, "{text:?} as {form:?}");
    }
});
