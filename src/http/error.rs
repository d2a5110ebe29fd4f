//! The one error type of the HTTP API. Every error has a stable snake_case `code`, a status, a
//! message and a hint; 5xx errors log their cause and never send internal text to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cairn_ingest::store::StoreError;
use serde::Serialize;

use crate::retrieve::RetrieveError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        hint: String,
    },
    #[error("collection {0:?} does not exist")]
    CollectionNotFound(String),
    #[error("no such route")]
    RouteNotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("request body is not valid JSON for this endpoint: {0}")]
    InvalidJson(String),
    #[error("expected Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("the vector store is unavailable")]
    StoreUnavailable(String),
    #[error("internal error")]
    Internal(String),
}

/// The JSON error body: `{"error": {"code", "message", "hint"}}`.
#[derive(Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
    pub hint: String,
}

impl ApiError {
    pub fn bad_request(
        code: &'static str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
            hint: hint.into(),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, String, String) {
        match self {
            Self::BadRequest { code, message, hint } => {
                (StatusCode::BAD_REQUEST, code, message.clone(), hint.clone())
            }
            Self::CollectionNotFound(name) => (
                StatusCode::NOT_FOUND,
                "collection_not_found",
                format!("collection {name:?} does not exist"),
                "list collections with GET /v1/collections, or create it with PUT /v1/collections/{name}".into(),
            ),
            Self::RouteNotFound => (
                StatusCode::NOT_FOUND,
                "route_not_found",
                "no such route".into(),
                "see /openapi.json for the API's routes".into(),
            ),
            Self::Conflict(message) => (
                StatusCode::CONFLICT,
                "collection_conflict",
                message.clone(),
                "use another collection name, or delete the existing one first".into(),
            ),
            Self::InvalidJson(detail) => (
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("request body is not valid JSON for this endpoint: {detail}"),
                "see /openapi.json for the request schema".into(),
            ),
            Self::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected a JSON body".into(),
                "send the header Content-Type: application/json".into(),
            ),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body too large".into(),
                "send a smaller body".into(),
            ),
            Self::StoreUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the vector store is unavailable".into(),
                "retry later; GET /readyz reports each dependency".into(),
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error".into(),
                "retry; if it persists, check the server log".into(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, hint) = self.parts();
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message,
                hint,
            },
        };
        (status, axum::Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(name) => Self::CollectionNotFound(name),
            StoreError::DimensionMismatch { .. } => Self::Conflict(e.to_string()),
            StoreError::Locked(..) | StoreError::Backend(_) => {
                tracing::error!(error = %e, "vector store failed");
                Self::StoreUnavailable(e.to_string())
            }
            StoreError::Payload(_) => {
                tracing::error!(error = %e, "stored payload unreadable");
                Self::Internal(e.to_string())
            }
        }
    }
}

impl From<RetrieveError> for ApiError {
    fn from(e: RetrieveError) -> Self {
        match e {
            RetrieveError::Store(e) => e.into(),
            RetrieveError::Embed(_) | RetrieveError::Task(_) => {
                tracing::error!(error = %e, "retrieval failed");
                Self::Internal(e.to_string())
            }
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as R;
        match r {
            R::MissingJsonContentType(_) => Self::UnsupportedMediaType,
            R::BytesRejection(ref b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Self::PayloadTooLarge
            }
            other => Self::InvalidJson(other.body_text()),
        }
    }
}
