//! The HTTP API (axum): the route list (which also generates `/openapi.json`), middleware, and
//! one module per route group. Handlers parse, call one method of [`Cairn`], convert the error.

mod answers;
pub mod auth;
mod collections;
mod datasets;
mod documents;
mod error;
mod evals;
mod experiments;
mod grounding;
mod health;
mod json;
pub mod limits;
mod metrics;
mod openapi;
pub mod policy;
mod query;
mod search;
mod validate;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::{ApiError, Code};

use crate::app::Cairn;
use crate::config::Settings;

/// What every handler gets: the application core.
pub type AppState = Arc<Cairn>;

/// Largest JSON body accepted (questions and filters are small).
const JSON_BODY_LIMIT: usize = 256 * 1024;
/// Largest multipart upload or dataset file accepted.
const UPLOAD_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// A request that takes longer than this gets a 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Every documented route, once: the router and `/openapi.json` are both built from this list,
/// so they cannot drift apart.
fn api() -> OpenApiRouter<AppState> {
    let large_bodies = OpenApiRouter::new()
        .routes(routes!(documents::upload))
        .routes(routes!(datasets::get, datasets::import))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT));
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(collections::list))
        .routes(routes!(
            collections::get,
            collections::create,
            collections::delete
        ))
        .routes(routes!(collections::passage))
        .routes(routes!(documents::job))
        .routes(routes!(search::search))
        .routes(routes!(query::query))
        .routes(routes!(grounding::check))
        .routes(routes!(answers::list, answers::forget))
        .routes(routes!(answers::audit))
        .routes(routes!(answers::get))
        .routes(routes!(answers::feedback))
        .routes(routes!(answers::review))
        .routes(routes!(answers::prefer, answers::preferences))
        .routes(routes!(answers::export))
        .routes(routes!(answers::stats))
        .routes(routes!(answers::insights))
        .routes(routes!(datasets::list))
        .routes(routes!(datasets::export))
        .routes(routes!(datasets::add_item))
        .routes(routes!(evals::start, evals::list))
        .routes(routes!(evals::get))
        .routes(routes!(experiments::list))
        .routes(routes!(experiments::get, experiments::put))
        .routes(routes!(experiments::variants))
        .merge(large_bodies)
}

/// The whole HTTP surface: the API, its document, the web app, and the middleware (keys,
/// limits, timeouts, metrics). Fails when the configured keys are not valid.
pub fn router(app: Arc<Cairn>, settings: &Settings) -> anyhow::Result<Router> {
    let cors_origins = &settings.cors_origins;
    let guard = Arc::new(auth::Guard {
        keys: auth::Keys::new(&settings.auth, cors_origins)?,
        app: app.clone(),
    });
    let limits = Arc::new(limits::Limits::new(&settings.limits));
    // Install the metrics recorder before the first request records anything.
    crate::monitor::handle();
    let (routes, doc) = api().split_for_parts();
    let configured = openapi::Configured {
        variants: app.variant_names(),
        llm: app.llm_name().is_some(),
        keys: !guard.keys.open(),
    };
    let doc = Arc::new(openapi::finish(doc, &configured));
    Ok(routes
        .route(
            "/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .route("/docs", get(openapi::page))
        .merge(crate::ui::routes())
        // Route layers run after routing, so they know the route's template; the last added
        // runs first: the key, then the limits, then the timing of what is served.
        .route_layer(axum::middleware::from_fn(crate::monitor::track_http))
        .route_layer(axum::middleware::from_fn_with_state(limits, limits::limit))
        .route_layer(axum::middleware::from_fn_with_state(guard, auth::guard))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(axum::middleware::from_fn(timeout))
        .layer(TraceLayer::new_for_http())
        .layer(cors(cors_origins))
        .with_state(app))
}

async fn not_found() -> ApiError {
    ApiError::new(Code::RouteNotFound)
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(Code::MethodNotAllowed)
}

/// A 408 in the API's error shape once a request has taken [`REQUEST_TIMEOUT`] (a streamed
/// answer counts until its headers are sent).
async fn timeout(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(Code::RequestTimeout).into_response(),
    }
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
