//! The one error type of the HTTP API and its table of codes. Every error body is
//! `{"error": {"code", "message", "hint"}}`; the code, its status, default message and hint come
//! from one table ([`Code`]), which `/openapi.json` and docs/api.md list. 5xx errors log their
//! cause where they are converted and never send internal text to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cairn_ingest::store::StoreError;
use serde::Serialize;

use crate::app::AppError;
use crate::experiments::ExperimentError;
use crate::llm::LlmError;
use crate::rag::answer::AnswerError;
use crate::rag::citations::Citation;
use crate::retrieve::RetrieveError;

macro_rules! error_codes {
    ($($variant:ident: $code:literal, $status:ident, $message:literal, $hint:literal;)*) => {
        /// Every error code of the API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            pub fn status(self) -> StatusCode {
                match self { $(Code::$variant => StatusCode::$status,)* }
            }

            /// The message when the error has no more specific one.
            pub fn message(self) -> &'static str {
                match self { $(Code::$variant => $message,)* }
            }

            pub fn hint(self) -> &'static str {
                match self { $(Code::$variant => $hint,)* }
            }
        }
    };
}

error_codes! {
    InvalidJson: "invalid_json", BAD_REQUEST, "the request body is not valid JSON for this endpoint", "see /openapi.json for the request schema";
    UnsupportedMediaType: "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "expected a JSON body", "send the header Content-Type: application/json";
    PayloadTooLarge: "payload_too_large", PAYLOAD_TOO_LARGE, "the request body is too large", "send a smaller body (JSON up to 256 KiB, uploads up to 64 MiB)";
    InvalidQueryParameters: "invalid_query_parameters", BAD_REQUEST, "the query string is not valid for this route", "see /openapi.json for this route's parameters";
    InvalidPathParameter: "invalid_path_parameter", BAD_REQUEST, "a path parameter is not valid", "see /openapi.json for this route's parameters";
    RouteNotFound: "route_not_found", NOT_FOUND, "no such route", "see /openapi.json for the API's routes";
    MethodNotAllowed: "method_not_allowed", METHOD_NOT_ALLOWED, "this route does not accept that method", "see /openapi.json for the methods of each route";
    RequestTimeout: "request_timeout", REQUEST_TIMEOUT, "the request took longer than 120 s", "ask with a smaller top_k, or upload fewer files at once";
    InvalidCollectionName: "invalid_collection_name", BAD_REQUEST, "invalid collection name", "use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-', e.g. support-faq";
    CollectionNotFound: "collection_not_found", NOT_FOUND, "the collection does not exist", "list collections with GET /v1/collections, or create it with PUT /v1/collections/{name}";
    CollectionConflict: "collection_conflict", CONFLICT, "the collection exists with another vector size", "use another collection name, or delete the existing one first";
    EmptyQuery: "empty_query", BAD_REQUEST, "query is empty", "send a non-empty \"query\"";
    QueryTooLong: "query_too_long", BAD_REQUEST, "query is too long", "shorten the query (at most 2000 characters)";
    EmptyQuestion: "empty_question", BAD_REQUEST, "question is empty", "send a non-empty \"question\"";
    QuestionTooLong: "question_too_long", BAD_REQUEST, "question is too long", "shorten the question (at most 2000 characters)";
    TopKOutOfRange: "top_k_out_of_range", BAD_REQUEST, "top_k is out of range", "omit top_k for the configured default";
    PerSourceOutOfRange: "per_source_out_of_range", BAD_REQUEST, "per_source is out of range", "use 0 (no limit) to 50, or omit it for 3";
    InvalidVariants: "invalid_variants", BAD_REQUEST, "the variants of the evaluation are not valid", "name each variant once, at most 10 of them";
    UnknownVariant: "unknown_variant", BAD_REQUEST, "unknown variant", "omit \"variant\", or use one of the [variants] of the configuration";
    EmptyAnswer: "empty_answer", BAD_REQUEST, "answer is empty", "send a non-empty \"answer\"";
    AnswerTooLong: "answer_too_long", BAD_REQUEST, "answer is too long", "shorten the answer (at most 20000 characters and 200 sentences)";
    EmptyContext: "empty_context", BAD_REQUEST, "context has no passages", "send the passages the answer was written from, as \"context\": [\"...\"]";
    ContextTooLong: "context_too_long", BAD_REQUEST, "context is too long", "send only the passages the answer was written from (at most 100 passages, 200000 characters)";
    NoLlmConfigured: "no_llm_configured", BAD_REQUEST, "the llm_judge method needs a language model, and none is configured", "set llm.base_url (CAIRN_LLM__BASE_URL), or use \"method\": \"lexical\"";
    CommentTooLong: "comment_too_long", BAD_REQUEST, "comment is too long", "shorten the comment (at most 2000 characters)";
    TextTooLong: "text_too_long", BAD_REQUEST, "a text field is too long", "shorten the field named in the message (a note: at most 2000 characters; a corrected answer: at most 20000)";
    LimitOutOfRange: "limit_out_of_range", BAD_REQUEST, "limit is out of range", "omit limit for pages of 50 (at most 200)";
    AnswerNotFound: "answer_not_found", NOT_FOUND, "the answer is not in the answer log", "use the answer_id of a /query response, or list answers with GET /v1/answers";
    NoFiles: "no_files", BAD_REQUEST, "the upload holds no files", "send multipart/form-data with one or more file parts, e.g. curl -F file=@faq.md";
    BadFileName: "bad_file_name", BAD_REQUEST, "a file name cannot be stored", "give each file a plain name such as faq.md";
    BadUpload: "bad_upload", BAD_REQUEST, "the upload is not valid multipart/form-data", "send multipart/form-data with file parts, e.g. curl -F file=@faq.md";
    InvalidDataset: "invalid_dataset", BAD_REQUEST, "the dataset is not valid; nothing was stored", "fix the row named in the message (docs/evaluation.md lists the fields) and import again";
    InvalidDatasetName: "invalid_dataset_name", BAD_REQUEST, "invalid dataset name", "use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'";
    DatasetNotFound: "dataset_not_found", NOT_FOUND, "the dataset does not exist", "list datasets with GET /v1/datasets, or import one with POST /v1/datasets/{name}";
    EvalNotFound: "eval_not_found", NOT_FOUND, "the evaluation run does not exist", "list runs with GET /v1/evals";
    InvalidExperiment: "invalid_experiment", BAD_REQUEST, "the experiment is not valid", "give 2 to 10 arms, each a configured variant (GET /v1/variants) with a weight of 1 to 10000";
    ExperimentConflict: "experiment_conflict", CONFLICT, "another running experiment splits the same collection", "stop the other experiment (\"state\": \"stopped\") or give this one another collection";
    ExperimentReadOnly: "experiment_read_only", CONFLICT, "the experiment is defined in the configuration file", "change it in cairn.toml ([experiments.NAME]) and restart, or create an experiment with another name";
    ExperimentNotFound: "experiment_not_found", NOT_FOUND, "the experiment does not exist", "list experiments with GET /v1/experiments, or create one with PUT /v1/experiments/{name}";
    JobNotFound: "job_not_found", NOT_FOUND, "the upload job is not known", "use the job_id of a 202 upload response; finished jobs are kept until 200 newer ones finish, and not across restarts";
    TooManyFiles: "too_many_files", BAD_REQUEST, "the upload holds too many files", "send at most 1000 files per upload (several uploads are fine)";
    ChunkNotFound: "chunk_not_found", NOT_FOUND, "the passage is not in the collection", "use a chunk_id of a citation or a /search hit of this collection";
    InvalidPreference: "invalid_preference", BAD_REQUEST, "the preference is not valid", "give two different logged answers to the same question, as \"left\" and \"right\"";
    Unauthorized: "unauthorized", UNAUTHORIZED, "an API key is required", "send the header Authorization: Bearer KEY (the admin key, or a query key to ask, search, check grounding and rate)";
    Forbidden: "forbidden", FORBIDDEN, "this API key may not call this route", "use the admin key: query keys may ask, search, check grounding, rate answers and read them";
    CrossOriginWrite: "cross_origin_write", FORBIDDEN, "a write from a web page of another origin is refused", "call the API from cairn's own web app or from a client that is not a browser, or list the page's origin in cors_origins";
    HostNotAllowed: "host_not_allowed", FORBIDDEN, "cairn runs without API keys and answers only to a loopback host name", "open it as http://127.0.0.1:PORT or http://localhost:PORT, or set an admin key (CAIRN_ADMIN_KEY) to serve other names";
    RateLimited: "rate_limited", TOO_MANY_REQUESTS, "too many requests from this key (or address)", "wait the seconds given in the Retry-After header; limits.requests_per_second and limits.burst set the rate";
    Overloaded: "overloaded", SERVICE_UNAVAILABLE, "the server is busy answering other requests", "retry after the seconds given in the Retry-After header";
    LlmTimeout: "llm_timeout", GATEWAY_TIMEOUT, "the language model did not answer in time", "the retrieved passages are in \"citations\"; retry later";
    LlmUnavailable: "llm_unavailable", BAD_GATEWAY, "the language model is unavailable", "the retrieved passages are in \"citations\"; retry later";
    LlmRejected: "llm_rejected", BAD_GATEWAY, "the language model rejected the request", "ask a shorter question or lower top_k; the server log has the model's reason";
    LlmBadReply: "llm_bad_reply", BAD_GATEWAY, "the language model sent a reply cairn cannot read", "the retrieved passages are in \"citations\"; retry later";
    StoreUnavailable: "store_unavailable", SERVICE_UNAVAILABLE, "the vector store is unavailable", "retry later; GET /readyz reports each dependency";
    AnswerLogUnavailable: "answer_log_unavailable", SERVICE_UNAVAILABLE, "the answer log (or the store of datasets and evaluation runs) could not be written or read", "retry later; check the server log and the data directory's disk";
    Internal: "internal", INTERNAL_SERVER_ERROR, "internal error", "retry; if it persists, check the server log";
}

