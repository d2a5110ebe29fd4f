//! The answer log over HTTP: feedback, answers by id and by page, the export of rated answers,
//! statistics and insights.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{Code, ErrorBody};
use super::json::{Json, Path, Query};
use super::{ApiError, AppState};
use crate::answer_log::stats::Stats;
use crate::answer_log::{AnswerFilter, Feedback, LoggedAnswer, Page, Rating, Reason};
use crate::insights::Insights;

pub const MAX_COMMENT_CHARS: usize = 2000;
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
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(request): Json<FeedbackRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let comment = request.comment.map(|c| c.trim().to_owned());
    if let Some(c) = &comment {
        let chars = c.chars().count();
        if chars > MAX_COMMENT_CHARS {
            return Err(ApiError::new(Code::CommentTooLong).message(format!(
                "comment has {chars} characters; the limit is {MAX_COMMENT_CHARS}"
            )));
        }
    }
    let client = headers
        .get("x-client-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map_or_else(|| peer.ip().to_string(), |v| v.chars().take(200).collect());
    let feedback = Feedback {
        rating: request.rating,
        reason: request.reason,
        comment: comment.filter(|c| !c.is_empty()),
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

/// One logged answer with its feedback.
#[utoipa::path(get, operation_id = "get_answer", path = "/v1/answers/{id}", tag = "feedback",
    params(("id" = String, Path, description = "answer_id")),
    responses((status = 200, body = LoggedAnswer), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<LoggedAnswer>, ApiError> {
    Ok(axum::Json(app.logged_answer(&id).await?))
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
    };
    Ok(axum::Json(app.answers(filter, limit, params.cursor).await?))
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
    let rows = app.feedback_export(filter).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        jsonl(&rows),
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
