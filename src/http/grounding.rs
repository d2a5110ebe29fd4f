//! `POST /v1/grounding/check`: the groundedness check for an answer from any chatbot, against
//! the passages it was given.

use axum::extract::State;
use serde::Deserialize;

use super::error::ErrorBody;
use super::json::Json;
use super::{validate, ApiError, AppState};
use crate::ground::{Grounding, Profile};

pub const MAX_PASSAGES: usize = 100;
/// All passages together, in characters (a long article fits).
pub const MAX_CONTEXT_CHARS: usize = 200_000;
pub const MAX_ANSWER_CHARS: usize = 20_000;

/// An answer and the passages it should keep to; only `context` and `answer` are required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// The passages the answer was written from; its `[n]` markers count from 1 here.
    pub context: Vec<String>,
    pub answer: String,
    /// The question, which gives a short answer ("Delhi") its meaning.
    #[serde(default)]
    pub question: Option<String>,
    /// `strict` (default: no missing term tolerated) or `lenient` (summaries, paraphrase).
    #[serde(default)]
    pub profile: Profile,
}

#[utoipa::path(post, path = "/v1/grounding/check", tag = "grounding",
    request_body = CheckRequest,
    responses((status = 200, body = Grounding), (status = 400, body = ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    Json(request): Json<CheckRequest>,
) -> Result<axum::Json<Grounding>, ApiError> {
    validate(&request)?;
    let grounder = state.answerer.grounder.clone();
    let grounding = tokio::task::spawn_blocking(move || {
        let context: Vec<&str> = request.context.iter().map(String::as_str).collect();
        grounder.check(
            &context,
            &request.answer,
            request.question.as_deref(),
            request.profile,
        )
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(axum::Json(grounding))
}

fn validate(request: &CheckRequest) -> Result<(), ApiError> {
    validate::text(
        &request.answer,
        MAX_ANSWER_CHARS,
        "answer",
        ("empty_answer", "answer_too_long"),
    )?;
    let chars: usize = request.context.iter().map(|p| p.chars().count()).sum();
    if request.context.iter().all(|p| p.trim().is_empty()) {
        return Err(ApiError::bad_request(
            "empty_context",
            "context has no text",
            "send the passages the answer was written from, as \"context\": [\"...\"]",
        ));
    }
    if request.context.len() > MAX_PASSAGES || chars > MAX_CONTEXT_CHARS {
        return Err(ApiError::bad_request(
            "context_too_long",
            format!(
                "context has {} passages and {chars} characters; the limits are {MAX_PASSAGES} and {MAX_CONTEXT_CHARS}",
                request.context.len()
            ),
            "send only the passages the answer was written from",
        ));
    }
    Ok(())
}
