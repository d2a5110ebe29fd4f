//! The HTTP API (axum): router, shared state, one module per route group.

mod collections;
mod documents;
mod error;
mod grounding;
mod health;
mod json;
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
}

pub fn router(state: AppState, cors_origins: &[String]) -> Router {
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
        .route(
            "/v1/collections/{name}/documents",
            post(documents::upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
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
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
