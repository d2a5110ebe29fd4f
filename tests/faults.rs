//! Faults a real part cannot produce on demand, produced for real: the data directory on a
//! small tmpfs that fills up, then is remounted read-only. The answer log's writes fail with a
//! 503 (never a 500 or a lost answer reported as logged), and the server recovers by itself
//! once the fault clears. Mounting needs root (as in CI); elsewhere the test says it skipped.

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::json;

/// A tmpfs mounted on a fresh directory, unmounted on drop.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn remount(&self, mode: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(status.success(), "remount {mode}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

/// Fills the file system until it refuses another byte.
fn fill(dir: &Path) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    // The last bytes too, so that no partial page is left.
    while file.write_all(&[0u8]).is_ok() {}
    let _ = file.sync_all();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_then_read_only_answer_log_gives_503_and_the_server_recovers() {
    let Some(fs) = Tmpfs::mount("64m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let data = fs.path().join("data");
    let faq = common::corpus().join("faq.jsonl");
    let app = common::spawn_app_on_dir(&data, &faq, |_| {}).await;
    let ask = || app.query(json!({"question": "Is there a free trial?"}));
    let (status, answer) = ask().await;
    assert_eq!(status, 200, "{answer}");

    // Read-only: every write fails.
    fs.remount("ro");
    let (status, body) = ask().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "answer_log_unavailable");
    assert_eq!(app.get("/healthz").await.0, 200);
    fs.remount("rw");
    let (status, body) = ask().await;
    assert_eq!(status, 200, "no recovery after the remount: {body}");

    // Full: answers keep being refused with a 503 until space is freed, then are logged.
    let filler = fill(fs.path());
    let mut refused = 0;
    for _ in 0..20 {
        let (status, body) = ask().await;
        assert!(status == 503 || status == 200, "{status} {body}");
        if status == 503 {
            assert_eq!(body["error"]["code"], "answer_log_unavailable");
            refused += 1;
        }
    }
    assert!(refused > 0, "a full disk never refused a write");
    std::fs::remove_file(filler).unwrap();
    let (status, body) = ask().await;
    assert_eq!(status, 200, "no recovery after space was freed: {body}");
    let id = body["answer_id"].as_str().unwrap();
    assert_eq!(app.get(&format!("/v1/answers/{id}")).await.0, 200);
}
