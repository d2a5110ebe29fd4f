//! `POST /v1/collections/{name}/documents`: multipart file upload through the same ingest
//! pipeline as `cairn ingest`. A file's source is its uploaded name; uploading a file again
//! replaces its chunks.

use axum::extract::State;
use cairn_ingest::pipeline::Summary;

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

#[utoipa::path(post, operation_id = "upload_documents", path = "/v1/collections/{name}/documents", tag = "collections",
    params(validate::NamePath),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = Object, description = "the ingest summary (files, chunks, skipped with reasons)"),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn upload(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Multipart(mut multipart): Multipart,
) -> Result<axum::Json<Summary>, ApiError> {
    let collection = validate::collection(&name)?;
    let dir = tempfile::tempdir().map_err(|e| internal(&e))?;
    let mut files = 0;
    while let Some(field) = multipart.next_field().await? {
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
        let bytes = field.bytes().await?;
        tokio::fs::write(dir.path().join(&file_name), &bytes)
            .await
            .map_err(|e| internal(&e))?;
        files += 1;
    }
    if files == 0 {
        return Err(ApiError::new(Code::NoFiles));
    }
    let summary = app.ingest_dir(collection, dir.path().to_path_buf()).await?;
    Ok(axum::Json(summary))
}

fn internal(e: &std::io::Error) -> ApiError {
    tracing::error!(error = %e, "upload: cannot write a temporary file");
    ApiError::new(Code::Internal)
}

/// The file name without any directory part; refuses names that are empty or hidden.
fn safe_name(name: &str) -> Result<String, ApiError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if base.is_empty() || base.starts_with('.') {
        return Err(ApiError::new(Code::BadFileName)
            .message(format!("file name {name:?} cannot be stored")));
    }
    Ok(base.to_owned())
}
