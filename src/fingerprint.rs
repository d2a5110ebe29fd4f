//! Short content hashes that name versions: the configuration hash recorded with every answer,
//! a variant's hash, a dataset's version. The same content always gives the same name.

use sha2::{Digest, Sha256};

/// The first 6 bytes of the SHA-256 of `text`, as 12 hex digits.
pub fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}
