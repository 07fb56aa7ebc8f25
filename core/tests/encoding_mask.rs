//! Encodings (fixed width, order-preserving, strict) and masking.

use idloom::encoding::Encoding;
use idloom::mask::Mask;
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
    for bits in [1u32, 2, 3, 7, 8, 11, 16] {
        let m = Mask::new(bits, *b"0123456789abcdef").unwrap();
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
        Mask::new(0, [0; 16]).unwrap_err().to_string(),
        "bits must be in 0..=64, got 0".replace("0..", "1..")
    );
    assert_eq!(Mask::new(65, [0; 16]).unwrap_err().code(), ErrorCode::InvalidArgument);
    let m = Mask::new(10, [0; 16]).unwrap();
    let e = m.mask(1024).unwrap_err();
    assert_eq!(
        (e.code(), e.to_string()),
        (ErrorCode::IdOutOfRange, "value must be in 0..=1023, got 1024".into())
    );
    let full = Mask::new(64, [5; 16]).unwrap();
    assert_eq!(full.unmask(full.mask(u64::MAX).unwrap()).unwrap(), u64::MAX);
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