/// An API error: a code from the table, with a more specific message or hint when known.
#[derive(Debug)]
pub struct ApiError {
    code: Code,
    message: Option<String>,
    hint: Option<String>,
    /// The retrieved passages, when only the language model failed.
    citations: Option<Vec<Citation>>,
    /// Seconds for the `Retry-After` header (429 and 503).
    retry_after: Option<u64>,
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
    /// One of the codes listed in this document's `x-error-codes`.
    pub code: &'static str,
    pub message: String,
    pub hint: String,
}

impl ApiError {
    pub fn new(code: Code) -> Self {
        Self {
            code,
            message: None,
            hint: None,
            citations: None,
            retry_after: None,
        }
    }

    /// Tells the client when to try again (`Retry-After`).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// A specific message; ignored for 5xx codes, whose details stay in the server log.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        if !code_is_internal(self.code) {
            self.message = Some(message.into());
        }
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The body (without the status), also for errors sent inside an event stream.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str(),
                message: self
                    .message
                    .clone()
                    .unwrap_or_else(|| self.code.message().to_owned()),
                hint: self
                    .hint
                    .clone()
                    .unwrap_or_else(|| self.code.hint().to_owned()),
            },
            citations: self.citations.clone(),
        }
    }

    fn internal(cause: &dyn std::fmt::Display, what: &str) -> Self {
        tracing::error!(error = %cause, "{what}");
        Self::new(Code::Internal)
    }
}

