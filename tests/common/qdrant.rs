//! A real Qdrant server for a test: the binary at `CAIRN_QDRANT_BIN` (default
//! `../shared/bin/qdrant`, see its README), started on free loopback ports in a temporary
//! directory and killed when dropped. Tests that need it are `#[ignore]`d, and
//! scripts/test.sh runs them when the binary is there, so a machine without it reports them
//! as skipped rather than passed.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::port::Port;

/// Why a server test is ignored: the `#[ignore]` reason nextest prints.
pub const NEEDS_SERVER: &str = "skipped: no Qdrant server (set CAIRN_QDRANT_BIN)";

pub fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("CAIRN_QDRANT_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::repo().join("../shared/bin/qdrant"));
    path.is_file().then_some(path)
}

pub struct QdrantServer {
    child: Option<Child>,
    dir: tempfile::TempDir,
    http: Port,
    grpc: Port,
    api_key: Option<String>,
}

impl QdrantServer {
    /// Starts a server and waits until it is ready; panics when `CAIRN_QDRANT_BIN` is absent
    /// (the test is ignored unless it is there).
    pub async fn start(api_key: Option<&str>) -> Self {
        let mut server = Self {
            child: None,
            dir: tempfile::tempdir().unwrap(),
            http: Port::reserve(),
            grpc: Port::reserve(),
            api_key: api_key.map(str::to_owned),
        };
        server.spawn().await;
        server
    }

    /// The gRPC URL, what `QDRANT_URL` takes.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.grpc.number)
    }

    /// SIGKILL: the server stops at once, as in a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same ports and storage.
    /// Ready means `/readyz` answers and the gRPC port takes connections: Qdrant keeps
    /// serving HTTP when its gRPC port cannot be bound, so `/readyz` alone is not enough.
    pub async fn spawn(&mut self) {
        let bin = binary().expect(NEEDS_SERVER);
        let log_path = self.dir.path().join("qdrant.log");
        let log = File::create(&log_path).unwrap();
        let mut command = Command::new(bin);
        command
            .current_dir(self.dir.path())
            .env("QDRANT__SERVICE__HOST", "127.0.0.1")
            .env("QDRANT__SERVICE__HTTP_PORT", self.http.number.to_string())
            .env("QDRANT__SERVICE__GRPC_PORT", self.grpc.number.to_string())
            .env(
                "QDRANT__STORAGE__STORAGE_PATH",
                self.dir.path().join("storage"),
            )
            .env("QDRANT__TELEMETRY_DISABLED", "true")
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if let Some(key) = &self.api_key {
            command.env("QDRANT__SERVICE__API_KEY", key);
        }
        let mut child = command.spawn().unwrap();
        let ready = format!("http://127.0.0.1:{}/readyz", self.http.number);
        let started = Instant::now();
        loop {
            let http = matches!(reqwest::get(&ready).await, Ok(r) if r.status().is_success());
            let grpc = tokio::net::TcpStream::connect(("127.0.0.1", self.grpc.number))
                .await
                .is_ok();
            if http && grpc {
                break;
            }
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let exited = child.try_wait().unwrap();
            assert!(
                exited.is_none() && !log.contains("Error while starting"),
                "the Qdrant server failed to start ({exited:?}):\n{log}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the Qdrant server did not become ready:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.child = Some(child);
    }
}

impl Drop for QdrantServer {
    fn drop(&mut self) {
        self.kill();
    }
}
