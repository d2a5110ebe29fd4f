//! The HTTP API (axum): router, shared state, one module per route group.

mod answers;
mod collections;
mod documents;
mod error;
mod grounding;
mod health;
mod json;
mod metrics;
mod openapi;
mod query;
mod search;
mod validate;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::HeaderValue;
use axum::routing::{get, post};
use axum::Router;
use cairn_ingest::store::VectorStore;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

use cairn_ingest::pipeline::Ingestor;

use crate::answer_log::stats::Pricing;
use crate::answer_log::AnswerLog;
use crate::rag::answer::Answerer;
use crate::retrieve::Retriever;

/// Largest JSON body accepted (questions and filters are small).
const JSON_BODY_LIMIT: usize = 256 * 1024;
/// Largest multipart upload accepted.
const UPLOAD_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// A request that takes longer than this gets a 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn VectorStore>,
    pub retriever: Retriever,
    pub answerer: Answerer,
    pub ingestor: Ingestor,
    pub log: Arc<dyn AnswerLog>,
    pub pricing: Pricing,
}

pub fn router(state: AppState, cors_origins: &[String]) -> Router {
    // Install the metrics recorder before the first request records anything.
    crate::monitor::handle();
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/docs", get(openapi::page))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/v1/collections", get(collections::list))
        .route(
            "/v1/collections/{name}",
            get(collections::get)
                .put(collections::create)
                .delete(collections::delete),
        )
        .route("/v1/collections/{name}/search", post(search::search))
        .route("/v1/collections/{name}/query", post(query::query))
        .route("/v1/grounding/check", post(grounding::check))
        .route("/v1/answers", get(answers::list))
        .route("/v1/answers/{id}", get(answers::get))
        .route("/v1/answers/{id}/feedback", post(answers::feedback))
        .route("/v1/feedback/export", get(answers::export))
        .route("/v1/stats", get(answers::stats))
        .route("/v1/insights", get(answers::insights))
        .route("/metrics", get(metrics::metrics))
        .route(
            "/v1/collections/{name}/documents",
            post(documents::upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route_layer(axum::middleware::from_fn(crate::monitor::track_http))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(cors(cors_origins))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::RouteNotFound
}

/// No cross-origin access unless origins are configured; `*` allows any.
fn cors(origins: &[String]) -> CorsLayer {
    let layer = CorsLayer::new().allow_methods(Any).allow_headers(Any);
    if origins.iter().any(|o| o == "*") {
        return layer.allow_origin(Any);
    }
    let list: Vec<HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    layer.allow_origin(AllowOrigin::list(list))
}

/// Serves on an already bound listener until `shutdown` completes, then drains requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address identifies a client that rates without an X-Client-Id header.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
