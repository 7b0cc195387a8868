//! Identifiers and secrets, injected: production draws from the OS, tests from a seed.

use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::domain::photo::PhotoId;
use crate::domain::tracking_id::TrackingId;

/// The operating system's random source failed (never expected on Lambda).
#[derive(Debug, thiserror::Error)]
#[error("random source unavailable: {0}")]
pub struct RandomError(String);

/// Makes new tracking ids and reporter tokens.
pub trait IdGenerator: Send + Sync {
    /// `n` random bytes.
    fn random_bytes(&self, n: usize) -> Result<Vec<u8>, RandomError>;

    /// A fresh random tracking id.
    fn tracking_id(&self) -> Result<TrackingId, RandomError> {
        loop {
            // 16 bytes leave ample room for the rejection sampling in from_random_bytes.
            if let Some(id) = TrackingId::from_random_bytes(&self.random_bytes(16)?) {
                return Ok(id);
            }
        }
    }

    /// A fresh random photo id.
    fn photo_id(&self) -> Result<PhotoId, RandomError> {
        loop {
            // 24 bytes for 12 symbols: 1 in 16 bytes is rejected, so short runs are rare.
            if let Some(id) = PhotoId::from_random_bytes(&self.random_bytes(24)?) {
                return Ok(id);
            }
        }
    }

    /// A reporter's secret token: 128 bits, hex.
    fn secret_token(&self) -> Result<String, RandomError> {
        Ok(hex::encode(self.random_bytes(16)?))
    }
}

/// Random bytes from the operating system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl IdGenerator for OsRandom {
    fn random_bytes(&self, n: usize) -> Result<Vec<u8>, RandomError> {
        let mut buf = vec![0; n];
        getrandom::fill(&mut buf).map_err(|e| RandomError(e.to_string()))?;
        Ok(buf)
    }
}

/// Deterministic bytes from a seed and a counter, for reproducible tests.
#[derive(Debug)]
pub struct SeededIds {
    seed: u64,
    counter: AtomicU64,
}

impl SeededIds {
    /// A generator whose output depends only on `seed` and call order.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            counter: AtomicU64::new(0),
        }
    }
}

impl IdGenerator for SeededIds {
    fn random_bytes(&self, n: usize) -> Result<Vec<u8>, RandomError> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let count = self.counter.fetch_add(1, Ordering::Relaxed);
            let block = Sha256::new()
                .chain_update(self.seed.to_le_bytes())
                .chain_update(count.to_le_bytes())
                .finalize();
            out.extend_from_slice(&block);
        }
        out.truncate(n);
        Ok(out)
    }
}

/// SHA-256 of text, hex: for storing tokens and hashing payloads.
pub fn sha256_hex(data: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(data.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_are_reproducible_and_distinct() {
        let a = SeededIds::new(7);
        let b = SeededIds::new(7);
        let first = a.tracking_id().unwrap();
        assert_eq!(first, b.tracking_id().unwrap());
        assert_ne!(first, a.tracking_id().unwrap());
    }

    #[test]
    fn keyed_hashes_depend_on_the_key_and_hide_the_number() {
        use crate::domain::signature::HmacKey;
        let keyed = |key: &[u8]| HmacKey::new("test", key).unwrap().hex("+6281234567890");
        let a = keyed(b"key-1");
        assert_eq!(a, keyed(b"key-1"));
        assert_ne!(a, keyed(b"key-2"));
        assert_ne!(a, sha256_hex("+6281234567890"));
        assert!(!a.contains("81234567890"));
    }

    #[test]
    fn os_tokens_are_32_hex_chars() {
        let t = OsRandom.secret_token().unwrap();
        assert_eq!(t.len(), 32);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(t, OsRandom.secret_token().unwrap());
    }
}
