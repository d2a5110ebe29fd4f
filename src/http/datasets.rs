//! `/v1/datasets`: import (JSON Lines or CSV body), read, export, and add items from the
//! answer log.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::answers::jsonl;
use super::error::ErrorBody;
use super::json::{Json, Path, Query, Text};
use super::{validate, ApiError, AppState};
use crate::eval::dataset::{Dataset, Format};
use crate::eval::store::DatasetSummary;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DatasetList {
    pub datasets: Vec<DatasetSummary>,
}

#[utoipa::path(get, operation_id = "list_datasets", path = "/v1/datasets", tag = "evaluation",
    responses((status = 200, body = DatasetList)))]
pub async fn list(State(app): State<AppState>) -> Result<axum::Json<DatasetList>, ApiError> {
    Ok(axum::Json(DatasetList {
        datasets: app.datasets().await?,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionParams {
    /// A stored version; the newest when omitted.
    pub version: Option<String>,
}

/// A dataset with its items.
#[utoipa::path(get, operation_id = "get_dataset", path = "/v1/datasets/{name}", tag = "evaluation",
    params(validate::NamePath, VersionParams),
    responses((status = 200, body = Dataset), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(params): Query<VersionParams>,
) -> Result<axum::Json<Dataset>, ApiError> {
    Ok(axum::Json(
        app.dataset(&name, params.version.as_deref()).await?,
    ))
}

/// Imports a whole file as the newest version of the dataset: JSON Lines
/// (`Content-Type: application/x-ndjson` or `application/jsonl`) or CSV (`text/csv`). A bad
/// row rejects the file, naming its line; nothing of it is stored.
#[utoipa::path(post, operation_id = "import_dataset", path = "/v1/datasets/{name}", tag = "evaluation",
    params(validate::NamePath),
    request_body(description = "a whole file: JSON Lines, one item per line (`{\"id\", \"question\", \"expected_sources\", \"reference_answer\", \"keywords\", \"answerable\"}`; also accepted as text/plain), or CSV with those columns",
                 content((String = "application/x-ndjson"), (String = "text/csv"), (String = "text/plain"))),
    responses((status = 201, body = Dataset), (status = 400, body = ErrorBody),
              (status = 415, body = ErrorBody)))]
pub async fn import(
    State(app): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<impl IntoResponse, ApiError> {
    let format = match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .as_deref()
    {
        Some("text/csv") => Format::Csv,
        Some(
            "application/x-ndjson" | "application/jsonl" | "application/jsonlines" | "text/plain",
        ) => Format::Jsonl,
        _ => return Err(ApiError::new(super::error::Code::UnsupportedMediaType)
            .message("expected a JSON Lines or CSV body")
            .hint(
                "send Content-Type: application/x-ndjson (JSON Lines, or text/plain) or text/csv",
            )),
    };
    let dataset = app.import_dataset(&name, body, format).await?;
    Ok((StatusCode::CREATED, axum::Json(dataset)))
}

/// The dataset's items as JSON Lines, importable again.
#[utoipa::path(get, operation_id = "export_dataset", path = "/v1/datasets/{name}/export", tag = "evaluation",
    params(validate::NamePath, VersionParams),
    responses((status = 200, content_type = "application/x-ndjson", body = String),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(params): Query<VersionParams>,
) -> Result<impl IntoResponse, ApiError> {
    let dataset = app.dataset(&name, params.version.as_deref()).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        jsonl(&dataset.items),
    ))
}

/// A logged answer to add to a dataset (created when missing).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromAnswerRequest {
    pub answer_id: String,
    /// The sources it should have used; the ones it cited when omitted.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub expected_sources: Option<Vec<String>>,
    /// The right answer, kept as the item's reference answer.
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub corrected_answer: Option<String>,
    /// False when the documents do not answer it (the right behaviour is to abstain).
    #[serde(default)]
    pub answerable: Option<bool>,
}

/// Adds a logged answer's question as an item (its id is the answer_id), as a new version.
#[utoipa::path(post, operation_id = "add_dataset_item", path = "/v1/datasets/{name}/items", tag = "evaluation",
    params(validate::NamePath),
    request_body = FromAnswerRequest,
    responses((status = 201, body = Dataset), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn add_item(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Json(request): Json<FromAnswerRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let dataset = app
        .add_from_answer(
            &name,
            &request.answer_id,
            request.expected_sources,
            request.corrected_answer,
            request.answerable,
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(dataset)))
}
