//! Arbitrary text as a part size and as a byte range: no panic, and every accepted value
//! formats to text that parses back to the same value.
#![no_main]

use glacier_tree_hash::{ContentRange, PartSize, Sha256Hash};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(sha256) = Sha256Hash::from_hex(bytes) {
        assert_eq!(sha256.to_string().parse::<Sha256Hash>(), Ok(sha256));
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(size) = text.parse::<PartSize>() {
        assert_eq!(PartSize::new(size.bytes()), Ok(size));
        assert_eq!(size.to_string().parse::<PartSize>(), Ok(size));
        assert_eq!(size.bytes().to_string().parse::<PartSize>(), Ok(size));
    }
    if let Ok(range) = text.parse::<ContentRange>() {
        assert_eq!(range.to_string().parse::<ContentRange>(), Ok(range));
        let bytes = range.range();
        assert!(bytes.start < bytes.end);
    }
});
