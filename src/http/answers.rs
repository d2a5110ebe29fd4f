//! The answer log over HTTP: feedback, reviews, pairwise preferences, answers by id and by page,
//! the export of rated answers, statistics and insights.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Extension;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::error::{Code, ErrorBody};
use super::json::{Client, Json, Path, Query};
use super::{ApiError, AppState};
use crate::answer_log::stats::{Stats, Tally};
use crate::answer_log::{
    AnswerFilter, AuditEntry, Feedback, Forgotten, LoggedAnswer, Page, Preference, Preferred,
    Rating, Reason, Review, Side, Verdict,
};
use crate::insights::Insights;

pub const MAX_COMMENT_CHARS: usize = 2000;
pub const MAX_CORRECTED_CHARS: usize = 20_000;
pub const MAX_PAGE: usize = 200;

/// A rating: only `rating` is required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    pub rating: Rating,
    #[serde(default)]
    pub reason: Option<Reason>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedbackResponse {
    pub answer_id: String,
    /// True when this client's earlier rating of the answer was replaced.
    pub replaced: bool,
    pub feedback: Feedback,
}

/// Rates an answer. The client is the `X-Client-Id` header, or else the caller's IP address;
/// rating again from the same client replaces the earlier rating. A 201 means it is on disk.
#[utoipa::path(post, operation_id = "rate_answer", path = "/v1/answers/{id}/feedback", tag = "feedback",
    params(("id" = String, Path, description = "answer_id of a /query response"),
           ("X-Client-Id" = Option<String>, Header, description = "who is rating")),
    request_body = FeedbackRequest,
    responses((status = 201, body = FeedbackResponse), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn feedback(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Client(client): Client,
    caller: Option<Extension<Caller>>,
    Json(request): Json<FeedbackRequest>,
) -> Result<impl IntoResponse, ApiError> {
    app.check_reader(&id, reader(&caller)).await?;
    let feedback = Feedback {
        rating: request.rating,
        reason: request.reason,
        comment: bounded(
            "comment",
            request.comment,
            MAX_COMMENT_CHARS,
            Code::CommentTooLong,
        )?,
        client,
        created_at: Utc::now(),
    };
    let replaced = app.rate(&id, feedback.clone()).await?;
    let body = FeedbackResponse {
        answer_id: id,
        replaced,
        feedback,
    };
    Ok((StatusCode::CREATED, axum::Json(body)))
}

/// An optional text field, trimmed (blank is absent), refused past `max` characters.
fn bounded(
    field: &str,
    text: Option<String>,
    max: usize,
    code: Code,
) -> Result<Option<String>, ApiError> {
    let Some(text) = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let chars = text.chars().count();
    if chars > max {
        return Err(ApiError::new(code).message(format!(
            "{field} has {chars} characters; the limit is {max}"
        )));
    }
    Ok(Some(text))
}

/// A reviewer's verdict on an answer of the review queue.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub verdict: Verdict,
    /// What the answer should have said (add it to a dataset with POST /v1/datasets/{name}/items).
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub corrected_answer: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewResponse {
    pub answer_id: String,
    pub review: Review,
}

/// Reviews an answer (replacing an earlier review): it leaves the review queue
/// (`GET /v1/answers?needs_review=true`). A 201 means it is on disk.
#[utoipa::path(post, operation_id = "review_answer", path = "/v1/answers/{id}/review", tag = "feedback",
    params(("id" = String, Path, description = "answer_id"),
           ("X-Client-Id" = Option<String>, Header, description = "who is reviewing")),
    request_body = ReviewRequest,
    responses((status = 201, body = ReviewResponse), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn review(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Client(reviewer): Client,
    Json(request): Json<ReviewRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let review = Review {
        verdict: request.verdict,
        corrected_answer: bounded(
            "corrected_answer",
            request.corrected_answer,
            MAX_CORRECTED_CHARS,
            Code::TextTooLong,
        )?,
        note: bounded("note", request.note, MAX_COMMENT_CHARS, Code::TextTooLong)?,
        reviewer,
        created_at: Utc::now(),
    };
    let review = app.review(&id, review).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ReviewResponse {
            answer_id: id,
            review,
        }),
    ))
}

