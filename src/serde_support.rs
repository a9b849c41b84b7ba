//! `serde` support (feature `serde`): a [`TreeHash`] or [`Sha256Hash`] is its 64 hex digits,
//! lowercase when written, either case when read; a [`PartSize`] is its number of bytes.

use crate::{PartSize, Sha256Hash, TreeHash};
use core::fmt;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

/// `Serialize` and `Deserialize` as a hex string, for both 32-byte hash types.
macro_rules! hex_serde {
    ($type:ident) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.to_hex().as_str())
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$type, D::Error> {
                struct HexVisitor;

                impl Visitor<'_> for HexVisitor {
                    type Value = $type;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a hash: 64 hex digits")
                    }

                    fn visit_str<E: de::Error>(self, hex: &str) -> Result<$type, E> {
                        $type::from_hex(hex).map_err(E::custom)
                    }

                    fn visit_bytes<E: de::Error>(self, hex: &[u8]) -> Result<$type, E> {
                        $type::from_hex(hex).map_err(E::custom)
                    }
                }

                deserializer.deserialize_str(HexVisitor)
            }
        }
    };
}

hex_serde!(TreeHash);
hex_serde!(Sha256Hash);

impl Serialize for PartSize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.bytes())
    }
}

impl<'de> Deserialize<'de> for PartSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PartSize, D::Error> {
        PartSize::new(u64::deserialize(deserializer)?).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use crate::{PartSize, Sha256Hash, TreeHash, tree_hash};

    #[test]
    fn hashes_are_hex_strings() {
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
        let sha = Sha256Hash::of(b"test");
        assert_eq!(serde_json::to_string(&sha).unwrap(), json);
        assert_eq!(serde_json::from_str::<Sha256Hash>(&json).unwrap(), sha);
    }

    #[test]
    fn bad_hex_is_refused_with_the_reason() {
        let error = serde_json::from_str::<TreeHash>("\"abc\"").unwrap_err();
        assert!(error.to_string().contains("3 bytes long"), "{error}");
        let error = serde_json::from_str::<Sha256Hash>("42").unwrap_err();
        assert!(error.to_string().contains("64 hex digits"), "{error}");
    }

    #[test]
    fn part_sizes_are_numbers_of_bytes() {
        let size = PartSize::new(8 << 20).unwrap();
        assert_eq!(serde_json::to_string(&size).unwrap(), "8388608");
        assert_eq!(serde_json::from_str::<PartSize>("8388608").unwrap(), size);
        let error = serde_json::from_str::<PartSize>("3145728").unwrap_err();
        assert!(error.to_string().contains("power of two"), "{error}");
        assert!(serde_json::from_str::<PartSize>("\"8MiB\"").is_err());
        assert!(serde_json::from_str::<PartSize>("-1").is_err());
    }
}
