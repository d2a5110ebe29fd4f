//! A fault a real part cannot produce on demand, produced for real: the data directory on a
//! small tmpfs that fills up. The answer log's writes fail with a 503 (never a 500, never an
//! answer reported as logged that is not), and the server recovers by itself once space is
//! freed. Mounting needs root (as in CI); elsewhere the test says it skipped.

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
async fn a_full_answer_log_gives_503_and_the_server_recovers_when_space_is_freed() {
    let Some(fs) = Tmpfs::mount("64m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let data = fs.path().join("data");
    let settings = common::settings(&data);
    let core = common::core_with_faq(&settings).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (url, server) = common::serve_core(core, &settings, async {
        let _ = stopped.await;
    })
    .await;
    let http = reqwest::Client::new();
    let ask = || async {
        let r = http
            .post(format!("{url}/v1/collections/docs/query"))
            .json(&json!({"question": "Is there a free trial?"}))
            .send()
            .await
            .unwrap();
        (
            r.status().as_u16(),
            r.json::<serde_json::Value>().await.unwrap(),
        )
    };
    let (status, answer) = ask().await;
    assert_eq!(status, 200, "{answer}");

    // Full: answers are refused with a 503 (never reported as logged) until space is freed.
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
    let (status, _) = common::get_json(&http, &format!("{url}/healthz")).await;
    assert_eq!(status, 200);
    std::fs::remove_file(filler).unwrap();
    let (status, body) = ask().await;
    assert_eq!(status, 200, "no recovery after space was freed: {body}");
    let id = body["answer_id"].as_str().unwrap();
    let (status, _) = common::get_json(&http, &format!("{url}/v1/answers/{id}")).await;
    assert_eq!(status, 200);

    // Stop the server (closing the store) while the file system is still there.
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    drop(fs);
}
