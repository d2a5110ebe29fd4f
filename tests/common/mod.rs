//! Shared test helpers: the real embedder and chunker (from the models that
//! scripts/fetch-models.sh prepares) and a fresh embedded store per test.
#![allow(dead_code)]

pub mod port;
pub mod postgres;
pub mod qdrant;

use std::path::{Path, PathBuf};
use std::sync::Arc;

#[allow(unused_imports)]
pub use cairn::config::Settings as AppSettings;
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
        redact: Vec::new(),
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
            watch: None,
            release_model: false,
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

/// The real app on 127.0.0.1:0 with docs-sample ingested as collection `docs`.
pub struct TestApp {
    pub url: String,
    pub http: reqwest::Client,
    /// The application core the server runs on. Weak: the server task owns it, so that it is
    /// dropped (and the store flushed) before the data directory is deleted.
    core: std::sync::Weak<cairn::app::Cairn>,
}

impl TestApp {
    /// The server's own application core (the same one, not a copy).
    pub fn core(&self) -> Arc<cairn::app::Cairn> {
        self.core.upgrade().expect("the server is running")
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// GET `path`: the status and the JSON body.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        get_json(&self.http, &format!("{}{path}", self.url)).await
    }

    pub async fn query(&self, body: serde_json::Value) -> (u16, serde_json::Value) {
        let response = self.post("/v1/collections/docs/query", body).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}

/// Starts the app; `configure` adjusts the settings (LLM URL, variants, …) before start.
pub async fn spawn_app(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(&corpus(), configure).await
}

/// Like [`spawn_app`], with only the FAQ file ingested (fast, for protocol tests).
pub async fn spawn_app_with_faq(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let docs = tempfile::tempdir().unwrap();
    std::fs::copy(corpus().join("faq.jsonl"), docs.path().join("faq.jsonl")).unwrap();
    let app = spawn_app_on(docs.path(), configure).await;
    drop(docs); // ingested; the files are no longer needed
    app
}

/// Starts the app with `documents` (a file or a folder) ingested as collection `docs`.
pub async fn spawn_app_on(documents: &Path, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let data = tempfile::tempdir().unwrap();
    let path = data.path().to_path_buf();
    start(&path, documents, configure, Some(data)).await
}

/// Like [`spawn_app_on`], with the data directory at `data` (kept after the test).
pub async fn spawn_app_on_dir(
    data: &Path,
    documents: &Path,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    start(data, documents, configure, None).await
}

async fn start(
    data_dir: &Path,
    documents: &Path,
    configure: impl FnOnce(&mut Settings),
    owned: Option<tempfile::TempDir>,
) -> TestApp {
    let mut settings = settings(data_dir);
    configure(&mut settings);
    let core = cairn::app::Cairn::build(&settings).unwrap();
    ingest(core.ingestor(), &[documents], "docs", false).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = cairn::http::router(core.clone(), &settings).unwrap();
    // The data directory lives inside the server task, so it is deleted only after the store
    // has been dropped (and flushed) when the runtime stops.
    tokio::spawn(async move {
        let _data = owned;
        cairn::http::serve(listener, app, std::future::pending()).await
    });
    TestApp {
        url,
        http: client_with_key(settings.auth.admin_key.as_deref()),
        core: Arc::downgrade(&core),
    }
}

/// An HTTP client that sends `key` (when given) as its bearer token.
pub fn client_with_key(key: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(key) = key {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {key}").parse().unwrap(),
        );
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// `cairn serve` as a child process on a free port, killed on drop.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub url: String,
    _port: port::Port,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cairn serve` on `data` with extra environment variables, and waits for /healthz.
pub async fn serve_process(data: &Path, envs: &[(&str, &str)]) -> ServerProcess {
    let claim = port::Port::reserve();
    let port = claim.number;
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let server = ServerProcess {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _port: claim,
    };
    let started = std::time::Instant::now();
    while reqwest::get(format!("{}/healthz", server.url))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "serve did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    server
}

/// The sources of an answer's citations, in order.
pub fn cited_sources(answer: &serde_json::Value) -> Vec<&str> {
    answer["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["source"].as_str().unwrap())
        .collect()
}

/// Reads a Server-Sent Events body into (event, data) pairs.
pub fn sse_events(body: &str) -> Vec<(String, serde_json::Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut event = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event:") {
                    event = Some(e.trim().to_owned());
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push_str(d.trim_start());
                }
            }
            Some((event?, serde_json::from_str(&data).ok()?))
        })
        .collect()
}

/// GET `url`: the status and the JSON body (`null` when it is not JSON).
pub async fn get_json(http: &reqwest::Client, url: &str) -> (u16, serde_json::Value) {
    let response = http.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// POSTs `body` as JSON; the status and the JSON reply (`null` when it is not JSON).
pub async fn post_json(
    http: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = http.post(url).json(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// Runs the `cairn` binary with `--data-dir data` and `args`.
pub fn cairn(data: &Path, args: &[&str]) -> std::process::Output {
    cairn_with_env(data, args, &[])
}

/// [`cairn`] with extra environment variables.
pub fn cairn_with_env(data: &Path, args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("run cairn")
}

/// A minimal PDF whose one dictionary value is `depth` nested arrays (a hostile file).
pub fn deep_pdf(depth: usize) -> Vec<u8> {
    let value = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    format!(
        "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Deep {value} >>\nendobj\n\
         2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

/// Serves an already built core on 127.0.0.1:0 until `shutdown`; returns its URL and the task.
pub async fn serve_core(
    core: Arc<cairn::app::Cairn>,
    settings: &Settings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = cairn::http::router(core, settings).unwrap();
    (
        url,
        tokio::spawn(cairn::http::serve(listener, router, shutdown)),
    )
}

/// A fresh core on `settings` with docs-sample's FAQ ingested as collection `docs`.
pub async fn core_with_faq(settings: &Settings) -> Arc<cairn::app::Cairn> {
    let core = cairn::app::Cairn::build(settings).unwrap();
    ingest(
        core.ingestor(),
        &[&corpus().join("faq.jsonl")],
        "docs",
        false,
    )
    .await;
    core
}
