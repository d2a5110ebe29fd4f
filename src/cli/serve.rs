//! `cairn serve [--bind ADDR]`: the HTTP API, until SIGTERM or Ctrl-C.

use std::net::SocketAddr;

use anyhow::Context;

use crate::config::Settings;
use crate::http;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on [env: CAIRN_BIND] [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    bind: Option<SocketAddr>,
}

pub async fn run(settings: &Settings, args: Args) -> anyhow::Result<()> {
    let bind = args.bind.unwrap_or(settings.bind);
    let app = crate::app::Cairn::build(settings)?;
    let interrupted = app.fail_interrupted_runs().await?;
    if interrupted > 0 {
        tracing::warn!(
            runs = interrupted,
            "evaluation runs interrupted by the last stop are marked failed"
        );
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!(settings = %settings.redacted(), "settings");
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let app = http::router(app, &settings.cors_origins);
    http::serve(listener, app, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
