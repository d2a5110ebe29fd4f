//! One writer at a time per collection: an ingest, a create and a delete of the same
//! collection run one after another, so a delete never removes files under a running ingest.
//! Searches and questions take no lock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

use cairn_ingest::domain::CollectionName;

#[derive(Default)]
pub struct CollectionLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl CollectionLocks {
    /// Waits for the collection's writer lock; it is released when the guard drops.
    pub async fn write(&self, name: &CollectionName) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            // Forget locks nobody holds or waits for, so the map stays as small as the set of
            // collections being written.
            locks.retain(|_, l| Arc::strong_count(l) > 1);
            locks.entry(name.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }
}
