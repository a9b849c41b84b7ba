//! [`TreeHash`] and [`Sha256Hash`]: 32-byte results, with hex in and out.

use core::fmt;
use core::str::FromStr;

/// A Glacier SHA-256 tree hash: 32 bytes.
///
/// `Display` writes 64 lowercase hex digits, the form Glacier's `x-amz-sha256-tree-hash`
/// header and the `checksum` of CompleteMultipartUpload expect. [`TreeHash::from_hex`] and
/// `FromStr` read 64 hex digits in either case and nothing else. `Debug` shows the hex too.
///
/// ```
/// use glacier_tree_hash::{tree_hash, TreeHash};
///
/// let hash = tree_hash(b"test");
/// let hex = hash.to_string();
/// assert_eq!(hex, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
/// assert_eq!(hex.to_uppercase().parse::<TreeHash>(), Ok(hash));
/// assert_eq!(TreeHash::from(*hash.as_bytes()), hash);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TreeHash([u8; 32]);

impl TreeHash {
    /// All zero bytes: a placeholder for unused stack slots, never a result.
    pub(crate) const ZERO: TreeHash = TreeHash([0; 32]);

    /// The 32 bytes of the hash.
    ///
    /// ```
    /// let hash = glacier_tree_hash::tree_hash(b"");
    /// assert_eq!(hash.as_bytes()[..4], [0xe3, 0xb0, 0xc4, 0x42]);
    /// ```
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses 64 hex digits, upper or lower case. Anything else (another length, whitespace,
    /// a sign, a `0x` prefix, non-ASCII) is refused with a [`HexError`] that says what and where.
    ///
    /// ```
    /// use glacier_tree_hash::{HexError, TreeHash};
    ///
    /// let hex = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
    /// assert_eq!(TreeHash::from_hex(hex)?, glacier_tree_hash::tree_hash(b""));
    /// assert_eq!(TreeHash::from_hex("abc"), Err(HexError::Length { found: 3 }));
    /// assert!(TreeHash::from_hex(&format!(" {}", &hex[1..])).is_err());
    /// # Ok::<(), HexError>(())
    /// ```
    ///
    /// # Errors
    /// [`HexError::Length`] if `hex` is not 64 bytes long, [`HexError::InvalidByte`] naming the
    /// first byte that is not a hex digit.
    pub fn from_hex(hex: impl AsRef<[u8]>) -> Result<TreeHash, HexError> {
        decode_hex(hex.as_ref()).map(TreeHash)
    }

    /// The 64 lowercase hex digits, without allocating (the same text as `Display`).
    ///
    /// ```
    /// let hash = glacier_tree_hash::tree_hash(b"bar");
    /// let hex = hash.to_hex();
    /// assert_eq!(hex.as_str(), hash.to_string());
    /// assert!(hex.starts_with("fcde2b2e")); // a `&str` through `Deref`
    /// ```
    #[must_use]
    pub fn to_hex(&self) -> HexDigits {
        HexDigits::of(&self.0)
    }
}

/// A plain (linear) SHA-256 of a whole body: what Glacier's `x-amz-content-sha256` header
/// carries. A different thing from a [`TreeHash`], so a different type; the same hex rules.
///
/// ```
/// use glacier_tree_hash::Sha256Hash;
///
/// let hash = Sha256Hash::of(b"");
/// assert_eq!(hash.to_string(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
/// assert_eq!(hash.to_string().parse::<Sha256Hash>(), Ok(hash));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Hash([u8; 32]);

impl Sha256Hash {
    /// SHA-256 of `data`, on the calling thread.
    ///
    /// ```
    /// let hash = glacier_tree_hash::Sha256Hash::of(b"test");
    /// assert!(hash.to_string().starts_with("9f86d081"));
    /// ```
    #[must_use]
    pub fn of(data: &[u8]) -> Sha256Hash {
        Sha256Hash(<sha2::Sha256 as sha2::Digest>::digest(data).into())
    }

    /// The 32 bytes of the hash.
    ///
    /// ```
    /// let hash = glacier_tree_hash::Sha256Hash::of(b"");
    /// assert_eq!(hash.as_bytes()[0], 0xe3);
    /// ```
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses 64 hex digits in either case, like [`TreeHash::from_hex`].
    ///
    /// ```
    /// use glacier_tree_hash::Sha256Hash;
    ///
    /// assert!(Sha256Hash::from_hex("e3b0").is_err());
    /// ```
    ///
    /// # Errors
    /// As [`TreeHash::from_hex`].
    pub fn from_hex(hex: impl AsRef<[u8]>) -> Result<Sha256Hash, HexError> {
        decode_hex(hex.as_ref()).map(Sha256Hash)
    }

    /// The 64 lowercase hex digits, without allocating (the same text as `Display`).
    ///
    /// ```
    /// let hash = glacier_tree_hash::Sha256Hash::of(b"bar");
    /// assert_eq!(hash.to_hex().as_str(), hash.to_string());
    /// ```
    #[must_use]
    pub fn to_hex(&self) -> HexDigits {
        HexDigits::of(&self.0)
    }
}

/// The traits both 32-byte hash types share: conversions, `FromStr`, and hex `Display`/`Debug`.
macro_rules! hash_traits {
    ($type:ident) => {
        impl From<[u8; 32]> for $type {
            fn from(bytes: [u8; 32]) -> $type {
                $type(bytes)
            }
        }

        impl From<$type> for [u8; 32] {
            fn from(hash: $type) -> [u8; 32] {
                hash.0
            }
        }

        /// The 64 lowercase hex digits: what the AWS SDK builders (`impl Into<String>`) take.
        #[cfg(feature = "std")]
        impl From<$type> for String {
            fn from(hash: $type) -> String {
                String::from(hash.to_hex().as_str())
            }
        }

        impl AsRef<[u8]> for $type {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl FromStr for $type {
            type Err = HexError;

            fn from_str(hex: &str) -> Result<$type, HexError> {
                $type::from_hex(hex)
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.to_hex().as_str())
            }
        }

        impl fmt::Debug for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($type), "({})"), self)
            }
        }
    };
}

