//! The CLI contract that later tooling relies on: flags, JSON shapes and error messages.
// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Output};

use common::cairn;

fn stdout_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "cairn failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document on stdout")
}

#[test]
fn ingest_search_list_and_delete() {
    let data = tempfile::tempdir().unwrap();
    let corpus = common::corpus();
    let corpus = corpus.to_str().unwrap();

    let dry = stdout_json(&cairn(
        data.path(),
        &[
            "ingest",
            corpus,
            "--collection",
            "docs",
            "--dry-run",
            "--json",
        ],
    ));
    assert_eq!(dry["plan"]["added"].as_array().unwrap().len(), 14);
    assert_eq!(dry["chunks"], 0);

    let summary = stdout_json(&cairn(
        data.path(),
        &["ingest", corpus, "--collection", "docs", "--json"],
    ));
    assert!(summary["chunks"].as_u64().unwrap() > 100);
    for key in [
        "files",
        "skipped",
        "seconds",
        "chunks_per_second",
        "embed_seconds",
    ] {
        assert!(summary.get(key).is_some(), "summary lacks {key}");
    }

    let found = stdout_json(&cairn(
        data.path(),
        &[
            "search",
            "--collection",
            "docs",
            "--top-k",
            "3",
            "--json",
            "how",
            "do",
            "I",
            "restore",
            "a",
            "backup",
        ],
    ));
    let results = found["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        for key in ["source", "heading", "score", "text", "chunk_id"] {
            assert!(r.get(key).is_some(), "result lacks {key}: {r}");
        }
    }
    assert_eq!(results[0]["source"], "guides/backups-and-restore.md");

    let listed = stdout_json(&cairn(data.path(), &["collections", "list", "--json"]));
    assert_eq!(listed["collections"][0]["name"], "docs");
    assert_eq!(listed["collections"][0]["dimension"], 384);

    let deleted = cairn(data.path(), &["collections", "delete", "docs"]);
    assert!(deleted.status.success());
    let again = cairn(data.path(), &["collections", "delete", "docs"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("does not exist"));
}

#[test]
fn bad_input_gets_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let bad_name = cairn(data.path(), &["search", "--collection", "../etc", "x"]);
    assert!(String::from_utf8_lossy(&bad_name.stderr).contains("invalid collection name"));
    let missing = cairn(data.path(), &["search", "--collection", "nope", "x"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("\"nope\" does not exist"));
    let top_k = cairn(
        data.path(),
        &["search", "--collection", "nope", "--top-k", "0", "x"],
    );
    assert!(String::from_utf8_lossy(&top_k.stderr).contains("--top-k"));

    // A missing model or runtime is a set-up error with a fix, never a panic.
    for (key, file, expected) in [
        ("CAIRN_MODEL_DIR", "no-model", "fetch-models.sh"),
        ("CAIRN_ORT_LIB", "libonnxruntime.so", "ONNX Runtime"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
            .arg("--data-dir")
            .arg(data.path())
            .args(["ingest", "docs-sample", "--collection", "x"])
            .env(key, data.path().join(file))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{key}");
        assert!(
            stderr.contains(expected) && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
}

#[test]
fn a_collection_with_another_dimension_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use cairn_ingest::store::{EdgeStore, VectorStore};
        let store = EdgeStore::new(data.path()).unwrap();
        store
            .create_collection(&common::collection("small"), 8)
            .await
            .unwrap();
    });
    let corpus = common::corpus();
    let out = cairn(
        data.path(),
        &["ingest", corpus.to_str().unwrap(), "--collection", "small"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("8-dimensional") && stderr.contains("384"),
        "{stderr}"
    );
}
