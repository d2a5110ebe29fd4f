//! `GET /healthz` (the process is up) and `GET /readyz` (each dependency answers).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;

#[utoipa::path(get, operation_id = "healthz", path = "/healthz", tag = "health", responses((status = 200, description = "alive")))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[utoipa::path(get, operation_id = "readyz", path = "/readyz", tag = "health",
    responses((status = 200, description = "store, embedder and LLM reachable"),
              (status = 503, description = "something is not; the body says what")))]
pub async fn readyz(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    let backend = app.store().backend();
    let store = match app.store().list_collections().await {
        Ok(_) => json!({ "ready": true, "backend": backend }),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: store unavailable");
            json!({ "ready": false, "backend": backend })
        }
    };
    // A real embedding, so a model that cannot run (a missing library, a stuck pool) is seen.
    let embedder = app.embedder().clone();
    let probe = crate::blocking::run(move || embedder.embed(&["ready".to_owned()]));
    let embedded = tokio::time::timeout(std::time::Duration::from_secs(5), probe).await;
    let embeds = matches!(embedded, Ok(Ok(Ok(ref v))) if v.len() == 1);
    if !embeds {
        tracing::warn!("readiness: the embedding model did not embed a probe within 5 s");
    }
    let model = json!({ "ready": embeds, "model": app.embedder().model_id() });
    let name = app.llm_name().unwrap_or("extractive");
    let llm = match app.llm_ready().await {
        Ok(()) => json!({ "ready": true, "model": name }),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: language model unavailable");
            json!({ "ready": false, "model": name })
        }
    };
    let ready = [&store, &model, &llm]
        .iter()
        .all(|c| c["ready"] == json!(true));
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({ "ready": ready, "store": store, "embedder": model, "llm": llm });
    (status, Json(body))
}
