//! The SQLite files cairn keeps in the data directory (the answer log, datasets and evaluation
//! runs), opened and used the same way: WAL journal with `synchronous = FULL`, so a commit is on
//! disk before the call returns and readers never wait for the writer; times as fixed-width UTC
//! text, so that text order is time order in SQL.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;

/// A SQLite file could not be opened, read or written, or holds a record cairn cannot read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StorageError(pub String);

/// One connection, shared behind a lock.
pub struct Db(Mutex<Connection>);

impl Db {
    /// Opens (or creates) `file` in `data_dir` and runs `schema` (idempotent statements).
    pub fn open(data_dir: &Path, file: &str, schema: &str) -> Result<Self, StorageError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StorageError(format!("cannot create {}: {e}", data_dir.display())))?;
        let path = data_dir.join(file);
        let c = Connection::open(&path)
            .map_err(|e| StorageError(format!("cannot open {}: {e}", path.display())))?;
        c.pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| c.pragma_update(None, "synchronous", "FULL"))
            .and_then(|_| c.pragma_update(None, "foreign_keys", "ON"))
            .and_then(|_| c.busy_timeout(std::time::Duration::from_secs(5)))
            .and_then(|_| c.execute_batch(schema))
            .map_err(storage)?;
        Ok(Self(Mutex::new(c)))
    }

    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (it has its own
        // transactions), so a poisoned lock is still usable.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_time(text: &str) -> Result<DateTime<Utc>, StorageError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StorageError(format!("bad time {text:?} in the log: {e}")))
}

/// A value stored as JSON text.
pub fn json<T: serde::Serialize>(value: &T) -> Result<String, StorageError> {
    serde_json::to_string(value).map_err(|e| StorageError(e.to_string()))
}

/// A value read back from JSON text.
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError(format!("unreadable record: {e}")))
}

pub fn storage(e: rusqlite::Error) -> StorageError {
    StorageError(e.to_string())
}

/// A unit enum stored as its serde name ("up", "wrong").
pub fn to_text<T: serde::Serialize>(value: T) -> Result<String, StorageError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        other => Err(StorageError(format!("cannot store {other:?}"))),
    }
}

/// A unit enum read back from its serde name.
pub fn from_text<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StorageError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| StorageError(format!("bad value {text:?} in the log: {e}")))
}
