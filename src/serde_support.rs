//! `serde` support (feature `serde`): a [`TreeHash`] is its 64 hex digits, lowercase when
//! written, either case when read.

use crate::TreeHash;
use core::fmt;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

impl Serialize for TreeHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let hex = self.to_hex();
        // `to_hex` writes only ASCII.
        serializer.serialize_str(core::str::from_utf8(&hex).map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> Deserialize<'de> for TreeHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TreeHash, D::Error> {
        deserializer.deserialize_str(HexVisitor)
    }
}

struct HexVisitor;

impl Visitor<'_> for HexVisitor {
    type Value = TreeHash;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a hash: 64 hex digits")
    }

    fn visit_str<E: de::Error>(self, hex: &str) -> Result<TreeHash, E> {
        TreeHash::from_hex(hex).map_err(E::custom)
    }

    fn visit_bytes<E: de::Error>(self, hex: &[u8]) -> Result<TreeHash, E> {
        TreeHash::from_hex(hex).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use crate::{tree_hash, TreeHash};

    #[test]
    fn a_tree_hash_is_a_hex_string() {
        let hash = tree_hash(b"test");
        let json = serde_json::to_string(&hash).unwrap();
        assert_eq!(
            json,
            "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\""
        );
        assert_eq!(serde_json::from_str::<TreeHash>(&json).unwrap(), hash);
        assert_eq!(
            serde_json::from_str::<TreeHash>(&json.to_uppercase()).unwrap(),
            hash
        );
    }

    #[test]
    fn bad_hex_is_refused_with_the_reason() {
        let error = serde_json::from_str::<TreeHash>("\"abc\"").unwrap_err();
        assert!(error.to_string().contains("3 bytes long"), "{error}");
        let error = serde_json::from_str::<TreeHash>("42").unwrap_err();
        assert!(error.to_string().contains("64 hex digits"), "{error}");
    }
}
