//! Short content hashes that name versions: the configuration hash recorded with every answer,
//! a variant's hash, a dataset's version. The same content always gives the same name.

use sha2::{Digest, Sha256};

/// The first 6 bytes of the SHA-256 of `text`, as 12 hex digits.
pub fn short_hash(text: &str) -> String {
    short_hash_bytes(text.as_bytes())
}

/// Like [`short_hash`], of bytes.
pub fn short_hash_bytes(bytes: &[u8]) -> String {
    sha256_hex(bytes)[..12].to_owned()
}

/// The SHA-256 of `bytes` as 64 hex digits (as `sha256sum` prints it).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
