//! `nanoid.json`: NanoIDs from given random bytes.

use super::json::{err, filler, hex};
use idloom::nanoid::NanoId;
use idloom::ReplayBytes;
use serde_json::{json, Value};

pub fn nanoids() -> Value {
    let specs: [(&str, usize); 6] = [
        (idloom::nanoid::URL_ALPHABET, 21),
        ("0123456789", 12),
        ("0123456789abcdef", 16),
        ("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 10),
        ("abc", 30),
        ("αβγδεζηθικ", 8),
    ];
    let mut cases = vec![];
    for (i, (alphabet, size)) in specs.iter().enumerate() {
        let bytes = filler(7 + i as u64, 512);
        let mut src = ReplayBytes::new(&bytes);
        let id = NanoId::new(alphabet, *size).unwrap().generate(&mut src).unwrap();
        cases.push(json!({"alphabet": alphabet, "size": size, "random": hex(&bytes[..src.used()]), "id": id}));
    }
    let default_bytes = filler(1, 21);
    let default_id = idloom::nanoid::nanoid(&mut ReplayBytes::new(&default_bytes)).unwrap();
    let invalid: Vec<Value> = [("", 21usize), ("a", 21), ("abca", 21), ("ab", 0), ("ab", 1025)]
        .iter()
        .map(|(a, s)| json!({"alphabet": a, "size": s, "expect": err(NanoId::new(a, *s).unwrap_err())}))
        .chain(std::iter::once(
            json!({"alphabet": "x".repeat(257), "size": 21, "expect": {"error": "invalid_alphabet"}}),
        ))
        .collect();
    json!({
        "_comment": "NanoID from given random bytes (hex, consumed in order; exactly the bytes listed are used). Power-of-two alphabets take one byte per symbol (byte & (n-1)); others draw chunks of ceil(1.6*mask*size/n) bytes and keep bytes whose (byte & mask) < n. default: the 21-symbol URL-alphabet nanoid().",
        "default": {"random": hex(&default_bytes), "id": default_id},
        "cases": cases,
        "invalid": invalid,
    })
}
