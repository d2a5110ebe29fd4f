//! The answer log over HTTP: feedback, answers by id and by page, the export of rated answers,
//! statistics and insights.

use std::collections::HashSet;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::ErrorBody;
use super::json::{Json, Query};
use super::{ApiError, AppState};
use crate::answer_log::stats::{self, Stats};
use crate::answer_log::{AnswerFilter, Feedback, LoggedAnswer, Page, Rated, Rating, Reason};
use crate::insights::{self, Insights};
use crate::monitor;

pub const MAX_COMMENT_CHARS: usize = 2000;
pub const MAX_PAGE: usize = 200;
/// Insights look at this many of the newest answers that went wrong.
const INSIGHT_ANSWERS: usize = 1000;

/// A rating: only `rating` is required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    pub rating: Rating,
    #[serde(default)]
    pub reason: Option<Reason>,
    #[serde(default)]
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
#[utoipa::path(post, path = "/v1/answers/{id}/feedback", tag = "feedback",
    params(("id" = String, Path, description = "answer_id of a /query response"),
           ("X-Client-Id" = Option<String>, Header, description = "who is rating")),
    request_body = FeedbackRequest,
    responses((status = 201, body = FeedbackResponse), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn feedback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(request): Json<FeedbackRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let comment = request.comment.map(|c| c.trim().to_owned());
    if let Some(c) = &comment {
        let chars = c.chars().count();
        if chars > MAX_COMMENT_CHARS {
            return Err(ApiError::bad_request(
                "comment_too_long",
                format!("comment has {chars} characters; the limit is {MAX_COMMENT_CHARS}"),
                "shorten the comment",
            ));
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
    let (log, id_for_log, stored) = (state.log.clone(), id.clone(), feedback.clone());
    let rated = blocking(move || log.rate(&id_for_log, &stored)).await?;
    let replaced = match rated {
        Rated::UnknownAnswer => return Err(ApiError::AnswerNotFound(id)),
        Rated::Created => false,
        Rated::Replaced => true,
    };
    monitor::feedback(feedback.rating);
    let body = FeedbackResponse {
        answer_id: id,
        replaced,
        feedback,
    };
    Ok((StatusCode::CREATED, axum::Json(body)))
}

/// One logged answer with its feedback.
#[utoipa::path(get, path = "/v1/answers/{id}", tag = "feedback",
    params(("id" = String, Path, description = "answer_id")),
    responses((status = 200, body = LoggedAnswer), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<LoggedAnswer>, ApiError> {
    let (log, key) = (state.log.clone(), id.clone());
    blocking(move || log.get(&key))
        .await?
        .map(axum::Json)
        .ok_or(ApiError::AnswerNotFound(id))
}

/// Query parameters of `GET /v1/answers`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
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
    /// Page size, 1..=200 (default 50).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<i64>,
}

/// Logged answers, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/answers", tag = "feedback", params(ListParams),
    responses((status = 200, body = Page), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<axum::Json<Page>, ApiError> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(
            "limit_out_of_range",
            format!("limit must be between 1 and {MAX_PAGE}, got {limit}"),
            "omit limit for pages of 50",
        ));
    }
    let filter = AnswerFilter {
        collection: params.collection,
        variant: params.variant,
        rating: params.rating,
        hallucinated: params.hallucinated,
        since: params.since,
        until: params.until,
    };
    let log = state.log.clone();
    let page = blocking(move || log.list(&filter, limit, params.cursor)).await?;
    Ok(axum::Json(page))
}

/// One exported rating: enough to turn into a regression question.
#[derive(Debug, Serialize)]
struct ExportRow<'a> {
    answer_id: &'a str,
    collection: &'a str,
    question: &'a str,
    answer: &'a str,
    sources: Vec<&'a str>,
    rating: Rating,
    reason: Option<Reason>,
    comment: Option<&'a str>,
    created_at: DateTime<Utc>,
}

/// Rated answers as JSON Lines, one row per rating of the requested kind (all ratings when
/// `rating` is omitted).
#[utoipa::path(get, path = "/v1/feedback/export", tag = "feedback", params(AnswerFilter),
    responses((status = 200, content_type = "application/x-ndjson",
               description = "one JSON object per line: answer_id, collection, question, answer, sources, rating, reason, comment, created_at"),
              (status = 400, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Query(filter): Query<AnswerFilter>,
) -> Result<impl IntoResponse, ApiError> {
    let wanted = filter.rating;
    let log = state.log.clone();
    let answers = blocking(move || log.all(&filter)).await?;
    let mut body = String::new();
    for a in &answers {
        for f in a
            .feedback
            .iter()
            .filter(|f| wanted.is_none_or(|r| r == f.rating))
        {
            let row = ExportRow {
                answer_id: a.answer_id(),
                collection: &a.collection,
                question: &a.question,
                answer: a.answer["answer"].as_str().unwrap_or_default(),
                sources: sources(a),
                rating: f.rating,
                reason: f.reason,
                comment: f.comment.as_deref(),
                created_at: f.created_at,
            };
            body.push_str(
                &serde_json::to_string(&row).map_err(|e| ApiError::Internal(e.to_string()))?,
            );
            body.push('\n');
        }
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body))
}

/// The distinct sources an answer cites (or, when it abstained, the nearest ones).
fn sources(a: &LoggedAnswer) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for key in ["citations", "nearest"] {
        for c in a.answer[key].as_array().into_iter().flatten() {
            if let Some(s) = c["source"].as_str() {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}

/// Rates, latency percentiles, tokens and cost over the logged answers the filter selects.
#[utoipa::path(get, path = "/v1/stats", tag = "feedback", params(AnswerFilter),
    responses((status = 200, body = Stats), (status = 400, body = ErrorBody)))]
pub async fn stats(
    State(state): State<AppState>,
    Query(filter): Query<AnswerFilter>,
) -> Result<axum::Json<Stats>, ApiError> {
    let (log, pricing) = (state.log.clone(), state.pricing.clone());
    let answers = blocking(move || log.all(&filter)).await?;
    Ok(axum::Json(stats::compute(&answers, &pricing)))
}

/// Recurring topics among the questions of answers rated down or flagged as hallucinated.
#[utoipa::path(get, path = "/v1/insights", tag = "feedback", params(AnswerFilter),
    responses((status = 200, body = Insights), (status = 400, body = ErrorBody)))]
pub async fn insights(
    State(state): State<AppState>,
    Query(filter): Query<AnswerFilter>,
) -> Result<axum::Json<Insights>, ApiError> {
    let log = state.log.clone();
    let embedder = state.retriever.embedder.clone();
    let down = AnswerFilter {
        rating: Some(Rating::Down),
        ..filter.clone()
    };
    let flagged = AnswerFilter {
        hallucinated: Some(true),
        ..filter
    };
    let found = tokio::task::spawn_blocking(move || -> Result<Insights, ApiError> {
        // Rated down or hallucinated: the union of two filters, each answer once.
        let mut answers = log.list(&down, INSIGHT_ANSWERS, None)?.answers;
        let mut seen: HashSet<String> = answers.iter().map(|a| a.answer_id().to_owned()).collect();
        for a in log.list(&flagged, INSIGHT_ANSWERS, None)?.answers {
            if seen.insert(a.answer_id().to_owned()) {
                answers.push(a);
            }
        }
        insights::topics(embedder.as_ref(), &answers).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(axum::Json(found))
}

/// Runs a log call off the async workers (SQLite waits for the disk).
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::answer_log::LogError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::from)
}
