//! The one error type of the HTTP API. Every error has a stable snake_case `code`, a status, a
//! message and a hint; 5xx errors log their cause and never send internal text to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cairn_ingest::store::StoreError;
use serde::Serialize;

use crate::llm::LlmError;
use crate::rag::answer::AnswerError;
use crate::rag::citations::Citation;
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
    #[error("answer {0:?} is not in the answer log")]
    AnswerNotFound(String),
    #[error("the answer log is unavailable: {0}")]
    LogUnavailable(String),
    #[error("internal error")]
    Internal(String),
    /// The language model failed; the retrieved passages still go back to the client.
    #[error("{error}")]
    Llm {
        error: LlmError,
        citations: Vec<Citation>,
    },
}

/// The JSON error body: `{"error": {"code", "message", "hint"}}`, plus the retrieved
/// `citations` when only the language model failed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citations: Option<Vec<Citation>>,
}

#[derive(Serialize, utoipa::ToSchema)]
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
            Self::AnswerNotFound(id) => (
                StatusCode::NOT_FOUND,
                "answer_not_found",
                format!("answer {id:?} is not in the answer log"),
                "use the answer_id of a /query response, or list answers with GET /v1/answers"
                    .into(),
            ),
            Self::LogUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "answer_log_unavailable",
                "the answer log could not be written or read".into(),
                "retry later; check the server log and the data directory's disk".into(),
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error".into(),
                "retry; if it persists, check the server log".into(),
            ),
            Self::Llm { error, .. } => llm_parts(error),
        }
    }

    /// The body (without the status), for errors sent inside an event stream.
    pub fn body(&self) -> ErrorBody {
        let (_, code, message, hint) = self.parts();
        let citations = match self {
            Self::Llm { citations, .. } => Some(citations.clone()),
            _ => None,
        };
        ErrorBody {
            error: ErrorDetail {
                code,
                message,
                hint,
            },
            citations,
        }
    }

    pub fn from_answer_error(e: &AnswerError) -> Self {
        match e {
            AnswerError::UnknownVariant { name, known } => Self::bad_request(
                "unknown_variant",
                format!("unknown variant {name:?}"),
                if known.is_empty() {
                    "no variants are configured; omit \"variant\"".to_owned()
                } else {
                    format!("configured variants: {known}")
                },
            ),
            AnswerError::Llm { error, citations } => Self::Llm {
                error: error.clone(),
                citations: citations.clone(),
            },
            AnswerError::Retrieve(RetrieveError::Store(StoreError::NotFound(name))) => {
                Self::CollectionNotFound(name.clone())
            }
            other => {
                tracing::error!(error = %other, "answering failed");
                Self::Internal(other.to_string())
            }
        }
    }
}

fn llm_parts(error: &LlmError) -> (StatusCode, &'static str, String, String) {
    let retry = "the retrieved passages are in \"citations\"; retry later".to_owned();
    match error {
        LlmError::Timeout => (
            StatusCode::GATEWAY_TIMEOUT,
            "llm_timeout",
            error.to_string(),
            retry,
        ),
        LlmError::Unavailable(_) => (
            StatusCode::BAD_GATEWAY,
            "llm_unavailable",
            "the language model is unavailable".into(),
            retry,
        ),
        LlmError::Rejected { .. } => (
            StatusCode::BAD_GATEWAY,
            "llm_rejected",
            "the language model rejected the request".into(),
            "ask a shorter question or lower top_k; the server log has the model's reason".into(),
        ),
        LlmError::Malformed(_) => (
            StatusCode::BAD_GATEWAY,
            "llm_bad_reply",
            "the language model sent a reply cairn cannot read".into(),
            retry,
        ),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, ..) = self.parts();
        (status, axum::Json(self.body())).into_response()
    }
}

impl From<AnswerError> for ApiError {
    fn from(e: AnswerError) -> Self {
        if let AnswerError::Llm { error, .. } = &e {
            tracing::warn!(error = %error, "language model failed");
        }
        Self::from_answer_error(&e)
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

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        Self::bad_request(
            "invalid_query_parameters",
            r.body_text(),
            "see /openapi.json for this route's parameters",
        )
    }
}

impl From<crate::answer_log::LogError> for ApiError {
    fn from(e: crate::answer_log::LogError) -> Self {
        tracing::error!(error = %e, "answer log");
        Self::LogUnavailable(e.to_string())
    }
}
