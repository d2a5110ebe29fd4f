//! `POST /v1/collections/{name}/documents`: multipart file upload through the same ingest
//! pipeline as `cairn ingest`. A file's source is its uploaded name; uploading a file again
//! replaces its chunks.

use std::collections::HashSet;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncWriteExt;

use crate::app::{JobFailure, JobState, JobStatus};

use super::error::{Code, ErrorBody};
use super::json::{Multipart, Path};
use super::{validate, ApiError, AppState};

/// The upload form: one or more `file` parts, nothing else.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadForm {
    /// A file; its file name (without directories) is its source, and its extension its format.
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1)]
    #[allow(dead_code)] // read by the OpenAPI derive only
    file: Vec<Vec<u8>>,
}

/// Files per upload.
pub const MAX_FILES: usize = 1000;
/// Bytes of a file name (most file systems allow 255).
pub const MAX_NAME_BYTES: usize = 255;

/// Uploads are jobs: the parts stream to disk, then the files are ingested by a job that
/// outlives the request. An upload done within `limits.upload_wait_ms` (10 s) answers 200 with the summary; a longer
/// one answers 202 with the job, to follow at `Location` (`GET …/jobs/{job_id}`).
#[utoipa::path(post, operation_id = "upload_documents", path = "/v1/collections/{name}/documents", tag = "collections",
    params(validate::NamePath),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = Object, description = "the ingest summary (files, chunks, skipped with reasons, redacted)"),
              (status = 202, body = Object, description = "still ingesting: the job (job_id, status, files_done, files_total, chunks); poll GET /v1/collections/{name}/jobs/{job_id}"),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn upload(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Multipart(mut multipart): Multipart,
) -> Result<Response, ApiError> {
    let collection = validate::collection(&name)?;
    let upload = app.new_upload()?;
    let dir = upload.files();
    let mut names = HashSet::new();
    while let Some(mut field) = multipart.next_field().await? {
        let file_name = match (field.name(), field.file_name()) {
            (Some("file"), Some(name)) => safe_name(name)?,
            (Some("file"), None) => {
                return Err(ApiError::new(Code::BadUpload)
                    .message("a `file` part has no file name")
                    .hint("send each file as a file part, e.g. curl -F file=@faq.md"))
            }
            (other, _) => {
                return Err(ApiError::new(Code::BadUpload).message(format!(
                    "unexpected form field {:?}: the upload takes only `file` parts",
                    other.unwrap_or_default()
                )))
            }
        };
        if !names.insert(file_name.clone()) {
            return Err(ApiError::new(Code::BadFileName).message(format!(
                "the file name {file_name:?} appears twice in the upload: each file is a source, so names must differ"
            )));
        }
        if names.len() > MAX_FILES {
            return Err(ApiError::new(Code::TooManyFiles)
                .message(format!("the upload holds more than {MAX_FILES} files")));
        }
        // Chunk by chunk: a part is never held whole in memory.
        let mut file = tokio::fs::File::create(dir.join(&file_name))
            .await
            .map_err(|e| internal(&e))?;
        while let Some(chunk) = field.chunk().await? {
            file.write_all(&chunk).await.map_err(|e| internal(&e))?;
        }
        file.flush().await.map_err(|e| internal(&e))?;
    }
    if names.is_empty() {
        return Err(ApiError::new(Code::NoFiles));
    }
    let job = app.start_upload(collection.clone(), upload)?;
    match job.finished_within(app.upload_wait()).await {
        Some(JobState::Succeeded { summary }) => Ok(axum::Json(summary).into_response()),
        Some(JobState::Failed { error }) => Err(failed(&error)),
        Some(JobState::Running) | None => {
            let location = format!("/v1/collections/{collection}/jobs/{}", job.id());
            Ok((
                StatusCode::ACCEPTED,
                [(header::LOCATION, location)],
                axum::Json(job.status()),
            )
                .into_response())
        }
    }
}

/// An upload job: its progress, then its summary (or why it failed).
#[utoipa::path(get, operation_id = "get_upload_job", path = "/v1/collections/{name}/jobs/{job_id}", tag = "collections",
    params(validate::NamePath, ("job_id" = String, Path, description = "from a 202 upload response")),
    responses((status = 200, body = Object, description = "job_id, collection, status (running, succeeded, failed), files_done, files_total, chunks, and summary or error"),
              (status = 404, body = ErrorBody)))]
pub async fn job(
    State(app): State<AppState>,
    Path((name, job_id)): Path<(String, String)>,
) -> Result<axum::Json<JobStatus>, ApiError> {
    let collection = validate::collection(&name)?;
    Ok(axum::Json(app.job(&collection, &job_id)?))
}

fn failed(error: &JobFailure) -> ApiError {
    let code = if error.store_unavailable {
        Code::StoreUnavailable
    } else {
        Code::Internal
    };
    ApiError::new(code)
}

fn internal(e: &std::io::Error) -> ApiError {
    tracing::error!(error = %e, "upload: cannot write a temporary file");
    ApiError::new(Code::Internal)
}

/// The file name without any directory part; refuses names that are empty, hidden or longer
/// than [`MAX_NAME_BYTES`].
fn safe_name(name: &str) -> Result<String, ApiError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if base.is_empty() || base.starts_with('.') || base.contains('\0') {
        return Err(ApiError::new(Code::BadFileName)
            .message(format!("file name {name:?} cannot be stored")));
    }
    if base.len() > MAX_NAME_BYTES {
        return Err(ApiError::new(Code::BadFileName).message(format!(
            "a file name has {} bytes; the limit is {MAX_NAME_BYTES}",
            base.len()
        )));
    }
    Ok(base.to_owned())
}
