//! `GET /metrics`: Prometheus text exposition of cairn's counters, histograms and gauges.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use crate::monitor;

#[utoipa::path(get, operation_id = "metrics", path = "/metrics", tag = "health",
    responses((status = 200, content_type = "text/plain", body = String,
               description = "Prometheus text exposition format 0.0.4")))]
pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    // Collection sizes are read at scrape time; a store error leaves the last values.
    if let Ok(collections) = app.store().list_collections().await {
        for c in collections {
            monitor::collection_points(&c.name, c.points as u64);
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        monitor::handle().render(),
    )
}
