//! Shared test helpers: the real embedder and chunker (from the models that
//! scripts/fetch-models.sh prepares) and a fresh embedded store per test.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn::config::{Overrides, Settings};
use cairn::retrieve::Retriever;
use cairn::services;
use cairn_ingest::domain::CollectionName;
use cairn_ingest::embed::Bm25;
use cairn_ingest::pipeline::{IngestRequest, Ingestor, Summary};
use cairn_ingest::store::{EdgeStore, VectorStore};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn corpus() -> PathBuf {
    repo().join("docs-sample/corpus")
}

pub fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/loaders")
}

/// Settings for a test: everything default except the data directory.
pub fn settings(data_dir: &Path) -> Settings {
    Settings::load(&Overrides {
        config_file: None,
        data_dir: Some(data_dir.to_path_buf()),
    })
    .expect("settings load")
}

/// An ingestor with the real model and a fresh embedded store in `data_dir`.
pub fn ingestor(data_dir: &Path) -> Ingestor {
    let settings = settings(data_dir);
    Ingestor {
        embedder: services::embedder(&settings).expect(
            "the embedding model is missing: run scripts/fetch-models.sh (scripts/test.sh does)",
        ),
        bm25: Arc::new(Bm25::new().expect("bm25")),
        store: Arc::new(EdgeStore::new(data_dir).expect("store")),
        chunker: services::chunker(&settings).expect("chunker"),
    }
}

pub fn collection(name: &str) -> CollectionName {
    CollectionName::parse(name).expect("valid name")
}

pub async fn ingest(ingestor: &Ingestor, paths: &[&Path], name: &str, prune: bool) -> Summary {
    ingestor
        .run(&IngestRequest {
            paths: paths.iter().map(|p| p.to_path_buf()).collect(),
            collection: collection(name),
            prune,
            dry_run: false,
            progress: false,
        })
        .await
        .expect("ingest")
}

/// Copies a directory tree (tests edit copies, never docs-sample itself).
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir(from) {
        let target = to.join(entry.strip_prefix(from).expect("prefix"));
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&entry, &target).expect("copy");
    }
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// (chunk id, content hash) of every stored chunk, sorted: a collection's exact content.
pub async fn snapshot(store: &dyn VectorStore, name: &str) -> Vec<(String, String, String)> {
    let mut all: Vec<_> = store
        .inventory(&collection(name))
        .await
        .expect("inventory")
        .into_iter()
        .map(|c| (c.id.to_string(), c.source, c.content_hash))
        .collect();
    all.sort();
    all
}

/// A retriever over the ingestor's model and store.
pub fn retriever(ingestor: &Ingestor) -> Retriever {
    Retriever {
        embedder: ingestor.embedder.clone(),
        bm25: ingestor.bm25.clone(),
        store: ingestor.store.clone(),
    }
}

/// A fresh data directory, a copy of docs-sample to edit, and an ingestor over them.
pub struct Scratch {
    pub data: tempfile::TempDir,
    pub docs: tempfile::TempDir,
    pub ingestor: Ingestor,
}

pub fn scratch_copy_of(corpus: &Path) -> Scratch {
    let data = tempfile::tempdir().expect("tempdir");
    let docs = tempfile::tempdir().expect("tempdir");
    copy_dir(corpus, docs.path());
    let ingestor = ingestor(data.path());
    Scratch {
        data,
        docs,
        ingestor,
    }
}
