//! One process at a time owns a data directory's embedded store. The owner holds an
//! exclusive lock on `<data_dir>/cairn.lock` and writes who it is into that file, so a second
//! process can say which process holds the directory (and, for a server, where it listens)
//! instead of failing on a locked collection half-way through its work.
//!
//! The lock is the operating system's (`flock`): it goes away with the process, even after
//! `kill -9`, so a stale file never blocks anyone.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

const FILE_NAME: &str = "cairn.lock";

/// Who holds a data directory, as written into its lock file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    /// The holder's command line, e.g. `cairn serve --bind 127.0.0.1:8080`.
    pub command: String,
    pub since: String,
    /// Where a `cairn serve` holder answers HTTP, once it listens.
    #[serde(default)]
    pub url: Option<String>,
}

/// The data directory is held by another process.
#[derive(Debug, thiserror::Error)]
#[error("{}", describe(.dir, .holder.as_ref()))]
pub struct Busy {
    pub dir: PathBuf,
    pub holder: Option<Holder>,
}

fn describe(dir: &Path, holder: Option<&Holder>) -> String {
    let who = match holder {
        Some(h) => {
            let serving = h
                .url
                .as_deref()
                .map(|u| format!(", serving {u}"))
                .unwrap_or_default();
            format!(
                "process {} (`{}`, since {}{serving})",
                h.pid, h.command, h.since
            )
        }
        None => "another process".to_owned(),
    };
    format!(
        "the data directory {} is in use by {who}: stop it first, or use another --data-dir",
        dir.display()
    )
}

/// The held lock; dropping it releases the directory.
#[derive(Debug)]
pub struct DataDirLock {
    file: File,
    holder: Holder,
}

impl DataDirLock {
    /// Takes the data directory for this process, or says who has it.
    pub fn acquire(data_dir: &Path) -> anyhow::Result<Result<Self, Busy>> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        let path = data_dir.join(FILE_NAME);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let holder = file
                    .read_to_string(&mut text)
                    .ok()
                    .and_then(|_| serde_json::from_str(&text).ok());
                return Ok(Err(Busy {
                    dir: data_dir.to_path_buf(),
                    holder,
                }));
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        let holder = Holder {
            pid: std::process::id(),
            command: command_line(),
            since: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            url: None,
        };
        let mut lock = Self { file, holder };
        lock.write()?;
        Ok(Ok(lock))
    }

    /// Takes the data directory or fails with the holder's name.
    pub fn acquire_or_fail(data_dir: &Path) -> anyhow::Result<Self> {
        Ok(Self::acquire(data_dir)??)
    }

    /// Records where this process serves HTTP, for commands that find the directory held.
    pub fn advertise(&mut self, url: String) -> anyhow::Result<()> {
        self.holder.url = Some(url);
        self.write()
    }

    fn write(&mut self) -> anyhow::Result<()> {
        let text = serde_json::to_string(&self.holder)?;
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(text.as_bytes())?;
        self.file.flush()?;
        Ok(())
    }
}

fn command_line() -> String {
    let mut args = std::env::args();
    let program = args
        .next()
        .map(|p| {
            Path::new(&p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(p)
        })
        .unwrap_or_else(|| "cairn".into());
    std::iter::once(program)
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_learns_who_has_the_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut first = DataDirLock::acquire_or_fail(dir.path()).expect("first");
        first
            .advertise("http://127.0.0.1:9".into())
            .expect("advertise");
        let busy = DataDirLock::acquire(dir.path())
            .expect("io")
            .expect_err("a second lock was granted");
        let holder = busy.holder.clone().expect("holder read");
        assert_eq!(holder.pid, std::process::id());
        assert_eq!(holder.url.as_deref(), Some("http://127.0.0.1:9"));
        let message = busy.to_string();
        assert!(message.contains("in use by process"), "{message}");
        drop(first);
        DataDirLock::acquire_or_fail(dir.path()).expect("released on drop");
    }
}
