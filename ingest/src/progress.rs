//! Progress for long runs: indicatif bars on a terminal, a plain log line every few seconds
//! otherwise (CI logs and pipes do not render bars).

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    last_log: Mutex<Instant>,
    total: u64,
}

impl Progress {
    /// Progress over `total` files; bars only when stderr is a terminal and `enabled`.
    pub fn new(total: u64, enabled: bool) -> Self {
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
        }
    }

    /// Records that `files` files are finished and `chunks` chunks are stored so far.
    pub fn update(&self, files: u64, chunks: u64) {
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
