//! `POST /v1/grounding/check`: the groundedness check for an answer from any chatbot, against
//! the passages it was given.

use std::time::Instant;

use axum::extract::State;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::error::{Code, ErrorBody};
use super::json::Json;
use super::{validate, ApiError, AppState};
use crate::app::GroundingRequest;
use crate::ground::{Check, Grounding, Method, Profile};

pub const MAX_PASSAGES: usize = 100;
/// All passages together, in characters (a long article fits).
pub const MAX_CONTEXT_CHARS: usize = 200_000;
pub const MAX_ANSWER_CHARS: usize = 20_000;
pub const MAX_QUESTION_CHARS: usize = 2000;
/// Sentences (claims) of an answer checked in one request: each costs an embedding.
pub const MAX_CLAIMS: usize = 200;

/// An answer and the passages it should keep to; only `context` and `answer` are required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// The passages the answer was written from; its `[n]` markers count from 1 here. Blank
    /// passages support nothing.
    #[schema(min_items = 1, max_items = 100)]
    pub context: Vec<String>,
    /// Not blank.
    #[schema(min_length = 1, max_length = 20000, pattern = r"\S")]
    pub answer: String,
    /// The question, which gives a short answer ("Delhi") its meaning.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub question: Option<String>,
    /// `auto` (default: picked from the answer's shape, and named in the result), `strict`
    /// (short answers: no missing term tolerated), `lenient` (summaries, paraphrase) or
    /// `conversational` (chat replies).
    #[serde(default)]
    pub profile: Profile,
    /// `lexical` or `llm_judge` (needs a configured LLM); the configured method when omitted.
    #[serde(default)]
    pub method: Option<Method>,
}

#[utoipa::path(post, operation_id = "check_grounding", path = "/v1/grounding/check", tag = "grounding",
    request_body = CheckRequest,
    responses((status = 200, body = Grounding), (status = 400, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "the LLM judge failed"),
              (status = 504, body = ErrorBody, description = "the LLM judge timed out")))]
pub async fn check(
    State(app): State<AppState>,
    Json(request): Json<CheckRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let started = Instant::now();
    validate(&request)?;
    let grounding = app
        .check_grounding(GroundingRequest {
            check: Check {
                context: request.context.into(),
                answer: request.answer,
                question: request.question,
                profile: request.profile,
            },
            method: request.method,
        })
        .await?;
    // Server-Timing (W3C): the check's own time, without the network, for benchmarks.
    let timing = format!("ground;dur={:.2}", started.elapsed().as_secs_f64() * 1000.0);
    Ok(([("server-timing", timing)], axum::Json(grounding)))
}

fn validate(request: &CheckRequest) -> Result<(), ApiError> {
    let codes = (Code::EmptyAnswer, Code::AnswerTooLong);
    validate::text(&request.answer, MAX_ANSWER_CHARS, "answer", codes)?;
    let claims = crate::text::sentences::spans(&request.answer).len();
    if claims > MAX_CLAIMS {
        return Err(ApiError::new(Code::AnswerTooLong).message(format!(
            "answer has {claims} sentences; the limit is {MAX_CLAIMS} per check"
        )));
    }
    if let Some(q) = &request.question {
        let chars = q.chars().count();
        if chars > MAX_QUESTION_CHARS {
            return Err(ApiError::new(Code::QuestionTooLong).message(format!(
                "question has {chars} characters; the limit is {MAX_QUESTION_CHARS}"
            )));
        }
    }
    let chars: usize = request.context.iter().map(|p| p.chars().count()).sum();
    if request.context.is_empty() {
        return Err(ApiError::new(Code::EmptyContext));
    }
    if request.context.len() > MAX_PASSAGES || chars > MAX_CONTEXT_CHARS {
        return Err(ApiError::new(Code::ContextTooLong).message(format!(
            "context has {} passages and {chars} characters; the limits are {MAX_PASSAGES} and {MAX_CONTEXT_CHARS}",
            request.context.len()
        )));
    }
    Ok(())
}
