//! `POST /v1/collections/{name}/documents`: multipart file upload through the same ingest
//! pipeline as `cairn ingest`. A file's source is its uploaded name; uploading a file again
//! replaces its chunks.

use axum::extract::{Multipart, Path, State};
use cairn_ingest::pipeline::{IngestRequest, Summary};

use super::collections::collection_name;
use super::error::ErrorBody;
use super::{ApiError, AppState};

#[utoipa::path(post, path = "/v1/collections/{name}/documents", tag = "collections",
    params(("name" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "one or more `file` parts"),
    responses((status = 200, description = "the ingest summary (files, chunks, skipped with reasons)"),
              (status = 400, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    mut multipart: Multipart,
) -> Result<axum::Json<Summary>, ApiError> {
    let collection = collection_name(&name)?;
    let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut files = 0;
    while let Some(field) = multipart.next_field().await.map_err(bad_upload)? {
        let Some(file_name) = field.file_name().map(safe_name) else {
            continue; // a plain form field
        };
        let file_name = file_name?;
        let bytes = field.bytes().await.map_err(bad_upload)?;
        tokio::fs::write(dir.path().join(&file_name), &bytes)
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        files += 1;
    }
    if files == 0 {
        return Err(ApiError::bad_request(
            "no_files",
            "the upload holds no files",
            "send multipart/form-data with one or more file parts, e.g. curl -F file=@faq.md",
        ));
    }
    let request = IngestRequest {
        paths: vec![dir.path().to_path_buf()],
        collection,
        prune: false,
        dry_run: false,
        progress: false,
    };
    let summary = state.ingestor.run(&request).await.map_err(|e| {
        tracing::error!(error = %e, "upload ingest failed");
        ApiError::Internal(e.to_string())
    })?;
    Ok(axum::Json(summary))
}

/// The file name without any directory part; refuses names that are empty or hidden.
fn safe_name(name: &str) -> Result<String, ApiError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if base.is_empty() || base.starts_with('.') {
        return Err(ApiError::bad_request(
            "bad_file_name",
            format!("file name {name:?} cannot be stored"),
            "give each file a plain name such as faq.md",
        ));
    }
    Ok(base.to_owned())
}

fn bad_upload(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::bad_request(
        "bad_upload",
        e.body_text(),
        "send multipart/form-data with file parts",
    )
}