/// A blind (or open) choice between two answers to one question.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferenceRequest {
    pub collection: String,
    pub question: String,
    pub left: Side,
    pub right: Side,
    pub preferred: Preferred,
    /// Whether the person could not see which variant gave which answer.
    #[serde(default)]
    pub blind: bool,
}

/// Records which of two answers a person preferred (compare mode). Both must be logged
/// answers to `question`. A 201 means it is on disk.
#[utoipa::path(post, operation_id = "record_preference", path = "/v1/preferences", tag = "feedback",
    params(("X-Client-Id" = Option<String>, Header, description = "who is choosing")),
    request_body = PreferenceRequest,
    responses((status = 201, body = Preference), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn prefer(
    State(app): State<AppState>,
    Client(client): Client,
    Json(request): Json<PreferenceRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let name = super::validate::collection(&request.collection)?;
    let preference = Preference {
        collection: name.to_string(),
        question: request.question,
        left: request.left,
        right: request.right,
        preferred: request.preferred,
        blind: request.blind,
        client,
        created_at: Utc::now(),
    };
    Ok((
        StatusCode::CREATED,
        axum::Json(app.prefer(preference).await?),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PreferenceParams {
    /// Only this collection's preferences.
    pub collection: Option<String>,
}

/// Wins, losses and ties per pair of variants compared side by side.
#[utoipa::path(get, operation_id = "preferences", path = "/v1/preferences", tag = "feedback",
    params(PreferenceParams),
    responses((status = 200, body = Tally), (status = 400, body = ErrorBody)))]
pub async fn preferences(
    State(app): State<AppState>,
    Query(params): Query<PreferenceParams>,
) -> Result<axum::Json<Tally>, ApiError> {
    Ok(axum::Json(app.preferences(params.collection).await?))
}

/// One logged answer with its feedback.
#[utoipa::path(get, operation_id = "get_answer", path = "/v1/answers/{id}", tag = "feedback",
    params(("id" = String, Path, description = "answer_id")),
    responses((status = 200, body = LoggedAnswer), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<AppState>,
    Path(id): Path<String>,
    caller: Option<Extension<Caller>>,
) -> Result<axum::Json<LoggedAnswer>, ApiError> {
    app.check_reader(&id, reader(&caller)).await?;
    Ok(axum::Json(app.logged_answer(&id).await?))
}

/// The query key whose own answers are the only ones it may read or rate.
fn reader(caller: &Option<Extension<Caller>>) -> Option<&str> {
    caller.as_ref().and_then(|Extension(c)| c.query_key())
}

/// Query parameters of `GET /v1/answers`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub collection: Option<String>,
    pub variant: Option<String>,
    /// Answers with at least one rating of this kind.
    pub rating: Option<Rating>,
    pub hallucinated: Option<bool>,
    /// RFC 3339, inclusive.
    pub since: Option<DateTime<Utc>>,
    /// RFC 3339, exclusive.
    pub until: Option<DateTime<Utc>>,
    /// Answers assigned an arm of this experiment.
    pub experiment: Option<String>,
    /// True: the review queue (rated down or hallucinated, not reviewed yet).
    pub needs_review: Option<bool>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<i64>,
}

/// Logged answers, newest first, a page at a time.
#[utoipa::path(get, operation_id = "list_answers", path = "/v1/answers", tag = "feedback", params(ListParams),
    responses((status = 200, body = Page), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<axum::Json<Page>, ApiError> {
    let limit = params.limit.unwrap_or(50);
    super::validate::range(
        limit,
        MAX_PAGE,
        "limit",
        Code::LimitOutOfRange,
        Code::LimitOutOfRange.hint(),
    )?;
    let filter = AnswerFilter {
        collection: params.collection,
        variant: params.variant,
        rating: params.rating,
        hallucinated: params.hallucinated,
        since: params.since,
        until: params.until,
        experiment: params.experiment,
        needs_review: params.needs_review,
    };
    Ok(axum::Json(app.answers(filter, limit, params.cursor).await?))
}

/// Whose data to delete.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ForgetParams {
    /// The `X-Client-Id` (or address) the answers and ratings were recorded under.
    #[param(min_length = 1, max_length = 200)]
    pub client_id: String,
}

/// Deletes one user's data: every answer they asked for (with all its ratings and its
/// review), their ratings of other answers and their preferences. Audited.
#[utoipa::path(delete, operation_id = "forget_client", path = "/v1/answers", tag = "feedback", params(ForgetParams),
    responses((status = 200, body = Forgotten, description = "what was deleted (zeros when nothing was stored)"),
              (status = 400, body = ErrorBody)))]
