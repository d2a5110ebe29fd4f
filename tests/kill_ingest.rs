//! `kill -9` at any moment of an ingest, then a rerun, gives exactly what an uninterrupted run
//! gives: no duplicates, nothing missing (compared by chunk id, source and content hash).
// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cairn_ingest::store::EdgeStore;

fn ingest(data: &Path, docs: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["--data-dir"])
        .arg(data)
        .arg("ingest")
        .arg(docs)
        .args(["--collection", "k", "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn cairn")
}

/// Starts an ingest and kills it with SIGKILL after `after`; true if it was still running.
fn kill_after(data: &Path, docs: &Path, after: Duration) -> bool {
    let mut child = ingest(data, docs);
    let started = Instant::now();
    while started.elapsed() < after {
        if child.try_wait().expect("wait").is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    true
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_runs_then_a_rerun_equal_an_uninterrupted_run() {
    let docs = tempfile::tempdir().unwrap();
    common::copy_dir(&common::corpus(), docs.path());

    let clean = tempfile::tempdir().unwrap();
    assert!(ingest(clean.path(), docs.path()).wait().unwrap().success());

    let killed = tempfile::tempdir().unwrap();
    let mut interrupted = 0;
    // Kill during start-up, early embedding and late embedding, each time resuming the last.
    for ms in [300, 900, 1800, 2600] {
        interrupted += usize::from(kill_after(
            killed.path(),
            docs.path(),
            Duration::from_millis(ms),
        ));
    }
    assert!(
        interrupted >= 2,
        "the ingest finished before it could be killed"
    );
    assert!(ingest(killed.path(), docs.path()).wait().unwrap().success());

    let expected = common::snapshot(&EdgeStore::new(clean.path()).unwrap(), "k").await;
    let got = common::snapshot(&EdgeStore::new(killed.path()).unwrap(), "k").await;
    assert!(expected.len() > 100);
    assert_eq!(got.len(), expected.len(), "duplicates or missing chunks");
    assert_eq!(got, expected);
}