hash_traits!(TreeHash);
hash_traits!(Sha256Hash);

/// 32 bytes from exactly 64 hex digits of either case, through the `hex` crate.
fn decode_hex(hex: &[u8]) -> Result<[u8; 32], HexError> {
    if hex.len() != 64 {
        return Err(HexError::Length { found: hex.len() });
    }
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex, &mut bytes).map_err(|error| match error {
        // `hex` reports the offending byte as a `char` of the same value.
        hex::FromHexError::InvalidHexCharacter { index, .. } => HexError::InvalidByte {
            byte: hex[index],
            index,
        },
        hex::FromHexError::OddLength | hex::FromHexError::InvalidStringLength => {
            HexError::Length { found: hex.len() }
        }
    })?;
    Ok(bytes)
}

/// The 64 lowercase hex digits of a hash, on the stack: `as_str()`, or any `str` method through
/// `Deref`. What [`TreeHash::to_hex`] and [`Sha256Hash::to_hex`] return.
///
/// ```
/// let hex = glacier_tree_hash::tree_hash(b"").to_hex();
/// assert_eq!(hex.len(), 64);
/// assert_eq!(&hex[..8], "e3b0c442");
/// let text: &str = &hex;
/// assert!(text.ends_with("b855"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HexDigits([u8; 64]);

impl HexDigits {
    fn of(bytes: &[u8; 32]) -> HexDigits {
        let mut digits = [0u8; 64];
        // The lengths match (32 bytes, 64 digits), so this cannot fail.
        let _ = hex::encode_to_slice(bytes, &mut digits);
        HexDigits(digits)
    }

    /// The digits as a `&str`.
    ///
    /// ```
    /// let hash = glacier_tree_hash::tree_hash(b"test");
    /// assert_eq!(hash.to_hex().as_str(), hash.to_string());
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Hex digits are ASCII; the fallback is never taken.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl core::ops::Deref for HexDigits {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for HexDigits {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for HexDigits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for HexDigits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Why a string is not a hash in hex (64 hex digits).
///
/// ```
/// use glacier_tree_hash::{HexError, TreeHash};
///
/// let error = "e3b0c442".parse::<TreeHash>().unwrap_err();
/// assert_eq!(error, HexError::Length { found: 8 });
/// assert_eq!(error.to_string(), "a hash is 64 hex digits, but the input is 8 bytes long");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HexError {
    /// The input is not 64 bytes long.
    Length {
        /// The length found, in bytes.
        found: usize,
    },
    /// The byte at `index` is not a hex digit (whitespace, punctuation, a letter past `f`, or
    /// part of a non-ASCII character).
    InvalidByte {
        /// The offending byte.
        byte: u8,
        /// Its offset in the input, from 0.
        index: usize,
    },
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            HexError::Length { found } => write!(
                f,
                "a hash is 64 hex digits, but the input is {found} bytes long"
            ),
            HexError::InvalidByte { byte, index } if byte.is_ascii_graphic() => write!(
                f,
                "a hash is 64 hex digits, but byte {index} is {:?}",
                char::from(byte)
            ),
            HexError::InvalidByte { byte, index } => write!(
                f,
                "a hash is 64 hex digits, but byte {index} is 0x{byte:02x}{}",
                if byte.is_ascii() {
                    " (not printable)"
                } else {
                    " (not ASCII)"
                }
            ),
        }
    }
}

impl core::error::Error for HexError {}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn hex_round_trips_in_either_case() {
        let hash = TreeHash::from_hex(EMPTY).unwrap();
        assert_eq!(hash.as_bytes()[0], 0xe3);
        assert_eq!(hash.as_bytes()[31], 0x55);
        assert_eq!(TreeHash::from_hex(EMPTY.to_uppercase()), Ok(hash));
        assert_eq!(hash.to_hex().as_str(), EMPTY);
        #[cfg(feature = "std")]
        assert_eq!(String::from(hash), EMPTY);
    }

    #[test]
    fn refuses_wrong_lengths() {
        for len in [0, 1, 63, 65, 128] {
            let input: Vec<u8> = EMPTY.bytes().cycle().take(len).collect();
            assert_eq!(
                TreeHash::from_hex(&input),
                Err(HexError::Length { found: len })
            );
        }
    }

    #[test]
    fn refuses_non_hex_bytes_and_names_them() {
        for (index, bad) in [(0, b' '), (17, b'g'), (63, b'\n'), (5, 0xc3), (40, b'x')] {
            let mut input = EMPTY.as_bytes().to_vec();
            input[index] = bad;
            assert_eq!(
                TreeHash::from_hex(&input),
                Err(HexError::InvalidByte { byte: bad, index })
            );
        }
        let message = TreeHash::from_hex(format!("{}é", &EMPTY[..62]))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("byte 62") && message.contains("not ASCII"),
            "{message}"
        );
    }

    #[test]
    fn debug_shows_hex() {
        let hash = TreeHash::from_hex(EMPTY).unwrap();
        assert_eq!(format!("{hash:?}"), format!("TreeHash({EMPTY})"));
    }
}