pub async fn forget(
    State(app): State<AppState>,
    Query(params): Query<ForgetParams>,
) -> Result<axum::Json<Forgotten>, ApiError> {
    let client = params.client_id.trim();
    if client.is_empty() || client.chars().count() > 200 {
        return Err(ApiError::new(Code::InvalidQueryParameters)
            .message("client_id must have 1 to 200 characters"));
    }
    Ok(axum::Json(app.forget_client(client).await?))
}

/// Query parameters of `GET /v1/audit`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// How many of the newest entries (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
}

/// The audit log: every admin action (who, what, when, and the status it got), newest first.
#[utoipa::path(get, operation_id = "audit_log", path = "/v1/audit", tag = "feedback", params(AuditParams),
    responses((status = 200, body = AuditLog), (status = 400, body = ErrorBody)))]
pub async fn audit(
    State(app): State<AppState>,
    Query(params): Query<AuditParams>,
) -> Result<axum::Json<AuditLog>, ApiError> {
    let limit = params.limit.unwrap_or(100);
    super::validate::range(limit, 1000, "limit", Code::LimitOutOfRange, "use 1 to 1000")?;
    Ok(axum::Json(AuditLog {
        entries: app.audit_log(limit).await?,
    }))
}

/// Rated answers as JSON Lines, one row per rating of the requested kind (all ratings when
/// `rating` is omitted).
#[utoipa::path(get, operation_id = "export_feedback", path = "/v1/feedback/export", tag = "feedback", params(AnswerFilter),
    responses((status = 200, content_type = "application/x-ndjson", body = String,
               description = "one JSON object per line: answer_id, collection, question, answer, sources, rating, reason, comment, created_at"),
              (status = 400, body = ErrorBody)))]
pub async fn export(
    State(app): State<AppState>,
    Query(filter): Query<AnswerFilter>,
) -> Result<impl IntoResponse, ApiError> {
    let rows = app.feedback_export(filter);
    let lines = futures::stream::unfold(rows, |mut rows| async move {
        let row = rows.recv().await?;
        let line = serde_json::to_string(&row)
            .map(|l| l + "\n")
            .unwrap_or_default();
        Some((Ok::<_, std::convert::Infallible>(line), rows))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(lines),
    ))
}

/// Rows as JSON Lines.
pub fn jsonl<T: Serialize>(rows: &[T]) -> String {
    let mut body = String::new();
    for row in rows {
        if let Ok(line) = serde_json::to_string(row) {
            body.push_str(&line);
            body.push('\n');
        }
    }
    body
}

/// Rates, latency percentiles, tokens and cost over the logged answers the filter selects.
#[utoipa::path(get, operation_id = "stats", path = "/v1/stats", tag = "feedback", params(AnswerFilter),
    responses((status = 200, body = Stats), (status = 400, body = ErrorBody)))]
pub async fn stats(
    State(app): State<AppState>,
    Query(filter): Query<AnswerFilter>,
) -> Result<axum::Json<Stats>, ApiError> {
    Ok(axum::Json(app.stats(filter).await?))
}

/// Recurring topics among the questions of answers rated down or flagged as hallucinated.
#[utoipa::path(get, operation_id = "insights", path = "/v1/insights", tag = "feedback", params(AnswerFilter),
    responses((status = 200, body = Insights), (status = 400, body = ErrorBody)))]
pub async fn insights(
    State(app): State<AppState>,
    Query(filter): Query<AnswerFilter>,
) -> Result<axum::Json<Insights>, ApiError> {
    Ok(axum::Json(app.insights(filter).await?))
}
