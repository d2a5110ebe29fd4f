//! The one way cairn runs blocking work (the embedding model, SQLite) off the async workers.
//! A task that panics is reported as such, not as a failure of whatever it was doing.

/// A blocking task panicked (a bug, not bad input): the request fails with an internal error.
#[derive(Debug, Clone, thiserror::Error)]
#[error("a worker task panicked: {0}")]
pub struct Panicked(pub String);

/// Runs `f` on tokio's blocking pool and waits for it.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Panicked> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        let detail = if e.is_panic() {
            let payload = e.into_panic();
            payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned())
        } else {
            e.to_string()
        };
        tracing::error!(detail = %detail, "a blocking task panicked");
        Panicked(detail)
    })
}
