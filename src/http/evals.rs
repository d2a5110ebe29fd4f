//! `/v1/evals`: evaluation runs as jobs: `POST` starts one (202 with its id), `GET
//! /v1/evals/{id}` gives its status and, when done, its result.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::error::ErrorBody;
use super::json::{Json, Path};
use super::{validate, ApiError, AppState};
use crate::app::{EvalDataset, EvalRequest};
use crate::eval::store::RunRecord;

/// An evaluation to run: only `collection` and `dataset` are required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartEval {
    #[schema(pattern = r"^[A-Za-z0-9_-]{1,64}$")]
    pub collection: String,
    pub dataset: String,
    /// A stored version of the dataset; the newest when omitted.
    #[serde(default)]
    pub version: Option<String>,
    /// In order, the first being the baseline; `["default"]` when omitted.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub variants: Vec<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RunList {
    /// Newest first, without their results.
    pub runs: Vec<RunRecord>,
}

#[utoipa::path(post, operation_id = "start_eval", path = "/v1/evals", tag = "evaluation", request_body = StartEval,
    responses((status = 202, body = RunRecord, description = "started; poll GET /v1/evals/{id}"),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn start(
    State(app): State<AppState>,
    Json(request): Json<StartEval>,
) -> Result<impl IntoResponse, ApiError> {
    let collection = validate::collection(&request.collection)?;
    let record = app
        .start_eval(EvalRequest {
            collection,
            dataset: EvalDataset::Stored {
                name: request.dataset,
                version: request.version,
            },
            variants: request.variants,
        })
        .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(record)))
}

#[utoipa::path(get, operation_id = "list_evals", path = "/v1/evals", tag = "evaluation",
    responses((status = 200, body = RunList)))]
pub async fn list(State(app): State<AppState>) -> Result<axum::Json<RunList>, ApiError> {
    Ok(axum::Json(RunList {
        runs: app.eval_runs().await?,
    }))
}

#[utoipa::path(get, operation_id = "get_eval", path = "/v1/evals/{id}", tag = "evaluation",
    params(("id" = String, Path)),
    responses((status = 200, body = RunRecord), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<RunRecord>, ApiError> {
    Ok(axum::Json(app.eval_run(&id).await?))
}
