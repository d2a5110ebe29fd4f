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
    let keys = http::auth::Keys::new(&settings.auth, &settings.cors_origins)?;
    http::auth::check_bind(&keys, bind)?;
    let mut data_lock = super::own_data_dir(settings)?;
    let app = crate::app::Cairn::build(settings)?;
    let interrupted = app.fail_interrupted_runs().await?;
    if interrupted > 0 {
        tracing::warn!(
            runs = interrupted,
            "evaluation runs interrupted by the last stop are marked failed"
        );
    }
    let resumed = app.resume_uploads();
    if resumed > 0 {
        tracing::warn!(
            jobs = resumed,
            "upload jobs interrupted by the last stop are being resumed"
        );
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!(settings = %settings.redacted(), "settings");
    let local = listener.local_addr()?;
    tracing::info!("listening on http://{local}");
    if keys.open() {
        tracing::warn!(
            "no API keys are set: anyone who can reach http://{local} may call every route \
             (loopback only; set CAIRN_ADMIN_KEY to require keys)"
        );
    }
    if let Some(lock) = data_lock.as_mut() {
        lock.advertise(format!("http://{}", reachable(local)))?;
    }
    let app = http::router(app, settings)?;
    http::serve(listener, app, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// The address a local client should use: an unspecified bind (0.0.0.0) is reached on loopback.
fn reachable(local: SocketAddr) -> SocketAddr {
    match local.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::from(([127, 0, 0, 1], local.port()))
        }
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, local.port()))
        }
        _ => local,
    }
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
