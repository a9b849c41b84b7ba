//! Arbitrary bytes as a hex tree hash: no panic; accepted exactly when they are 64 hex digits;
//! every accepted value formats to the lowercase input and parses back to itself.
#![no_main]

use glacier_tree_hash::{HexError, TreeHash};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let is_hash = bytes.len() == 64 && bytes.iter().all(u8::is_ascii_hexdigit);
    match TreeHash::from_hex(bytes) {
        Ok(hash) => {
            assert!(is_hash, "accepted {bytes:?}");
            let text = hash.to_string();
            assert_eq!(text.as_bytes(), bytes.to_ascii_lowercase().as_slice());
            assert_eq!(text.parse::<TreeHash>(), Ok(hash));
        }
        Err(HexError::Length { found }) => {
            assert!(!is_hash);
            assert_eq!(found, bytes.len());
        }
        Err(HexError::InvalidByte { byte, index }) => {
            assert!(!is_hash);
            assert_eq!(bytes[index], byte);
            assert!(!byte.is_ascii_hexdigit());
            assert!(bytes[..index].iter().all(u8::is_ascii_hexdigit));
        }
        Err(other) => panic!("an error this target does not know: {other:?}"),
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        assert_eq!(text.parse::<TreeHash>(), TreeHash::from_hex(bytes));
    }
});
