//! `/v1/collections` and `/v1/collections/{name}`: list, inspect, create and delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use cairn_ingest::domain::CollectionName;
use cairn_ingest::store::CollectionInfo;
use serde_json::{json, Value};

use super::error::ErrorBody;
use super::{ApiError, AppState};

/// Parses a collection name from the path.
pub fn collection_name(name: &str) -> Result<CollectionName, ApiError> {
    CollectionName::parse(name).map_err(|e| {
        ApiError::bad_request(
            "invalid_collection_name",
            e.to_string(),
            "example: support-faq",
        )
    })
}

#[utoipa::path(get, path = "/v1/collections", tag = "collections",
    responses((status = 200, description = "`{\"collections\": [CollectionInfo]}`")))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let collections = state.store.list_collections().await?;
    Ok(Json(json!({ "collections": collections })))
}

#[utoipa::path(get, path = "/v1/collections/{name}", tag = "collections",
    params(("name" = String, Path)),
    responses((status = 200, body = CollectionInfo), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<CollectionInfo>, ApiError> {
    let name = collection_name(&name)?;
    let info = state.store.collection(&name).await?;
    info.map(Json)
        .ok_or(ApiError::CollectionNotFound(name.to_string()))
}

/// Creates the collection with the embedder's dimension; 200 if it already existed.
#[utoipa::path(put, path = "/v1/collections/{name}", tag = "collections",
    params(("name" = String, Path)),
    responses((status = 201, body = CollectionInfo), (status = 200, body = CollectionInfo),
              (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<CollectionInfo>), ApiError> {
    let name = collection_name(&name)?;
    let existed = state.store.collection(&name).await?.is_some();
    let dimension = state.retriever.embedder.dimension();
    state.store.create_collection(&name, dimension).await?;
    let info = state
        .store
        .collection(&name)
        .await?
        .ok_or_else(|| ApiError::Internal("collection vanished after creation".into()))?;
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(info)))
}

#[utoipa::path(delete, path = "/v1/collections/{name}", tag = "collections",
    params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let name = collection_name(&name)?;
    if state.store.delete_collection(&name).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::CollectionNotFound(name.to_string()))
    }
}
