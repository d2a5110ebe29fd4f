//! Logging: human-readable lines on stderr, filtered by `RUST_LOG` (default: info for cairn).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,cairn=info,cairn_ingest=info,qdrant_edge=error"));
    // Ignore the error from a second init (tests may call it more than once).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
