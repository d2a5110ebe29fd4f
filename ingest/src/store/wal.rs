//! Truncating the embedded store's write-ahead log.
//!
//! qdrant-edge 0.7.0 appends every update to a WAL but never truncates it and never reads it
//! back (its segments are flushed instead, on close and after each ingest run), so every run
//! adds to it for good: 96 MB after the 33k chunks of the Python documentation, all of it read
//! into memory when the collection opens. Qdrant's server truncates its WAL once operations
//! are flushed, keeping the newest closed segment (the open one continues its numbering); cairn
//! does the same each time it opens a collection, and makes new collections' segments small
//! (`WAL_SEGMENT_BYTES` in `edge.rs`) so that what is kept is small too.

use std::fs::{self, File};
use std::path::Path;

/// Deletes every closed WAL segment of the shard in `dir` but the newest. Does nothing while
/// another process has the shard open (it holds the WAL's lock). Returns the bytes freed.
pub fn truncate(dir: &Path) -> u64 {
    let wal = dir.join("wal");
    let Ok(lock) = File::open(&wal) else {
        return 0;
    };
    if lock.try_lock().is_err() {
        return 0;
    }
    let Ok(entries) = fs::read_dir(&wal) else {
        return 0;
    };
    // "closed-N": N is the segment's first operation, so the newest has the largest.
    let mut closed: Vec<(u64, std::path::PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let first = name.to_str()?.strip_prefix("closed-")?.parse().ok()?;
            Some((first, e.path()))
        })
        .collect();
    closed.sort();
    closed.pop();
    let mut freed = 0;
    for (_, path) in closed {
        let size = fs::metadata(&path).map_or(0, |m| m.len());
        match fs::remove_file(&path) {
            Ok(()) => freed += size,
            Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot truncate the WAL"),
        }
    }
    freed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_closed_segment_and_the_open_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("wal");
        fs::create_dir(&wal).unwrap();
        for name in ["closed-0", "closed-65", "closed-34", "open-4", "open-5"] {
            fs::write(wal.join(name), b"1234").unwrap();
        }
        assert_eq!(truncate(dir.path()), 8);
        let mut left: Vec<String> = fs::read_dir(&wal)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["closed-65", "open-4", "open-5"]);
        // Nothing to do the second time, nor without a WAL.
        assert_eq!(truncate(dir.path()), 0);
        assert_eq!(truncate(&dir.path().join("missing")), 0);
    }
}
