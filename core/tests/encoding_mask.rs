//! Encodings (fixed width, order-preserving, strict) and masking.

use idloom::encoding::Encoding;
use idloom::mask::{Mask, MaskVersion, MIN_BITS_V2};
use idloom::ErrorCode;

#[test]
fn known_values() {
    assert_eq!(&*Encoding::Base62.encode_u64(u64::MAX), "LygHa16AHYF");
    assert_eq!(&*Encoding::Base36.encode_u64(u64::MAX), "3w5e11264sgsf");
    assert_eq!(&*Encoding::Base32.encode_u64(u64::MAX), "FZZZZZZZZZZZZ");
    assert_eq!(&*Encoding::Hex.encode_u64(255), "00000000000000ff");
    assert_eq!(&*Encoding::Base62.encode_u64(61), "0000000000z");
    assert_eq!(&*Encoding::Base32.encode_u128(u128::MAX), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
    assert_eq!(&*Encoding::Base62.encode_u128(u128::MAX), "7n42DGM5Tflk9n8mt7Fhc7");
}

#[test]
fn strict_decoding() {
    let e = Encoding::Base62.decode_u64("abc").unwrap_err();
    assert_eq!(
        (e.code(), e.to_string()),
        (ErrorCode::InvalidEncoding, "encoded length must be in 11..=11, got 3".into())
    );
    let e = Encoding::Base62.decode_u64("0000000000-").unwrap_err();
    assert_eq!(e.to_string(), "encoded length: symbol not in the alphabet at position 10");
    let e = Encoding::Base62.decode_u64("LygHa16AHYG").unwrap_err();
    assert_eq!(
        e.to_string(),
        "encoded length: value too large for the integer width at position 10"
    );
    assert_eq!(
        Encoding::Base32.decode_u64("G000000000000").unwrap_err().code(),
        ErrorCode::InvalidEncoding
    );
    assert_eq!(
        Encoding::Base36.decode_u64("3W5E11264SGSF").unwrap_err().code(),
        ErrorCode::InvalidEncoding
    );
    // Documented leniencies: hex upper case; Crockford lower case and I/L/O.
    assert_eq!(Encoding::Hex.decode_u64("00000000000000FF").unwrap(), 255);
    assert_eq!(Encoding::Base32.decode_u64("000000000000l").unwrap(), 1);
    assert_eq!(Encoding::Base32.decode_u64("00000000000o1").unwrap(), 1);
    assert_eq!(Encoding::from_name("base58").unwrap_err().code(), ErrorCode::InvalidArgument);
}

#[test]
fn mask_known_small_domain_is_a_permutation() {
    // Version 1 on widths it alone takes; version 2 on its narrowest (2^20 values).
    let v1 = [1u32, 2, 3, 7, 8, 11, 16].map(|b| Mask::with_version(MaskVersion::V1, b, *b"0123456789abcdef").unwrap());
    let v2 = [MIN_BITS_V2, 21].map(|b| Mask::new(b, *b"0123456789abcdef").unwrap());
    for m in v1.iter().chain(&v2) {
        let bits = m.bits();
        let mut seen = vec![false; 1 << bits];
        for v in 0..(1u64 << bits) {
            let x = m.mask(v).unwrap();
            assert!(!seen[x as usize], "bits {bits}: {v} -> {x} twice");
            seen[x as usize] = true;
            assert_eq!(m.unmask(x).unwrap(), v);
        }
    }
}

#[test]
fn mask_bounds() {
    assert_eq!(
        Mask::with_version(MaskVersion::V1, 0, [0; 16]).unwrap_err().to_string(),
        "bits must be in 1..=64, got 0"
    );
    // Version 2 (the default) refuses a domain below 10^6 values (NIST SP 800-38G).
    assert_eq!(Mask::new(19, [0; 16]).unwrap_err().to_string(), "bits must be in 20..=64, got 19");
    assert_eq!(Mask::new(65, [0; 16]).unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(
        MaskVersion::from_number(3).unwrap_err().to_string(),
        "version must be in 1..=2, got 3"
    );
    let m = Mask::with_version(MaskVersion::V1, 10, [0; 16]).unwrap();
    let e = m.mask(1024).unwrap_err();
    assert_eq!(
        (e.code(), e.to_string()),
        (ErrorCode::IdOutOfRange, "value must be in 0..=1023, got 1024".into())
    );
    let full = Mask::new(64, [5; 16]).unwrap();
    assert_eq!(full.unmask(full.mask(u64::MAX).unwrap()).unwrap(), u64::MAX);
}

#[test]
fn mask_v2_mixes_version_and_width_and_hides_its_key() {
    let key = *b"one key, 2 uses!";
    let (v1, v2) = (Mask::with_version(MaskVersion::V1, 40, key).unwrap(), Mask::new(40, key).unwrap());
    let (w40, w41) = (Mask::new(40, key).unwrap(), Mask::new(41, key).unwrap());
    let differ = |a: &Mask, b: &Mask| (0..1000u64).filter(|&v| a.mask(v).unwrap() == b.mask(v).unwrap()).count();
    assert_eq!(differ(&v1, &v2), 0, "version 2 is another permutation than version 1");
    assert_eq!(differ(&w40, &w41), 0, "each width its own permutation");
    let shown = format!("{v2:?}");
    assert!(shown.contains("<secret>") && !shown.contains("111"), "{shown}");
    let k1 = Mask::generate_key().unwrap();
    assert_ne!(k1, Mask::generate_key().unwrap());
    assert_eq!(v2.version(), MaskVersion::V2);
}

#[test]
fn mask_hides_order() {
    // Consecutive inputs land far apart: the masked values of 0..1000 are not sorted
    // and their mean is near the middle of the 63-bit space.
    let m = Mask::new(63, *b"secret-key-16byt").unwrap();
    let out: Vec<u64> = (0..1000).map(|v| m.mask(v).unwrap()).collect();
    assert!(!out.windows(2).all(|w| w[0] < w[1]));
    let mean = out.iter().map(|&v| v as f64).sum::<f64>() / 1000.0;
    assert!((mean / (1u64 << 62) as f64 - 1.0).abs() < 0.15, "mean {mean}");
}
