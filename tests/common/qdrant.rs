//! A real Qdrant server for a test: the binary at `CAIRN_QDRANT_BIN` (default
//! `../shared/bin/qdrant`, see its README), started on free loopback ports in a temporary
//! directory and killed when dropped. Tests that need it are `#[ignore]`d, and
//! scripts/test.sh runs them when the binary is there, so a machine without it reports them
//! as skipped rather than passed.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
    http: u16,
    grpc: u16,
    api_key: Option<String>,
}

impl QdrantServer {
    /// Starts a server and waits until it is ready; panics when `CAIRN_QDRANT_BIN` is absent
    /// (the test is ignored unless it is there).
    pub async fn start(api_key: Option<&str>) -> Self {
        let mut server = Self {
            child: None,
            dir: tempfile::tempdir().unwrap(),
            http: free_port(),
            grpc: free_port(),
            api_key: api_key.map(str::to_owned),
        };
        server.spawn().await;
        server
    }

    /// The gRPC URL, what `QDRANT_URL` takes.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.grpc)
    }

    /// SIGKILL: the server stops at once, as in a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same ports and storage.
    pub async fn spawn(&mut self) {
        let bin = binary().expect(NEEDS_SERVER);
        let mut command = Command::new(bin);
        command
            .current_dir(self.dir.path())
            .env("QDRANT__SERVICE__HOST", "127.0.0.1")
            .env("QDRANT__SERVICE__HTTP_PORT", self.http.to_string())
            .env("QDRANT__SERVICE__GRPC_PORT", self.grpc.to_string())
            .env(
                "QDRANT__STORAGE__STORAGE_PATH",
                self.dir.path().join("storage"),
            )
            .env("QDRANT__TELEMETRY_DISABLED", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(key) = &self.api_key {
            command.env("QDRANT__SERVICE__API_KEY", key);
        }
        self.child = Some(command.spawn().unwrap());
        let ready = format!("http://127.0.0.1:{}/readyz", self.http);
        let started = Instant::now();
        loop {
            if let Ok(r) = reqwest::get(&ready).await {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the Qdrant server did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for QdrantServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
