//! Progress for long runs: indicatif bars on a terminal, a plain log line every few seconds
//! otherwise (CI logs and pipes do not render bars).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Progress a caller can read while the run goes on (an upload job's status).
#[derive(Debug, Default)]
pub struct Watch {
    pub files_total: AtomicU64,
    pub files_done: AtomicU64,
    pub chunks: AtomicU64,
}

impl Watch {
    /// (files done, files in the run, chunks stored).
    pub fn read(&self) -> (u64, u64, u64) {
        (
            self.files_done.load(Ordering::Relaxed),
            self.files_total.load(Ordering::Relaxed),
            self.chunks.load(Ordering::Relaxed),
        )
    }
}

pub struct Progress {
    bar: Option<ProgressBar>,
    last_log: Mutex<Instant>,
    total: u64,
    watch: Option<Arc<Watch>>,
}

impl Progress {
    /// Progress over `total` files; bars only when stderr is a terminal and `enabled`.
    pub fn new(total: u64, enabled: bool, watch: Option<Arc<Watch>>) -> Self {
        if let Some(w) = &watch {
            w.files_total.store(total, Ordering::Relaxed);
        }
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} files  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Self {
            bar,
            last_log: Mutex::new(Instant::now()),
            total,
            watch,
        }
    }

    /// Records that `files` files are finished and `chunks` chunks are stored so far.
    pub fn update(&self, files: u64, chunks: u64) {
        if let Some(w) = &self.watch {
            w.files_done.store(files, Ordering::Relaxed);
            w.chunks.store(chunks, Ordering::Relaxed);
        }
        if let Some(bar) = &self.bar {
            bar.set_position(files);
            bar.set_message(format!("{chunks} chunks stored"));
            return;
        }
        let mut last = self.last_log.lock().unwrap_or_else(|p| p.into_inner());
        if last.elapsed() >= Duration::from_secs(5) {
            *last = Instant::now();
            tracing::info!(
                "ingest: {files}/{} files, {chunks} chunks stored",
                self.total
            );
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
