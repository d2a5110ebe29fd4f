//! `/v1/collections` and `/v1/collections/{name}`: list, inspect, create and delete.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use cairn_ingest::store::CollectionInfo;
use serde::Serialize;

use super::error::ErrorBody;
use super::json::Path;
use super::{validate, ApiError, AppState};

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