fn code_is_internal(code: Code) -> bool {
    code.status().is_server_error()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.code.status(), axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        if self.code == Code::Unauthorized {
            headers.insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

fn llm(error: &LlmError, citations: Vec<Citation>) -> ApiError {
    let code = match error {
        LlmError::Timeout => Code::LlmTimeout,
        LlmError::Unavailable(_) => Code::LlmUnavailable,
        LlmError::Rejected { .. } => Code::LlmRejected,
        LlmError::Malformed(_) => Code::LlmBadReply,
    };
    tracing::warn!(error = %error, "language model failed");
    ApiError {
        citations: Some(citations),
        ..ApiError::new(code)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Answer(e) => e.into(),
            AppError::Retrieve(e) => e.into(),
            AppError::Store(e) => e.into(),
            AppError::Log(e) => {
                tracing::error!(error = %e, "answer log");
                Self::new(Code::AnswerLogUnavailable)
            }
            AppError::Ground(e) => Self::internal(&e, "grounding check failed"),
            AppError::Embed(e) => Self::internal(&e, "embedding failed"),
            AppError::Ingest(cairn_ingest::pipeline::IngestError::Store(e)) => e.into(),
            AppError::Ingest(e) => Self::internal(&e, "upload ingest failed"),
            AppError::Panicked(e) => Self::internal(&e, "a worker task panicked"),
            AppError::Internal(e) => Self::internal(&e, "internal error"),
            AppError::Dataset(e) => match e {
                crate::eval::dataset::DatasetError::Name(_) => {
                    Self::new(Code::InvalidDatasetName).message(e.to_string())
                }
                other => Self::new(Code::InvalidDataset).message(other.to_string()),
            },
            AppError::AnswerNotFound(id) => Self::new(Code::AnswerNotFound)
                .message(format!("answer {id:?} is not in the answer log")),
            AppError::CollectionNotFound(name) => not_found_collection(&name),
            AppError::DatasetNotFound(name) => {
                Self::new(Code::DatasetNotFound).message(format!("dataset {name:?} does not exist"))
            }
            AppError::EvalNotFound(id) => Self::new(Code::EvalNotFound)
                .message(format!("evaluation run {id:?} does not exist")),
            AppError::NoLlm => Self::new(Code::NoLlmConfigured),
            AppError::InvalidVariants(message) => Self::new(Code::InvalidVariants).message(message),
            AppError::Judge(error) => llm(&error, Vec::new()),
            AppError::Experiment(e) => {
                let code = match &e {
                    ExperimentError::Invalid(..) => Code::InvalidExperiment,
                    ExperimentError::Conflict { .. } => Code::ExperimentConflict,
                    ExperimentError::ReadOnly(_) => Code::ExperimentReadOnly,
                };
                Self::new(code).message(e.to_string())
            }
            AppError::JobNotFound(id) => Self::new(Code::JobNotFound)
                .message(format!("upload job {id:?} is not known to this server")),
            AppError::ExperimentNotFound(name) => Self::new(Code::ExperimentNotFound)
                .message(format!("experiment {name:?} does not exist")),
            AppError::ChunkNotFound { collection, chunk } => Self::new(Code::ChunkNotFound)
                .message(format!(
                    "passage {chunk:?} is not in collection {collection:?}"
                )),
            AppError::InvalidPreference(m) => Self::new(Code::InvalidPreference).message(m),
        }
    }
}

fn not_found_collection(name: &str) -> ApiError {
    ApiError::new(Code::CollectionNotFound).message(format!("collection {name:?} does not exist"))
}

fn unknown_variant(name: &str, known: &str) -> ApiError {
    let hint = if known.is_empty() {
        "no variants are configured; omit \"variant\"".to_owned()
    } else {
        format!("configured variants: default, {known}")
    };
    ApiError::new(Code::UnknownVariant)
        .message(format!("unknown variant {name:?}"))
        .hint(hint)
}

impl From<AnswerError> for ApiError {
    fn from(e: AnswerError) -> Self {
        match e {
            AnswerError::UnknownVariant { name, known } => unknown_variant(&name, &known),
            AnswerError::Llm { error, citations } => llm(&error, citations),
            AnswerError::Retrieve(e) => e.into(),
            other => Self::internal(&other, "answering failed"),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(name) => not_found_collection(&name),
            StoreError::DimensionMismatch { .. } => {
                Self::new(Code::CollectionConflict).message(e.to_string())
            }
            StoreError::Locked(..) | StoreError::Backend(_) => {
                tracing::error!(error = %e, "vector store failed");
                Self::new(Code::StoreUnavailable)
            }
            StoreError::Payload(_) => Self::internal(&e, "stored payload unreadable"),
        }
    }
}

impl From<RetrieveError> for ApiError {
    fn from(e: RetrieveError) -> Self {
        match e {
            RetrieveError::Store(e) => e.into(),
            RetrieveError::Embed(_) | RetrieveError::Task(_) => {
                Self::internal(&e, "retrieval failed")
            }
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as R;
        match r {
            R::MissingJsonContentType(_) => Self::new(Code::UnsupportedMediaType),
            R::BytesRejection(ref b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Self::new(Code::PayloadTooLarge)
            }
            other => Self::new(Code::InvalidJson).message(format!(
                "the request body is not valid JSON for this endpoint: {}",
                other.body_text()
            )),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        Self::new(Code::InvalidQueryParameters).message(r.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        Self::new(Code::InvalidPathParameter).message(r.body_text())
    }
}

impl From<axum::extract::multipart::MultipartRejection> for ApiError {
    fn from(r: axum::extract::multipart::MultipartRejection) -> Self {
        Self::new(Code::BadUpload).message(r.body_text())
    }
}

impl From<axum::extract::multipart::MultipartError> for ApiError {
    fn from(e: axum::extract::multipart::MultipartError) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::new(Code::PayloadTooLarge);
        }
        Self::new(Code::BadUpload).message(e.body_text())
    }
}

impl From<axum::extract::rejection::StringRejection> for ApiError {
    fn from(r: axum::extract::rejection::StringRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::new(Code::PayloadTooLarge);
        }
        Self::new(Code::InvalidDataset).message(r.body_text())
    }
}
