//! `/v1/collections` and `/v1/collections/{name}`: list, inspect, create and delete; and one
//! stored passage in full.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use cairn_ingest::store::CollectionInfo;
use serde::Serialize;

use super::error::ErrorBody;
use super::json::Path;
use super::{validate, ApiError, AppState};
use crate::app::Passage;

#[derive(Serialize, utoipa::ToSchema)]
pub struct CollectionList {
    pub collections: Vec<CollectionInfo>,
}

#[utoipa::path(get, operation_id = "list_collections", path = "/v1/collections", tag = "collections",
    responses((status = 200, body = CollectionList)))]
pub async fn list(State(app): State<AppState>) -> Result<Json<CollectionList>, ApiError> {
    let collections = app.collections().await?;
    Ok(Json(CollectionList { collections }))
}

#[utoipa::path(get, operation_id = "get_collection", path = "/v1/collections/{name}", tag = "collections",
    params(validate::NamePath),
    responses((status = 200, body = CollectionInfo), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<CollectionInfo>, ApiError> {
    let name = validate::collection(&name)?;
    Ok(Json(app.collection(&name).await?))
}

/// Creates the collection with the embedder's dimension; 200 if it already existed.
#[utoipa::path(put, operation_id = "create_collection", path = "/v1/collections/{name}", tag = "collections",
    params(validate::NamePath),
    responses((status = 201, body = CollectionInfo), (status = 200, body = CollectionInfo),
              (status = 409, body = ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<CollectionInfo>), ApiError> {
    let name = validate::collection(&name)?;
    let (created, info) = app.create_collection(&name).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(info)))
}

#[utoipa::path(delete, operation_id = "delete_collection", path = "/v1/collections/{name}", tag = "collections",
    params(validate::NamePath),
    responses((status = 204, description = "deleted"), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let name = validate::collection(&name)?;
    app.delete_collection(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One stored passage in full (a citation's source), by the `chunk_id` of a citation or hit.
#[utoipa::path(get, operation_id = "get_passage", path = "/v1/collections/{name}/chunks/{chunk_id}", tag = "collections",
    params(validate::NamePath, ("chunk_id" = String, Path, description = "chunk_id of a citation or search hit")),
    responses((status = 200, body = Passage), (status = 404, body = ErrorBody)))]
pub async fn passage(
    State(app): State<AppState>,
    Path((name, chunk_id)): Path<(String, String)>,
) -> Result<Json<Passage>, ApiError> {
    let name = validate::collection(&name)?;
    Ok(Json(app.passage(&name, &chunk_id).await?))
}
