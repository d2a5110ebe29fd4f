//! `GET /healthz` (the process is up) and `GET /readyz` (each dependency answers).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;

#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "alive")))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "store, embedder and LLM reachable"),
              (status = 503, description = "something is not; the body says what")))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let store = match state.store.list_collections().await {
        Ok(_) => json!({ "ready": true, "backend": state.store.backend() }),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: store unavailable");
            json!({ "ready": false, "backend": state.store.backend() })
        }
    };
    let model = json!({ "ready": true, "model": state.retriever.embedder.model_id() });
    let llm = match &state.answerer.llm {
        None => json!({ "ready": true, "model": "extractive" }),
        Some(llm) => match llm.ready().await {
            Ok(()) => json!({ "ready": true, "model": llm.name() }),
            Err(e) => {
                tracing::warn!(error = %e, "readiness: language model unavailable");
                json!({ "ready": false, "model": llm.name() })
            }
        },
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
