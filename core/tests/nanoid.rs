//! NanoID: alphabets, sizes, bias and the byte mapping.

use idloom::nanoid::{nanoid, NanoId, URL_ALPHABET};
use idloom::{ErrorCode, ReplayBytes, SecureRng};

#[test]
fn default_maps_each_byte_through_the_url_alphabet() {
    let bytes: Vec<u8> = (0..21u32).map(|i| (i * 13) as u8).collect();
    let id = nanoid(&mut ReplayBytes::new(&bytes)).unwrap();
    let expected: String = bytes.iter().map(|b| URL_ALPHABET.as_bytes()[usize::from(b & 63)] as char).collect();
    assert_eq!(id, expected);
    assert_eq!(id.len(), 21);
    // The generator over the default alphabet gives the same answer.
    assert_eq!(NanoId::default_url().generate(&mut ReplayBytes::new(&bytes)).unwrap(), expected);
}

#[test]
fn custom_alphabets_reject_bytes_past_the_alphabet() {
    // 10 symbols: mask 15, bytes with (b & 15) >= 10 are skipped.
    let gen = NanoId::new("0123456789", 4).unwrap();
    let bytes = [
        0x0A, 0x13, 0xFF, 0x05, 0x0E, 0x29, 0x00, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    assert_eq!(gen.generate(&mut ReplayBytes::new(&bytes)).unwrap(), "3590");
}

#[test]
fn unicode_alphabets_work() {
    let gen = NanoId::new("αβγδ", 8).unwrap();
    let id = gen.generate(&mut SecureRng::from_seed([3; 32])).unwrap();
    assert_eq!(id.chars().count(), 8);
    assert!(id.chars().all(|c| "αβγδ".contains(c)));
}

#[test]
fn no_modulo_bias() {
    // 3 symbols over 300,000 draws: each within 1 % of a third.
    let gen = NanoId::new("abc", 1000).unwrap();
    let mut rng = SecureRng::from_seed([9; 32]);
    let mut counts = [0usize; 3];
    for _ in 0..300 {
        for b in gen.generate(&mut rng).unwrap().bytes() {
            counts[usize::from(b - b'a')] += 1;
        }
    }
    for c in counts {
        assert!((99_000..=101_000).contains(&c), "{counts:?}");
    }
}

#[test]
fn bad_alphabets_and_sizes() {
    let cases = [
        (
            NanoId::new("", 21),
            ErrorCode::InvalidAlphabet,
            "alphabet length must be in 2..=256, got 0",
        ),
        (
            NanoId::new("a", 21),
            ErrorCode::InvalidAlphabet,
            "alphabet length must be in 2..=256, got 1",
        ),
        (
            NanoId::new("abca", 21),
            ErrorCode::InvalidAlphabet,
            "alphabet: symbols must be distinct",
        ),
        (
            NanoId::new(&"x".repeat(257), 21),
            ErrorCode::InvalidAlphabet,
            "alphabet length must be in 2..=256, got 257",
        ),
        (NanoId::new("ab", 0), ErrorCode::InvalidArgument, "size must be in 1..=1024, got 0"),
        (
            NanoId::new("ab", 1025),
            ErrorCode::InvalidArgument,
            "size must be in 1..=1024, got 1025",
        ),
    ];
    for (r, code, msg) in cases {
        let e = r.unwrap_err();
        assert_eq!((e.code(), e.to_string().as_str()), (code, msg));
    }
    let all: String = (0u32..256).map(|i| char::from_u32(0x100 + i).unwrap()).collect();
    assert!(NanoId::new(&all, 5).is_ok(), "256 symbols are allowed");
}

#[test]
fn fill_ascii_writes_in_place() {
    let gen = NanoId::new("0123456789abcdef", 12).unwrap();
    let mut out = [0u8; 12];
    gen.fill_ascii(&mut SecureRng::from_seed([4; 32]), &mut out).unwrap();
    assert!(out.iter().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        NanoId::new("αβ", 3)
            .unwrap()
            .fill_ascii(&mut SecureRng::from_seed([4; 32]), &mut out)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidAlphabet
    );
}

#[test]
fn batches_equal_one_id_at_a_time_from_the_same_bytes() {
    let bytes: Vec<u8> = (0..40_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    for (alphabet, size) in [
        (idloom::nanoid::URL_ALPHABET, 21),
        ("0123456789abcdef", 12),
        ("0123456789", 7),
        ("ab", 1),
    ] {
        let gen = idloom::nanoid::NanoId::new(alphabet, size).unwrap();
        let mut one = vec![0u8; size * 50];
        let mut replay = idloom::ReplayBytes::new(&bytes);
        for chunk in one.chunks_exact_mut(size) {
            gen.fill_ascii(&mut replay, chunk).unwrap();
        }
        let mut batch = vec![0u8; size * 50];
        gen.fill_ascii_batch(&mut idloom::ReplayBytes::new(&bytes), &mut batch).unwrap();
        assert_eq!(one, batch, "{alphabet} {size}");
    }
    let gen = idloom::nanoid::NanoId::new("abc", 4).unwrap();
    assert_eq!(
        gen.fill_ascii_batch(&mut idloom::ReplayBytes::new(&bytes), &mut [0u8; 6])
            .unwrap_err()
            .code(),
        idloom::ErrorCode::InvalidArgument
    );
}
